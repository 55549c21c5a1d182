"""Frozen result objects. They keep what a caller may want later and never print."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

__all__ = ["DetectableEffectResult", "EndpointPower", "FamilyPower", "FamilySampleSizeResult",
           "PowerResult", "SampleSizeResult", "binomial_summary"]


def binomial_summary(successes: int, reps: int, level: float = 0.95):
    r"""Estimate, Monte Carlo standard error and Wilson interval of a simulated probability.

    Parameters
    ----------
    successes : int
        Replicates in which the event (a rejection) happened.
    reps : int
        Replicates simulated.
    level : float
        Confidence level of the interval.

    Returns
    -------
    (estimate, mcse, (low, high))

    Notes
    -----
    MCSE is :math:`\sqrt{\hat p (1 - \hat p) / R}` (DESIGN 1.3). The interval is Wilson's
    score interval, which unlike :math:`\hat p \pm 1.96\,\mathrm{MCSE}` stays inside
    [0, 1] and does not collapse to a point when every replicate rejects.

    Examples
    --------
    >>> p, se, (lo, hi) = binomial_summary(8000, 10000)
    >>> round(p, 3), round(se, 4), round(lo, 4), round(hi, 4)
    (0.8, 0.004, 0.792, 0.8077)
    """
    p = successes / reps
    z = float(special.ndtri(0.5 + level / 2))
    centre = (p + z * z / (2 * reps)) / (1 + z * z / reps)
    half = z / (1 + z * z / reps) * math.sqrt(p * (1 - p) / reps + z * z / (4 * reps * reps))
    return p, math.sqrt(p * (1 - p) / reps), (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class LookStatistics:
    """One endpoint's test at each analysis (look) of the same simulated trials.

    ``pvalues[k, r]`` is the test's p-value at look k of replicate r (the looks see nested
    samples: the patients assessed by then); ``information`` the share of the final sample
    each look analyses; ``z`` (where asked for) the signed z-statistic of each look, the
    normal quantile of the one-sided p-value in the direction of benefit. A design
    (:mod:`simtrial.design`) decides from these which trials reject; the test does not. The
    fixed design has one look (K = 1).
    """

    pvalues: np.ndarray
    information: tuple[float, ...]
    z: np.ndarray | None = field(default=None, repr=False)
    #: Patients assessed at each look of each replicate (K x reps), where recorded.
    assessed: np.ndarray | None = field(default=None, repr=False)
    #: The final look's statistics of every replicate (reps x columns), for endpoint models
    #: that summarise them (``keeps_statistics``: time-to-event events, duration, n).
    statistics: np.ndarray | None = field(default=None, repr=False)


#: The optional fields of a time-to-event endpoint's :class:`EndpointPower`.
_TIME_TO_EVENT = ("events", "duration", "n", "analytic_events", "analytic_duration",
                  "analytic_power_freedman", "hazard_ratio_median", "hazard_ratio_mean")


@dataclass(frozen=True)
class EndpointPower:
    """Simulated power of one endpoint's test.

    ``pvalues`` holds the p-value of every replicate (not part of :meth:`to_dict`).
    ``exact_power`` is the power of a binary test by enumeration (:mod:`simtrial.exact`), None
    for other tests; ``safety`` the summary of a safety endpoint (:mod:`simtrial.safety`).
    For an endpoint in the scenario's multiplicity family, ``power`` is the probability that
    the procedure rejects its hypothesis and ``power_unadjusted`` that its own test does;
    elsewhere the two are equal.
    """

    id: str
    label: str
    kind: str
    distribution: str
    test: str
    better: str
    effect: str
    power: float
    mcse: float
    ci: tuple[float, float]
    analytic_power: float | None
    rejections: int
    expected_assessed: dict[str, float]
    pvalues: np.ndarray = field(repr=False, compare=False)
    exact_power: float | None = None
    safety: dict | None = None
    power_unadjusted: float | None = None
    analytic_note: str | None = None
    exact_note: str | None = None
    #: Time-to-event endpoints only (None elsewhere, and then not in :meth:`to_dict`): the
    #: means over replicates of the observed events at the analysis, its calendar month and
    #: the patients randomised by then; the expected events and month of the analysis by
    #: Lachin-Foulkes; Freedman's power beside Schoenfeld's ``analytic_power``; the median and
    #: mean over replicates of the Cox estimate of the hazard ratio (those estimable).
    events: float | None = None
    duration: float | None = None
    n: float | None = None
    analytic_events: float | None = None
    analytic_duration: float | None = None
    analytic_power_freedman: float | None = None
    hazard_ratio_median: float | None = None
    hazard_ratio_mean: float | None = None

    def to_dict(self) -> dict:
        """Plain-JSON fields (DESIGN 1.4), without the per-replicate p-values.

        ``analytic_note`` and ``exact_note`` say why ``analytic_power`` or ``exact_power`` is
        null (None when it is a number, and ``exact_note`` for tests without an enumeration).
        """
        return {
            "id": self.id, "label": self.label, "kind": self.kind,
            "distribution": self.distribution, "test": self.test, "better": self.better,
            "effect": self.effect, "power": self.power, "mcse": self.mcse, "ci": list(self.ci),
            "power_unadjusted": self.power_unadjusted,
            "analytic_power": self.analytic_power, "exact_power": self.exact_power,
            "rejections": self.rejections, "expected_assessed": dict(self.expected_assessed),
            "safety": self.safety, "analytic_note": self.analytic_note,
            "exact_note": self.exact_note,
        } | {key: getattr(self, key) for key in _TIME_TO_EVENT
             if self.events is not None or self.analytic_events is not None}


@dataclass(frozen=True)
class FamilyPower:
    """Power of a family of hypotheses under a multiplicity procedure.

    ``power_any`` is the probability that the procedure rejects at least one hypothesis of the
    family (under the global null: the family-wise error rate), ``power_all`` that it rejects
    every one (co-primary success).
    """

    procedure: str
    endpoints: tuple[str, ...]
    power_any: float
    mcse_any: float
    ci_any: tuple[float, float]
    power_all: float
    mcse_all: float
    ci_all: tuple[float, float]

    @classmethod
    def from_rejections(cls, procedure: str, endpoints, rejected: np.ndarray) -> FamilyPower:
        """Summarise a (reps, k) array of the procedure's rejections."""
        reps = rejected.shape[0]
        any_, mcse_any, ci_any = binomial_summary(int(rejected.any(axis=1).sum()), reps)
        all_, mcse_all, ci_all = binomial_summary(int(rejected.all(axis=1).sum()), reps)
        return cls(procedure=procedure, endpoints=tuple(endpoints), power_any=any_,
                   mcse_any=mcse_any, ci_any=ci_any, power_all=all_, mcse_all=mcse_all,
                   ci_all=ci_all)

    def to_dict(self) -> dict:
        """Plain-JSON fields (issue 7: procedure, power_any, power_all, mcse_any, mcse_all)."""
        return {"procedure": self.procedure, "endpoints": list(self.endpoints),
                "power_any": self.power_any, "mcse_any": self.mcse_any,
                "ci_any": list(self.ci_any), "power_all": self.power_all,
                "mcse_all": self.mcse_all, "ci_all": list(self.ci_all)}


@dataclass(frozen=True)
class PowerResult:
    """Power of every endpoint of a scenario at one sample size.

    ``family`` is the power of the scenario's multiplicity family, None where the scenario
    names none or none of the requested endpoints belongs to it.
    """

    scenario: str
    n_total: int
    n_per_arm: dict[str, int]
    arms: tuple[str, str]
    allocation: tuple[float, float]
    alpha: float
    alternative: str
    reps: int
    seed: int
    version: str
    endpoints: tuple[EndpointPower, ...]
    family: FamilyPower | None = None
    #: The group-sequential design's simulated operating characteristics for the primary
    #: endpoint (:meth:`SequentialResult.to_dict`'s ``design``), where the scenario has one.
    design: dict | None = None

    def endpoint(self, endpoint_id: str) -> EndpointPower:
        """The result of one endpoint."""
        return next(e for e in self.endpoints if e.id == endpoint_id)

    def to_dict(self) -> dict:
        """Plain-JSON fields (DESIGN 1.4).

        Each endpoint also says what its numbers are: ``power_after`` names the multiplicity
        procedure its ``power`` is after ("fixed-sequence gating", "holm adjustment", ...;
        null for the test alone), and ``analytic_power_is`` that ``analytic_power`` is the
        "unadjusted closed form" whatever the procedure.
        """
        members = set(self.family.endpoints) if self.family is not None else set()
        after = None if self.family is None else (
            "fixed-sequence gating" if self.family.procedure == "fixed-sequence"
            else f"{self.family.procedure} adjustment")
        return {
            "scenario": self.scenario, "n_total": self.n_total, "n_per_arm": dict(self.n_per_arm),
            "arms": {"treatment": self.arms[0], "control": self.arms[1]},
            "allocation": list(self.allocation), "alpha": self.alpha,
            "alternative": self.alternative, "reps": self.reps, "seed": self.seed,
            "version": self.version,
            "endpoints": [e.to_dict() | {"power_after": after if e.id in members else None,
                                         "analytic_power_is": "unadjusted closed form"}
                          for e in self.endpoints],
            "family": None if self.family is None else self.family.to_dict(),
            **({} if self.design is None else {"design": self.design}),
        }


@dataclass(frozen=True)
class SequentialResult:
    """Simulated operating characteristics of a group-sequential design at a maximum n.

    ``h1`` and ``h0`` hold, under the scenario's effect and under no effect, the overall
    rejection probability (``power``; under H0 the design's simulated type I error) with its
    MCSE, per look (``stages``) the probabilities of rejecting and of stopping for futility
    there, and the expected numbers randomised and assessed when the trial ends, each with its
    MCSE. ``closed_form`` is the canonical normal model's power and expected n (None where the
    test has no drift formula).
    """

    scenario: str
    endpoint: str
    test: str
    n_total: int
    n_per_arm: dict[str, int]
    design: Any
    h1: dict
    h0: dict
    closed_form: dict | None
    reps: int
    seed: int
    version: str
    #: The endpoint's test at each look of the simulated trials under H1.
    looks: LookStatistics | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """Plain-JSON fields, with the H0 block and the closed form.

        ``design.stages[k].{information, n, efficacy_z, futility_z, reject, stop_futility}``
        and ``design.expected_n`` as DESIGN 3 names them.
        """
        design = self.design.to_dict()
        for stage, simulated in zip(design["stages"], self.h1["stages"], strict=True):
            stage.update(simulated)
        design.update({"power": self.h1["power"], "mcse": self.h1["mcse"], "ci": self.h1["ci"],
                       "expected_n": self.h1["expected_n"],
                       "expected_assessed": self.h1["expected_assessed"],
                       "h0": self.h0, "closed_form": self.closed_form})
        return {"scenario": self.scenario, "endpoint": self.endpoint, "test": self.test,
                "n_total": self.n_total, "n_per_arm": dict(self.n_per_arm), "reps": self.reps,
                "seed": self.seed, "version": self.version, "design": design}


@dataclass(frozen=True)
class SampleSizeResult:
    """Smallest total n whose simulated power reaches a target, with the search's trace.

    ``power``, ``mcse`` and ``ci`` are those of :func:`simtrial.simulate.power` at ``n_total``
    with the same reps and seed; ``n_minus_step`` holds the same at ``n_total - 1``.
    ``trace`` lists every simulated point (``stage``: pilot, search or final).
    ``design`` (a scenario with a group-sequential ``[design]``: n is the maximum sample
    size) holds the design's operating characteristics at ``n_total`` as ``simtrial power``
    reports them, the fixed design's n (``fixed_n``) and the inflation factors
    (:func:`simtrial.search.sample_size`).
    ``events`` (a time-to-event endpoint analysed at a number of events: the events are
    searched, n is the patients the plan needs for them) holds the events found, Schoenfeld's
    and Freedman's, the plan and the expected analysis time
    (:func:`simtrial.search_events.events_sample_size`).
    """

    scenario: str
    endpoint: str
    label: str
    test: str
    effect: str
    target_power: float
    n_total: int
    n_per_arm: dict[str, int]
    arms: tuple[str, str]
    allocation: tuple[float, float]
    alpha: float
    alternative: str
    power: float
    mcse: float
    ci: tuple[float, float]
    n_minus_step: dict | None
    analytic_n: int | None
    dropout: tuple[float, float]
    expected_assessed: dict[str, float]
    naive_inflation_n: int | None
    method: str
    reps: int
    seed: int
    version: str
    trace: tuple[dict, ...]
    design: dict | None = None
    events: dict | None = None

    def to_dict(self) -> dict:
        """Plain-JSON fields (DESIGN 1.4)."""
        return {
            "scenario": self.scenario, "endpoint": self.endpoint, "label": self.label,
            "test": self.test, "effect": self.effect, "target_power": self.target_power,
            "n_total": self.n_total, "n_per_arm": dict(self.n_per_arm),
            "arms": {"treatment": self.arms[0], "control": self.arms[1]},
            "allocation": list(self.allocation), "alpha": self.alpha,
            "alternative": self.alternative, "power": self.power, "mcse": self.mcse,
            "ci": list(self.ci), "n_minus_step": self.n_minus_step, "analytic_n": self.analytic_n,
            "dropout": {"treatment": self.dropout[0], "control": self.dropout[1]},
            "expected_assessed": dict(self.expected_assessed),
            "naive_inflation_n": self.naive_inflation_n, "method": self.method,
            "reps": self.reps, "seed": self.seed, "version": self.version,
            "trace": [dict(point) for point in self.trace],
            **({} if self.design is None else {"design": self.design}),
            **({} if self.events is None else {"events": self.events}),
        }


@dataclass(frozen=True)
class FamilySampleSizeResult:
    """Smallest total n at which a multiplicity family reaches a target power.

    ``criterion`` is ``any`` (the procedure rejects at least one hypothesis of the family) or
    ``all`` (it rejects every one: co-primary success). ``power``, ``mcse`` and ``ci`` are the
    family power :func:`simtrial.simulate.power` reports at ``n_total`` with the same reps and
    seed; ``n_minus_step`` holds the same at ``n_total - 1``.
    """

    scenario: str
    criterion: str
    procedure: str
    family: tuple[str, ...]
    target_power: float
    n_total: int
    n_per_arm: dict[str, int]
    arms: tuple[str, str]
    allocation: tuple[float, float]
    alpha: float
    alternative: str
    power: float
    mcse: float
    ci: tuple[float, float]
    n_minus_step: dict | None
    method: str
    reps: int
    seed: int
    version: str
    trace: tuple[dict, ...]

    def to_dict(self) -> dict:
        """Plain-JSON fields: those of a sample size (DESIGN 1.4), ``endpoint`` null."""
        return {
            "scenario": self.scenario, "endpoint": None, "criterion": self.criterion,
            "procedure": self.procedure, "family": list(self.family),
            "target_power": self.target_power, "n_total": self.n_total,
            "n_per_arm": dict(self.n_per_arm),
            "arms": {"treatment": self.arms[0], "control": self.arms[1]},
            "allocation": list(self.allocation), "alpha": self.alpha,
            "alternative": self.alternative, "power": self.power, "mcse": self.mcse,
            "ci": list(self.ci), "n_minus_step": self.n_minus_step, "method": self.method,
            "reps": self.reps, "seed": self.seed, "version": self.version,
            "trace": [dict(point) for point in self.trace],
        }


@dataclass(frozen=True)
class DetectableEffectResult:
    """Smallest effect whose simulated power at n reaches a target, with the search's trace.

    ``effect`` is on the endpoint model's ``effect_scale``: for ``difference``, treatment minus
    control in ``location`` (mean or proportion) in the direction of benefit (so positive);
    for ``ratio`` (geometric means), treatment over control (above 1 when higher is better,
    below when lower is). ``treatment_value`` is the treatment arm's parameter at that effect.
    ``power``, ``mcse`` and ``ci`` are the simulated power there. ``trace`` lists every effect
    simulated (all with the same seed).
    """

    scenario: str
    endpoint: str
    label: str
    test: str
    kind: str
    location: str
    unit: str
    better: str
    target_power: float
    n_total: int
    n_per_arm: dict[str, int]
    arms: tuple[str, str]
    alpha: float
    alternative: str
    effect: float
    effect_scale: str
    treatment_value: float
    control_value: float
    standardized: float | None
    power: float
    mcse: float
    ci: tuple[float, float]
    analytic_effect: float | None
    reps: int
    seed: int
    version: str
    trace: tuple[dict, ...]

    def to_dict(self) -> dict:
        """Plain-JSON fields."""
        return {
            "scenario": self.scenario, "endpoint": self.endpoint, "label": self.label,
            "test": self.test, "kind": self.kind, "location": self.location, "unit": self.unit,
            "better": self.better, "target_power": self.target_power, "n_total": self.n_total,
            "n_per_arm": dict(self.n_per_arm),
            "arms": {"treatment": self.arms[0], "control": self.arms[1]},
            "alpha": self.alpha, "alternative": self.alternative, "effect": self.effect,
            "effect_scale": self.effect_scale,
            "treatment_value": self.treatment_value, "control_value": self.control_value,
            "standardized": self.standardized, "power": self.power, "mcse": self.mcse,
            "ci": list(self.ci), "analytic_effect": self.analytic_effect, "reps": self.reps,
            "seed": self.seed, "version": self.version,
            "trace": [dict(point) for point in self.trace],
        }
