"""The scenario model: frozen dataclasses for one two-arm trial and its endpoints.

A :class:`Scenario` holds the design of the trial (:class:`Trial`: allocation, alpha,
sidedness), its endpoints (:class:`Endpoint`: an outcome distribution per arm, a test, the
direction of benefit, the dropout), how they are analysed together (:class:`Analysis`) and
their within-patient correlations. Every number may carry its :class:`Provenance`, kept apart
from the numbers in :attr:`Scenario.provenance`, keyed by the dotted paths of
:mod:`simtrial.scenario.keys`.

Instances are built only by :mod:`simtrial.scenario.reader`, which validates them, so every
layer below may take a scenario as valid.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from simtrial.endpoints import MODELS, EndpointModel
from simtrial.errors import InputError

if TYPE_CHECKING:
    from simtrial.design.boundaries import GroupSequentialDesign
    from simtrial.priors import Prior

__all__ = ["ARMS", "MAX_N", "PROCEDURES", "Analysis", "Endpoint", "Provenance", "Scenario",
           "ScenarioError", "Trial", "correlation_matrix"]

ARMS = ("treatment", "control")

#: Largest total sample size the commands take (a trial's patients are held in memory).
MAX_N = 10**7

#: Multiple-testing procedures a scenario's ``[analysis] multiplicity`` may name.
PROCEDURES = ("none", "bonferroni", "holm", "hochberg", "fixed-sequence")


class ScenarioError(InputError):
    """An invalid scenario: the message names the file, the key path and what is allowed."""


@dataclass(frozen=True)
class Provenance:
    """Where a number came from.

    Attributes
    ----------
    basis : {"reported", "derived", "assumed"}
        Reported in a publication, derived from reported figures, or assumed.
    source : str
        The publication and figure (required for reported and derived numbers).
    quote : str
        The reported text, where there is one.
    reason : str
        Why an assumed number was chosen (required for assumed numbers).
    derivation : mapping or None
        For derived numbers: ``{"method": name, **inputs}`` for :func:`simtrial.evidence.derive`.
    note : str
        Anything a reader should know on top, for example that a reported figure is used at
        another visit than the one it was measured at.
    """

    basis: str
    source: str = ""
    quote: str = ""
    reason: str = ""
    derivation: Mapping[str, Any] | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the non-empty fields as a plain dict."""
        out: dict[str, Any] = {"basis": self.basis}
        for key in ("source", "quote", "reason", "note"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.derivation is not None:
            out["derivation"] = dict(self.derivation)
        return out


@dataclass(frozen=True)
class Trial:
    """Design-level settings shared by all endpoints."""

    allocation: tuple[float, float] = (1.0, 1.0)
    alpha: float = 0.05
    alternative: str = "two-sided"
    arms: tuple[str, str] = ARMS
    #: Piecewise-constant accrual ``(months, per_month)``: each period's length and rate
    #: (patients a month); None if not given (only time-to-event endpoints need it).
    accrual: tuple[tuple[float, ...], tuple[float, ...]] | None = None

    def smallest_n(self) -> int:
        """Smallest total n (at least 4) that gives each arm at least two patients.

        Examples
        --------
        >>> Trial(allocation=(65, 35)).smallest_n(), Trial(allocation=(1, 99)).smallest_n()
        (5, 150)
        """
        a_t, a_c = self.allocation
        n = max(4, math.floor(1.5 * (a_t + a_c) / min(a_t, a_c)) - 2)  # just below the answer
        while min(self.split(n)) < 2:
            n += 1
        return n

    def split(self, n: int) -> tuple[int, int]:
        """Split ``n`` randomised patients into (treatment, control) by the allocation.

        ``n_treatment = floor(n * a_t / (a_t + a_c) + 0.5)`` (DESIGN 1.3).

        Examples
        --------
        >>> Trial(allocation=(65, 35)).split(400)
        (260, 140)
        >>> Trial(allocation=(2, 1)).split(100)
        (67, 33)
        """
        a_t, a_c = self.allocation
        n_treatment = math.floor(n * a_t / (a_t + a_c) + 0.5)
        return n_treatment, n - n_treatment


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: outcome distribution per arm, test, direction of benefit, dropout."""

    id: str
    kind: str
    distribution: str
    test: str
    better: str
    treatment: Mapping[str, Any]
    control: Mapping[str, Any]
    dropout: tuple[float, float] = (0.0, 0.0)
    label: str = ""
    unit: str = ""
    scale: tuple[float, float, float] | None = None
    #: What the model reads besides the arms (its ``endpoint_tables``, a table-valued
    #: ``dropout``, the trial's accrual), e.g. ``{"analysis": {"events": 363.0}}``.
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: Non-inferiority or superiority margin on the effect scale (a difference, or a ratio for
    #: a log-normal endpoint), tested one-sided; None: the usual test of no difference.
    margin: float | None = None
    #: Equivalence margins ``(lower, upper)`` on the effect scale, shown by two one-sided tests
    #: (TOST); None: no equivalence test.
    equivalence: tuple[float, float] | None = None

    @property
    def benefit_sign(self) -> int:
        """+1 when higher values are better, -1 when lower values are."""
        return 1 if self.better == "higher" else -1

    @property
    def model(self) -> EndpointModel:
        """The endpoint model of :attr:`distribution` (:mod:`simtrial.endpoints`)."""
        return MODELS[self.distribution]

    @property
    def location(self) -> str:
        """The parameter the effect is a difference in (``p``, ``mean``, ``gmean``, ...)."""
        return self.model.location(self)

    def location_of(self, arm: str) -> float:
        """The value of :attr:`location` in ``arm`` (``treatment`` or ``control``)."""
        return self.model.location_of(self, arm)

    @property
    def difference(self) -> float:
        """True treatment minus control difference in :attr:`location`."""
        return self.location_of("treatment") - self.location_of("control")

    @property
    def baseline(self) -> Mapping[str, Any] | None:
        """The ``baseline`` table as given (``rho``, maybe ``mean``, ``sd``), or None.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> dict(load_scenario("ancova-walk").endpoint("walk_m").baseline)
        {'rho': 0.6}
        """
        return self.extra.get("baseline")

    @property
    def hypothesis(self) -> str:
        """What the test shows: superiority, non-inferiority, superiority by margin, equivalence.

        With a :attr:`margin`, H0 is that the effect is at most the margin in the direction of
        benefit: a margin on the side of harm (``better = "higher"`` and a negative
        difference, or a ratio below 1) makes it non-inferiority, one on the side of benefit
        superiority by a margin (0: plain one-sided superiority).

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> [ep.hypothesis for ep in load_scenario("noninferiority-safety").endpoints]
        ['non-inferiority', 'non-inferiority']
        >>> load_scenario("msc-covid19").endpoint("walk_m").hypothesis
        'superiority'
        """
        if self.equivalence is not None:
            return "equivalence"
        if self.margin is None:
            return "superiority"
        shift = self.benefit_sign * self.model.test_margin(self)
        return "non-inferiority" if shift < 0 else "superiority by margin" if shift > 0 else (
            "superiority")

    def describe(self) -> str:
        """One-line effect, treatment vs control, on the endpoint's natural scale.

        With a baseline, its correlation follows; with a margin, the hypothesis and the margin.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> sc = load_scenario("msc-covid19")
        >>> sc.endpoint("walk_m").describe()
        'mean 477 vs 450 (+27; d = 0.39); baseline rho 0.5'
        >>> load_scenario("ancova-walk").endpoint("walk_m").describe()
        'mean 477 vs 450 (+27; d = 0.39); baseline rho 0.6'
        >>> load_scenario("noninferiority-safety").endpoint("readmission").describe()
        'p 0.2 vs 0.2 (+0); non-inferiority margin +0.1'
        """
        text = self.model.describe(self)
        if self.baseline is not None:
            text += f"; baseline rho {self.baseline['rho']:g}"
        if self.equivalence is not None:
            lower, upper = self.equivalence
            return f"{text}; equivalence margins {lower:.4g} to {upper:.4g}"
        if self.margin is None:
            return text
        scale = "ratio " if self.model.effect_scale == "ratio" else "+" * (self.margin >= 0)
        return f"{text}; {self.hypothesis} margin {scale}{self.margin:.4g}"


@dataclass(frozen=True)
class Analysis:
    """How the endpoints are analysed together (the optional ``[analysis]`` table).

    Attributes
    ----------
    primary : str or None
        Id of the primary endpoint (the one a sample size is chosen for).
    multiplicity : str
        Procedure across the family: none, bonferroni, holm, hochberg or fixed-sequence.
    family : tuple of str
        Ids of the hypotheses tested together, in testing order for the fixed sequence: the
        ``order`` or ``family`` given, else every endpoint when a procedure is named, else
        none (no family power is reported).
    candidates : tuple of str
        Other endpoints the planner considered as the primary (``candidates``): the report
        compares the sample size each would need. Never the primary itself.
    """

    primary: str | None = None
    multiplicity: str = "none"
    family: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Build it with :func:`~simtrial.scenario.load_scenario` or
    :func:`~simtrial.scenario.parse_scenario`.
    """

    name: str
    trial: Trial
    endpoints: tuple[Endpoint, ...]
    title: str = ""
    description: str = ""
    analysis: Analysis = Analysis()
    #: Within-patient (latent, Gaussian copula) correlations: ((id_a, id_b), rho) pairs.
    correlations: tuple[tuple[tuple[str, str], float], ...] = ()
    provenance: Mapping[str, Provenance] = field(default_factory=lambda: MappingProxyType({}))
    #: The group-sequential design of the optional ``[design]`` table (None: one final
    #: analysis), its boundaries computed when the file is read.
    design: GroupSequentialDesign | None = None
    #: The boundaries the other endpoints of the family are tested on, at the look where the
    #: primary stops (``[design] secondary``; None without a ``[design]``).
    secondary_design: GroupSequentialDesign | None = None
    #: Design priors of the optional ``[[priors]]`` tables (:mod:`simtrial.priors`).
    priors: tuple[Prior, ...] = ()
    source: str = "<string>"
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False,
                                  compare=False)

    def with_values(self, values: Mapping[str, Any]) -> Scenario:
        """A copy with some numbers replaced, validated again like a file.

        Parameters
        ----------
        values : dict
            Dotted key -> new value. Keys: ``trial.alpha``, ``trial.allocation`` (a pair),
            ``endpoints.<id>.dropout`` (both arms), ``endpoints.<id>.dropout.<arm>``,
            ``endpoints.<id>.<arm>.<param>`` with arm ``treatment`` or ``control``,
            ``correlations.<id>.<id>`` (a pair's latent correlation, either order; a pair
            the scenario does not list is added). A replaced number loses its provenance: it
            is now the caller's.

        Returns
        -------
        Scenario

        Raises
        ------
        ScenarioError
            For an unknown key or a value the schema does not allow.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> sc = load_scenario("msc-covid19")
        >>> sc2 = sc.with_values({"endpoints.walk_lln.control.p": 0.35, "trial.alpha": 0.025})
        >>> sc2.endpoint("walk_lln").control["p"], sc2.trial.alpha
        (0.35, 0.025)
        >>> "endpoints.walk_lln.control.p" in sc2.provenance
        False
        >>> sc3 = sc.with_values({"correlations.walk_m.walk_lln": -0.5})
        >>> [rho for pair, rho in sc3.correlations if set(pair) == {"walk_lln", "walk_m"}]
        [-0.5]
        """
        # Imported here: keys revalidates through the reader, which builds this module's classes.
        from simtrial.scenario.keys import with_values

        return with_values(self, values)

    def endpoint(self, endpoint_id: str) -> Endpoint:
        """Return the endpoint called ``endpoint_id``, or raise a ScenarioError listing ids."""
        for ep in self.endpoints:
            if ep.id == endpoint_id:
                return ep
        ids = ", ".join(ep.id for ep in self.endpoints)
        raise ScenarioError(f"unknown endpoint {endpoint_id!r} in scenario {self.name!r} "
                            f"(endpoints: {ids})")


def correlation_matrix(ids: Sequence[str],
                       correlations: Iterable[tuple[tuple[str, str], float]]
                       ) -> list[list[float]]:
    """The correlation matrix of the endpoints ``ids``, 0 for pairs not given.

    Examples
    --------
    >>> correlation_matrix(("a", "b", "c"), ((("a", "c"), 0.5),))
    [[1.0, 0.0, 0.5], [0.0, 1.0, 0.0], [0.5, 0.0, 1.0]]
    """
    index = {endpoint_id: i for i, endpoint_id in enumerate(ids)}
    matrix = [[float(i == j) for j in range(len(ids))] for i in range(len(ids))]
    for (a, b), rho in correlations:
        if a in index and b in index:
            matrix[index[a]][index[b]] = matrix[index[b]][index[a]] = rho
    return matrix
