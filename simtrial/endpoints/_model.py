"""What every endpoint model provides, and the checks its parameters use.

An endpoint *model* is one distribution family of outcomes (Bernoulli, normal, log-normal,
discretised normal score, categorical ordinal). It owns everything that depends on the
family: the parameters a scenario gives per arm and their checks, the location an effect is
measured in and how it is described, the kernels that simulate the sufficient statistics a
test needs (for one sample size and for nested samples), how a latent normal becomes an
outcome in a correlated group, and the parameters the closed forms of the tests read
(:mod:`simtrial.stattests`). :mod:`simtrial.endpoints` registers one instance per family.

Models are imported when a scenario is read, so they import only the standard library at
module level; numpy, scipy and the numba kernels are imported inside the methods that use them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from simtrial.scenario import Endpoint

__all__ = ["ABOVE_ONE", "BASELINE_TESTS", "CORRELATION", "LOCATION", "POSITIVE",
           "PROBABILITIES", "PROBABILITY", "Check", "Copula", "EndpointModel", "Simulator"]

#: Largest magnitude of a location or spread, and smallest spread: beyond these, squares and
#: sums of squares of n values overflow or underflow a double.
HUGE, TINY = 1e100, 1e-100


@dataclass(frozen=True)
class Check:
    """A parameter's check and the words for what it allows (quoted in errors).

    ``test`` is None for an array of category probabilities, which the scenario reader reads
    as an array rather than as one number.
    """

    test: Callable[[float], bool] | None
    allowed: str
    #: Whether the parameter is an array of numbers, each passing ``test`` (hazards, breaks).
    array: bool = False


PROBABILITY = Check(lambda v: 0.0 <= v <= 1.0, "a number in [0, 1]")
LOCATION = Check(lambda v: abs(v) <= HUGE, "a number in [-1e100, 1e100]")
POSITIVE = Check(lambda v: TINY <= v <= HUGE, "a number in [1e-100, 1e100]")
ABOVE_ONE = Check(lambda v: 1 < v <= HUGE, "a number > 1 and <= 1e100")
PROBABILITIES = Check(None, "an array of at least 2 numbers in [0, 1] summing to 1")
CORRELATION = Check(lambda v: -1 < v < 1, "a number in (-1, 1)")

#: The tests that read an endpoint's ``baseline`` (:mod:`simtrial.stattests.baseline`).
BASELINE_TESTS = ("ancova", "change")

#: ``simulate(generator, endpoint, n_t, n_c, out)`` fills ``out[r]`` with replicate r's
#: statistics; a nested-sample simulator takes arrays ``sizes_t, sizes_c`` and fills
#: ``out[k, r]`` for the first ``sizes_t[k]`` and ``sizes_c[k]`` patients.
Simulator = Callable[..., None]


@dataclass(frozen=True)
class Copula:
    """How a latent standard normal becomes an endpoint's outcome in a correlated group.

    ``mode`` is one of ``counts`` (an event above ``params[arm][0]``), ``moments`` or
    ``value_ranks`` (the value ``params[arm][0] + params[arm][1] z``), ``level_moments``,
    ``level_ranks`` or ``level_po`` (the level whose latent cut points bracket z:
    ``cuts[arm]``, with the level values ``levels`` a t test averages), ``baseline_values`` or
    ``baseline_levels`` (the value or level of z with a baseline: ``baseline = (mean, sd,
    rho)``, and for levels the baseline's cut points ``baseline_cuts``).
    :mod:`simtrial.correlated` turns it into the kernel's arguments.
    """

    mode: str
    params: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (0.0, 0.0))
    cuts: tuple[np.ndarray, np.ndarray] | None = None
    levels: np.ndarray | None = None
    baseline: tuple[float, float, float] | None = None
    baseline_cuts: np.ndarray | None = None


class EndpointModel:
    """Base of the endpoint models (one subclass per distribution family).

    Class attributes
    ----------------
    distribution : str
        The name a scenario gives as ``distribution``.
    kinds : mapping
        Endpoint kind -> the tests allowed for it (the first is not a default: ``test`` is
        required); the model is the kind's default distribution when ``default`` lists it.
    parameters : mapping
        Parameter name -> :class:`Check`.
    parameter_sets : tuple of tuple of str
        The sets of parameters an arm may give (one of them); by default all of them.
    uses_scale : bool
        Whether the endpoint has a ``scale`` (min, max, step) table.
    effect_scale : {"difference", "ratio"}
        How a treatment effect on the location is scaled (sensitivity analyses vary a
        ratio geometrically, a difference linearly).
    """

    distribution: str = ""
    kinds: Mapping[str, tuple[str, ...]] = {}
    default: tuple[str, ...] = ()
    parameters: Mapping[str, Check] = {}
    parameter_sets: tuple[tuple[str, ...], ...] = ()
    uses_scale = False
    effect_scale = "difference"
    #: statistic name -> simulator for one sample size / for nested samples.
    simulators: Mapping[str, Simulator] = {}
    prefix_simulators: Mapping[str, Simulator] = {}
    #: statistic name -> simulator of the statistic in *standardized* form, for assurance with
    #: common random numbers (:mod:`simtrial.rescaled`): ``simulate(generator, endpoint, n_t,
    #: n_c, out)`` draws the same random numbers as ``simulators[name]`` with the same
    #: generator, before the arms' parameters enter (only the dropout may shape them), so that
    #: :meth:`rescale_parameters` and a rescaling kernel give the statistics at any parameter
    #: values, bit for bit, without drawing again. Without it, each prior draw re-simulates
    #: its trials.
    standardized_simulators: Mapping[str, Simulator] = {}
    #: Endpoint keys the model reads besides the common ones: key -> its table's numbers and
    #: their checks (e.g. a time-to-event endpoint's ``analysis``); read into
    #: ``Endpoint.extra`` with provenance, then checked by :meth:`check_extra`.
    endpoint_tables: Mapping[str, Mapping[str, Check]] = {}
    #: Endpoint tables the model reads if they are given (``baseline``): key -> its numbers
    #: and their checks, read into ``Endpoint.extra`` like :attr:`endpoint_tables`.
    optional_tables: Mapping[str, Mapping[str, Check]] = {}
    #: The tests that take a ``margin`` on the endpoint (:meth:`test_margin`), and its check.
    margin_tests: tuple[str, ...] = ()
    margin_check = LOCATION
    #: The tests that take ``equivalence`` margins (two one-sided tests).
    equivalence_tests: tuple[str, ...] = ()
    #: If not empty, ``dropout`` is a table of these numbers (for both arms, or one table per
    #: arm) in ``Endpoint.extra["dropout"]`` instead of a probability.
    dropout_table: Mapping[str, Check] = {}
    #: Whether the endpoint needs the trial's ``accrual`` (copied to ``Endpoint.extra``).
    needs_accrual = False
    #: Endpoint keys the model reads itself with :meth:`read_extra` (arrays of tables).
    extra_keys: tuple[str, ...] = ()
    #: Whether the endpoint may be in ``[[correlations]]`` (it has a :meth:`copula`).
    correlates = True
    #: Whether :func:`simtrial.simulate.simulated_power` keeps the final analysis's statistics
    #: of every replicate for :meth:`simulated_fields`.
    keeps_statistics = False
    #: Whether the nested-sample simulator reads its sizes as a design's looks of one trial
    #: (fractions of the last look: a time-to-event endpoint's looks at event fractions)
    #: rather than as nested samples of patients; then a search over n does not use it.
    looks_only = False

    def sets(self) -> tuple[tuple[str, ...], ...]:
        """The parameter sets an arm may give."""
        return self.parameter_sets or (tuple(self.parameters),)

    def check_arm(self, params: Mapping[str, Any], scale: tuple[float, float, float] | None
                  ) -> tuple[str, str] | None:
        """``(key, message)`` when one arm's parameters are impossible together, else None."""
        return None

    def check_arms(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                   ) -> tuple[str, str] | None:
        """``(key path below the endpoint, message)`` when the two arms do not fit, else None."""
        return None

    def complete_treatment(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                           ) -> Mapping[str, Any]:
        """The treatment arm's parameters with those derived from an effect scale added.

        A model whose treatment arm may be given relative to control (a risk ratio, a ratio
        of geometric means) adds the parameters the simulation reads (``p``, ``gmean``) after
        the ones given, which keep their provenance; :meth:`check_arms` has checked them.
        """
        return treatment

    def check_extra(self, extra: Mapping[str, Any]) -> tuple[str, str] | None:
        """``(key path below the endpoint, message)`` if the :attr:`endpoint_tables` misfit."""
        return None

    def read_extra(self, table: Mapping[str, Any], path: str, key: str, reader: Any
                   ) -> dict[str, Any]:
        """Read the :attr:`extra_keys` of the endpoint ``table`` into ``Endpoint.extra``.

        ``reader`` is the scenario reader: its ``fail(path, message)`` makes the error, its
        ``number``, ``string`` and ``parameter`` read values with their provenance (keyed below
        ``key``), so that errors name ``path`` (``endpoints[0].components[1].margin``).
        """
        return {}

    def settable(self, ep: Endpoint, name: str) -> bool:
        """Whether a search or ``--vary`` may set the arms' parameter ``name``."""
        return name in ep.treatment

    def extra_value(self, ep: Endpoint, path: list[str]) -> Any:
        """The number at key ``path`` below the endpoint in its :attr:`extra_keys` tables.

        Raises KeyError if there is none (:func:`simtrial.scenario.keys.value_of`).
        """
        raise KeyError(".".join(path))

    def assign_extra(self, table: dict[str, Any], path: list[str], value: Any) -> bool:
        """Set the number at key ``path`` below the endpoint in its raw ``table``.

        False if the model has no such number (:func:`simtrial.scenario.keys.assign`).
        """
        return False

    def check_test(self, test: str, extra: Mapping[str, Any],
                   scale: tuple[float, float, float] | None) -> tuple[str, str] | None:
        """``(key path below the endpoint, message)`` if ``test`` lacks a table it reads."""
        if test in BASELINE_TESTS and "baseline" not in extra:
            return "baseline", (f"is required for test = \"{test}\" (e.g. baseline = "
                                "{ rho = 0.6 }: the correlation of baseline and follow-up)")
        return None

    def check_margin(self, extra: Mapping[str, Any]) -> tuple[str, str] | None:
        """``(key path below the endpoint, message)`` if the tables do not fit a margin."""
        return None

    def baseline_parameters(self, ep: Endpoint) -> tuple[float, float, float] | None:
        """``(mean, sd, rho)`` of a normal baseline (the control arm's unless given), or None."""
        return None

    def test_margin(self, ep: Endpoint) -> float:
        """The endpoint's margin on its test's scale; 0 without a margin.

        The margin is given on the effect scale (:attr:`effect_scale`): a difference, used as
        it is, or a ratio, whose log the tests of a log-scale model shift by.
        """
        if ep.margin is None:
            return 0.0
        return math.log(ep.margin) if self.effect_scale == "ratio" else ep.margin

    def test_equivalence(self, ep: Endpoint) -> tuple[float, float]:
        """The endpoint's equivalence margins on its test's scale (logs of ratios)."""
        if ep.equivalence is None:
            raise TypeError(f"endpoint {ep.id!r} has no equivalence margins")
        lower, upper = ep.equivalence
        if self.effect_scale == "ratio":
            return math.log(lower), math.log(upper)
        return lower, upper

    def level_probabilities(self, ep: Endpoint, arm: str) -> np.ndarray:
        """Probabilities of the ordered levels of an outcome on levels (scores, ordinal)."""
        raise TypeError(f"a {self.distribution} endpoint has no levels")

    def rescale_parameters(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                           ) -> tuple[float, ...]:
        """The numbers that turn :attr:`standardized_simulators`' output into the statistics.

        From the arms' parameters (a prior draw's, :func:`simtrial.priors.drawn_arms`). For
        ``moments``: ``(mean_t, sd_t, mean_c, sd_c)`` of the normal outcome, which the kernel
        :func:`simtrial.kernels.rescale.rescale_moments` applies.
        """
        raise TypeError(f"a {self.distribution} endpoint has no standardized statistics")

    # ---------------------------------------------------------------- effect and display

    def location(self, ep: Endpoint) -> str:
        """The parameter the effect is measured in (``p``, ``mean``, ``gmean``, ...)."""
        raise NotImplementedError

    def location_of(self, ep: Endpoint, arm: str) -> float:
        """The value of :meth:`location` in ``arm``."""
        return float(getattr(ep, arm)[self.location(ep)])

    def describe(self, ep: Endpoint) -> str:
        """One-line effect, treatment vs control (see :meth:`Endpoint.describe`)."""
        t, c = self.location_of(ep, "treatment"), self.location_of(ep, "control")
        return f"{self.location(ep)} {t:.4g} vs {c:.4g} ({t - c:+.4g})"

    def effect_phrase(self, ep: Endpoint, label: str, unit: str, t_arm: str, c_arm: str) -> str:
        """The effect in a sentence ("to detect ..."), from text already made safe to print.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> ep = load_scenario("msc-covid19").endpoint("walk_m")
        >>> ep.model.effect_phrase(ep, "6-MWD", "m", "MSC", "placebo")
        'a difference in 6-MWD of +27 m in mean (477 MSC vs 450 placebo)'
        """
        t, c = self.location_of(ep, "treatment"), self.location_of(ep, "control")
        unit = f" {unit}" if unit else ""
        return (f"a difference in {label} of {t - c:+.4g}{unit} in {self.location(ep)} "
                f"({t:.4g} {t_arm} vs {c:.4g} {c_arm})")

    def effect_limit(self, ep: Endpoint) -> float:
        """Largest effect (on the search scale of :meth:`shifted`) the location allows."""
        return math.inf

    def shifted(self, ep: Endpoint, effect: float) -> float:
        """The treatment arm's location at ``effect`` >= 0 in the direction of benefit.

        The search scale of :func:`simtrial.search.detectable_effect`: a difference added to
        the control arm's location, or for a ratio scale (:attr:`effect_scale`) the log of
        the ratio, so that power is close to linear in it on the probit scale.
        """
        control = self.location_of(ep, "control")
        if self.effect_scale == "ratio":
            return control * math.exp(ep.benefit_sign * effect)
        return control + ep.benefit_sign * effect

    def effect_of(self, ep: Endpoint, effect: float) -> float:
        """``effect`` on the search scale as reported: the difference, or the ratio."""
        return math.exp(ep.benefit_sign * effect) if self.effect_scale == "ratio" else effect

    def effect_size(self, ep: Endpoint) -> float:
        """The scenario's own effect on the search scale (its absolute value)."""
        t, c = self.location_of(ep, "treatment"), self.location_of(ep, "control")
        return abs(math.log(t / c)) if self.effect_scale == "ratio" else abs(t - c)

    def standardized(self, ep: Endpoint, effect: float) -> float | None:
        """``effect`` over the root mean square of the arms' sds (Cohen's d), or None.

        None unless both arms give an ``sd``.
        """
        if not ("sd" in ep.treatment and "sd" in ep.control):
            return None
        return effect / math.sqrt((ep.treatment["sd"] ** 2 + ep.control["sd"] ** 2) / 2)

    # ---------------------------------------------------------------- closed forms

    def normal_parameters(self, ep: Endpoint, arm: str) -> tuple[float, float] | None:
        """(mean, sd) of the normal outcome a t test's closed form assumes, or None."""
        return None

    def proportion(self, ep: Endpoint, arm: str) -> float | None:
        """The event probability a test of proportions' closed form reads, or None."""
        return None

    def odds_ratio(self, ep: Endpoint) -> float | None:
        """The common odds ratio of a higher level (a proportional-odds closed form), or None."""
        return None

    def has_effect(self, ep: Endpoint) -> bool:
        """Whether the arms differ (else power stays at alpha whatever n)."""
        return ep.treatment != ep.control

    def null(self, ep: Endpoint) -> Endpoint:
        """``ep`` under H0: the treatment arm's outcome distributed as the control arm's."""
        from dataclasses import replace

        return replace(ep, treatment=ep.control)

    def proxy(self, ep: Endpoint) -> Endpoint:
        """An endpoint close to ``ep`` whose tests have closed forms (a search's start)."""
        return ep

    # ---------------------------------------------------------------- correlated groups

    def copula(self, ep: Endpoint, statistic: str) -> Copula:
        """How the latent normal becomes this endpoint's outcome for ``statistic``."""
        raise NotImplementedError

    # ---------------------------------------------------------------- annotations

    def simulated_fields(self, ep: Endpoint, statistics: np.ndarray) -> dict[str, Any]:
        """Fields of :class:`~simtrial.results.EndpointPower` from the final analysis's rows."""
        return {}

    def annotations(self, ep: Endpoint, n_t: int, n_c: int, alpha: float, alternative: str
                    ) -> dict[str, Any] | None:
        """Closed-form fields of :class:`~simtrial.results.EndpointPower` the model computes.

        In place of :func:`simtrial.analytic.endpoint_closed_form`'s; None: that one applies.
        """
        return None

    def summary(self, ep: Endpoint, n_t: int, n_c: int) -> dict | None:
        """A per-arm summary printed besides the power (the safety summary), or None."""
        return None
