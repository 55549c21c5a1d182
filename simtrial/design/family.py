r"""Multiplicity across the looks of a group-sequential trial: the family tested hierarchically.

The primary endpoint (``[analysis] primary``, else the first of the family) drives the trial:
its z-statistic meets the design's boundaries at each look (:mod:`.sequential`), and the trial
stops at the first look where it crosses one. Every other endpoint of the family is tested
once, **at the look where the trial stops**, against its own group-sequential boundary at
that look: the efficacy bound of an alpha-spending design at the same information fractions
with the full alpha and no futility (``[design] secondary``, default the primary's
``efficacy`` rule; :func:`secondary_design`). With ``multiplicity = "fixed-sequence"`` the
tests are gated in the family's order: the second endpoint is tested only if the primary
rejected, the third only if the second did too (Glimm, Maurer & Bretz 2010; Tamhane, Mehta &
Liu 2010). This controls the family-wise error at alpha under every configuration of true and
false hypotheses: a false rejection of the primary has probability at most alpha (its own
design), and a false rejection of another endpoint needs its z-statistic to cross its own
boundary at some look, which has probability at most alpha whatever the stopping look.
With ``multiplicity = "none"`` each endpoint is tested at the stopping look without gating.

Testing a secondary endpoint at the stopping look at its **nominal** level alpha instead
does not control the error: the stopping look depends on the primary's z, which is
correlated with the secondary's, so the secondary gets several chances at full alpha (Hung,
Wang & O'Neill 2007: with O'Brien-Fleming bounds for the primary, up to the error of a
Pocock design at nominal alpha). :func:`secondary_rejection_probability` computes that error
(or the power) exactly for the canonical bivariate normal model, in which the two endpoints'
z-statistics at each look have correlation ``rho``.

References
----------
Glimm E, Maurer W, Bretz F. Hierarchical testing of multiple endpoints in group-sequential
trials. Statistics in Medicine. 2010;29(2):219-228.

Hung HMJ, Wang SJ, O'Neill R. Statistical considerations for testing multiple endpoints in
group sequential or adaptive clinical trials. Journal of Biopharmaceutical Statistics.
2007;17(6):1201-1210.

Tamhane AC, Mehta CR, Liu L. Testing a primary and a secondary endpoint in a group
sequential design. Biometrics. 2010;66(4):1174-1184.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special, stats

from simtrial.design.boundaries import GroupSequentialDesign, group_sequential_design
from simtrial.errors import InputError
from simtrial.results import binomial_summary

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from simtrial.design.sequential import SequentialOutcome
    from simtrial.scenario import Scenario

__all__ = ["FamilyPlan", "family_characteristics", "family_plan", "hierarchical_rejections",
           "nominal_bounds", "secondary_design", "secondary_rejection_probability"]

#: ``[analysis] multiplicity`` values a family under a ``[design]`` may use -> gated or not.
GATED = {"fixed-sequence": True, "none": False}


def secondary_design(design: GroupSequentialDesign, rule: str) -> GroupSequentialDesign:
    """The boundaries the family's other endpoints are tested on: ``rule`` at the same looks.

    The primary's alpha, sidedness, information fractions and integration grid, alpha
    spending by ``rule`` (a string :func:`~simtrial.design.parse_rule` reads), no futility.

    Examples
    --------
    >>> d = group_sequential_design([0.5, 1.0], efficacy="ld-obf", futility="ld-obf")
    >>> s = secondary_design(d, "ld-pocock")
    >>> s.efficacy, s.futility, [round(b, 4) for b in s.efficacy_z]
    ('ld-pocock', 'none', [2.157, 2.201])
    """
    return group_sequential_design(design.information, alpha=design.alpha, sided=design.sided,
                                   efficacy=rule, grid=design.grid)


@dataclass(frozen=True)
class FamilyPlan:
    """Which endpoints a group-sequential trial tests and how.

    ``endpoints`` starts with the primary, which drives stopping; the others are tested at
    the stopping look, each only if the ones before it rejected when ``gated``.
    """

    endpoints: tuple[str, ...]
    procedure: str
    gated: bool

    @property
    def primary(self) -> str:
        """The endpoint whose boundaries decide when the trial stops."""
        return self.endpoints[0]


def family_plan(scenario: Scenario) -> FamilyPlan:
    """The primary and the family of a scenario with a ``[design]``, or an error saying why not.

    Without a family (``[analysis]`` names none) the plan is the primary alone.

    Raises
    ------
    InputError
        For a multiplicity procedure other than ``fixed-sequence`` or ``none``, or a
        primary that is not the family's first endpoint.

    Examples
    --------
    >>> from simtrial.scenario import parse_scenario
    >>> from pathlib import Path
    >>> text = Path("scenarios/examples/group-sequential-family.toml").read_text()
    >>> family_plan(parse_scenario(text))
    FamilyPlan(endpoints=('walk_m', 'walk_lln'), procedure='fixed-sequence', gated=True)
    """
    analysis = scenario.analysis
    family = analysis.family
    primary = analysis.primary or (family[0] if family else scenario.endpoints[0].id)
    if not family:
        return FamilyPlan(endpoints=(primary,), procedure=analysis.multiplicity, gated=True)
    if analysis.multiplicity not in GATED:
        raise InputError(f"scenario {scenario.name!r}: under a group-sequential [design] the "
                         "family is tested at the look where the primary endpoint stops the "
                         "trial, hierarchically: [analysis] multiplicity must be "
                         "\"fixed-sequence\" (or \"none\": each endpoint unadjusted), not "
                         f"{analysis.multiplicity!r}")
    if family[0] != primary:
        raise InputError(f"scenario {scenario.name!r}: the primary endpoint {primary!r} drives "
                         "the looks of the [design], so it must come first in [analysis] "
                         f"{'order' if analysis.multiplicity == 'fixed-sequence' else 'family'}"
                         f" (it starts with {family[0]!r})")
    return FamilyPlan(endpoints=tuple(family), procedure=analysis.multiplicity,
                      gated=GATED[analysis.multiplicity])


def hierarchical_rejections(outcome: SequentialOutcome, z: Sequence[np.ndarray],
                            bounds: Sequence[Sequence[float]], sided: int,
                            gated: bool = True) -> np.ndarray:
    """Rejections (reps x (1 + m)) of the primary and of m endpoints tested at the stopping look.

    Column 0 is the primary's ``outcome.reject``. Endpoint j's signed z-statistics ``z[j]``
    (K x reps) are read at the look where each trial stopped (``outcome.look``) and reject
    where they reach ``bounds[j]`` at that look (two-sided: ``|z|`` does). With ``gated``,
    only where every column before rejected (fixed sequence).

    Examples
    --------
    >>> from simtrial.design.sequential import SequentialOutcome
    >>> out = SequentialOutcome(look=np.array([0, 1, 1]), reject=np.array([True, True, False]),
    ...                         futility=np.zeros(3, bool))
    >>> z2 = np.array([[2.5, 0.0, 3.0], [0.0, 2.1, 3.0]])
    >>> hierarchical_rejections(out, [z2], [[2.2, 2.0]], sided=1).astype(int).tolist()
    [[1, 1], [1, 1], [0, 0]]
    >>> hierarchical_rejections(out, [z2], [[2.2, 2.0]], 1, gated=False)[:, 1].tolist()
    [True, True, True]
    """
    reps = outcome.look.size
    columns = [outcome.reject]
    open_ = outcome.reject.copy() if gated else np.ones(reps, dtype=bool)
    at_stop = np.arange(reps)
    for z_j, b_j in zip(z, bounds, strict=True):
        stat = z_j[outcome.look, at_stop]
        if sided == 2:
            stat = np.abs(stat)
        reject = open_ & (stat >= np.asarray(b_j, dtype=np.float64)[outcome.look])
        columns.append(reject)
        if gated:
            open_ = reject
    return np.stack(columns, axis=1)


def family_characteristics(plan: FamilyPlan, secondary: GroupSequentialDesign,
                           outcome: SequentialOutcome,
                           z: Mapping[str, np.ndarray]) -> tuple[np.ndarray, dict[str, Any]]:
    """The family's rejections and the JSON block of the endpoints tested at the stopping look.

    Returns the (reps x family) rejections of :func:`hierarchical_rejections` and a dict with
    ``procedure``, ``secondary`` (the rule), and per endpoint after the primary: ``id``,
    ``efficacy_z`` (its bound at each look), ``reject`` (the probability that it is rejected
    at look k, each with ``reject_mcse``), ``power`` with ``mcse`` (rejected at some look,
    after gating) and ``power_unadjusted`` (its own boundary crossed at the stopping look,
    whatever the endpoints before it).

    Examples
    --------
    >>> from simtrial.design.sequential import SequentialOutcome
    >>> d = group_sequential_design([0.5, 1.0], efficacy="obf")
    >>> plan = FamilyPlan(endpoints=("a", "b"), procedure="fixed-sequence", gated=True)
    >>> out = SequentialOutcome(look=np.array([0, 1, 1, 1]), futility=np.zeros(4, bool),
    ...                         reject=np.array([True, True, False, False]))
    >>> z = {"b": np.array([[3.0, 0.0, 0.0, 0.0], [0.0, 0.0, 3.0, 3.0]])}
    >>> rejected, block = family_characteristics(plan, d, out, z)
    >>> rejected[:, 1].tolist(), block["endpoints"][0]["power"]
    ([True, False, False, False], 0.25)
    >>> block["endpoints"][0]["power_unadjusted"], block["endpoints"][0]["reject"]
    (0.75, [0.25, 0.0])
    """
    others = plan.endpoints[1:]
    bounds = [secondary.efficacy_z] * len(others)
    z_others = [z[ep_id] for ep_id in others]
    rejected = hierarchical_rejections(outcome, z_others, bounds, secondary.sided, plan.gated)
    alone = hierarchical_rejections(outcome, z_others, bounds, secondary.sided, gated=False)
    reps = outcome.look.size
    rows = []
    for j, ep_id in enumerate(others, start=1):
        per_look = [binomial_summary(int(np.count_nonzero(rejected[:, j] & (outcome.look == k))),
                                     reps)[:2] for k in range(len(secondary.information))]
        power, mcse, ci = binomial_summary(int(np.count_nonzero(rejected[:, j])), reps)
        rows.append({"id": ep_id, "efficacy_z": [_finite(b) for b in secondary.efficacy_z],
                     "reject": [p for p, _ in per_look],
                     "reject_mcse": [se for _, se in per_look], "power": power, "mcse": mcse,
                     "ci": list(ci),
                     "power_unadjusted": float(np.count_nonzero(alone[:, j])) / reps})
    return rejected, {"procedure": plan.procedure, "secondary": secondary.efficacy,
                      "endpoints": rows}


def secondary_rejection_probability(design: GroupSequentialDesign, bounds: Sequence[float],
                                    drift_primary: float, drift_secondary: float,
                                    rho: float) -> np.ndarray:
    r"""P(the primary rejects at look k and a second endpoint crosses ``bounds[k]`` there).

    The canonical bivariate normal model of two endpoints measured on the same patients:
    the z-statistics :math:`Z_{1k}, Z_{2k}` at information fractions :math:`t_k` have means
    :math:`\theta_i\sqrt{t_k}`, :math:`\mathrm{cov}(Z_{ij}, Z_{ik}) = \sqrt{t_j/t_k}` for
    :math:`j \le k`, and :math:`\mathrm{cov}(Z_{1j}, Z_{2k}) = \rho\sqrt{t_j/t_k}`
    (:math:`\rho` the correlation of one patient's two outcomes, and of the two final
    statistics). Look k's term is the probability of the box
    :math:`a_j < Z_{1j} < b_j\ (j < k),\ Z_{1k} \ge b_k,\ Z_{2k} \ge c_k` (futility bounds
    obeyed), a (k + 1)-dimensional normal probability computed by Genz's method
    (:meth:`scipy.stats.multivariate_normal.cdf`, absolute error about 1e-6), independently
    of the recursive integration of :mod:`.boundaries`. Their sum is the probability that
    the gated second endpoint is rejected: its power, or under :math:`\theta_2 = 0` its type
    I error.

    One-sided designs only.

    Examples
    --------
    Hung, Wang & O'Neill (2007): O'Brien-Fleming bounds for the primary at two equally spaced
    looks; the second endpoint tested at the nominal 0.025 at the stopping look, under no
    effect on it and drift 2 on the primary, errs more than 0.025 when the two are
    strongly correlated; on Pocock-type boundaries it does not.

    >>> d = group_sequential_design([0.5, 1.0], efficacy="obf")
    >>> nominal = [1.959964] * 2
    >>> round(float(secondary_rejection_probability(d, nominal, 2.0, 0.0, 0.9).sum()), 4)
    0.0343
    >>> pocock = secondary_design(d, "ld-pocock").efficacy_z
    >>> float(secondary_rejection_probability(d, pocock, 2.0, 0.0, 0.9).sum()) <= 0.025
    True
    """
    if design.sided != 1:
        raise InputError("secondary_rejection_probability: one-sided designs only")
    t = np.asarray(design.information, dtype=np.float64)
    out = np.empty(t.size)
    for k in range(t.size):
        times = t[:k + 1]
        cov = np.empty((k + 2, k + 2))
        cov[:k + 1, :k + 1] = np.sqrt(np.minimum.outer(times, times)
                                      / np.maximum.outer(times, times))
        cov[k + 1, :k + 1] = cov[:k + 1, k + 1] = rho * np.sqrt(times / times[-1])
        cov[k + 1, k + 1] = 1.0
        mean = np.append(drift_primary * np.sqrt(times), drift_secondary * math.sqrt(t[k]))
        lower = np.append(np.asarray(design.futility_z[:k]), [design.efficacy_z[k], bounds[k]])
        upper = np.append(np.asarray(design.efficacy_z[:k]), [np.inf, np.inf])
        # Genz's quasi-Monte Carlo integration, seeded so that the answer is reproducible.
        normal = stats.multivariate_normal(mean, cov, allow_singular=True, seed=1,
                                           maxpts=200_000 * (k + 2), abseps=1e-7, releps=1e-7)
        out[k] = normal.cdf(upper, lower_limit=lower)
    return out


def nominal_bounds(design: GroupSequentialDesign) -> list[float]:
    """The nominal level's bound at every look: what naive testing at the stopping look uses.

    Examples
    --------
    >>> [round(b, 4) for b in nominal_bounds(group_sequential_design([0.5, 1.0]))]
    [1.96, 1.96]
    """
    return [float(special.ndtri(1 - design.alpha / design.sided))] * len(design.information)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None
