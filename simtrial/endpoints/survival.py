r"""Time-to-event outcomes: piecewise-exponential survival per arm (kind ``time-to-event``).

Each arm's time from randomisation to the event is a :class:`simtrial.events.PiecewiseExponential`
given by a ``median`` (exponential), a constant ``hazard`` (events per patient-month), or
piecewise-constant ``hazards`` changing at ``breaks`` (months), each with an optional cure
fraction ``cure``; the treatment arm may instead give a ``hazard_ratio`` (treatment : control,
applied to the control arm's hazards of the uncured; it keeps the control arm's cure fraction
unless it gives its own ``cure``). The effect is the hazard ratio (``effect_scale = "ratio"``).

The trial runs in calendar time: the trial's ``accrual`` randomises the patients, ``dropout``
(``{ per_month = h }``, an exponential dropout hazard, for both arms or per arm) censors them,
and the endpoint's ``analysis`` cuts the data at a target number of ``events``, at a calendar
time ``months``, or at whichever comes first. The n of ``simtrial power`` is the number
randomised: the accrual's rates are kept and recruitment runs, at the last rate beyond the
last period, until n patients are in (:meth:`simtrial.events.Accrual.extended_to`); it stops
earlier if n are in before the periods end. The test is the log-rank test on the rows of
:func:`simtrial.kernels.survival.simulate_logrank` (:data:`simtrial.stattests.SURVIVAL`).

Competing terminal events (death before recovery) are out of scope: an arm has one event
type, and dropout is the only competing risk, assumed independent of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simtrial.endpoints._model import HUGE, TINY, Check, EndpointModel

if TYPE_CHECKING:
    import numpy as np

    from simtrial.events import Accrual, PiecewiseExponential
    from simtrial.scenario import Endpoint

__all__ = ["Survival"]

_POSITIVE = Check(lambda v: TINY <= v <= HUGE, "a number in [1e-100, 1e100]")
_HAZARD = Check(lambda v: 0 <= v <= HUGE, "a number in [0, 1e100]")
_MONTHS = Check(lambda v: 0 < v <= 1e6, "a number in (0, 1e6]")
_CURE = Check(lambda v: 0 <= v < 1, "a number in [0, 1)")
_EVENTS = Check(lambda v: v == int(v) and 1 <= v <= 10**7, "an integer in [1, 10000000]")
_DROPOUT = Check(lambda v: 0 <= v <= 1e3, "a number in [0, 1000] (a hazard per month)")
_SHARES = Check(lambda v: 0 < v <= HUGE, "a number in (0, 1e100]", array=True)
_WEIGHT = Check(lambda v: 0 <= v <= 10, "a number in [0, 10]")


def _survival(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.survival import simulate_logrank

    model: Survival = ep.model  # type: ignore[assignment]
    events, months = model.analysis_of(ep)
    # More events than patients are never reached, nor are n unless all have the event: in
    # both cases the analysis is at `months` or the last event, which is what n asks for.
    events = [min(d, n_t + n_c) for d in events]
    out[:] = simulate_logrank(generator, out.shape[0], n_t, n_c, model.accrual(ep, n_t + n_c),
                              model.arms(ep), model.dropouts(ep), events=events,
                              months=months, strata=model.strata_of(ep),
                              **model.weights_of(ep))[-1]


def _survival_looks(generator, ep: Endpoint, sizes_t, sizes_c, out: np.ndarray) -> None:
    """Looks of a group-sequential design at fractions of the analysis's events (or months).

    The nested-sample simulator of :mod:`simtrial.simulate` (``nested_looks``): every trial
    randomises ``sizes_t[-1] + sizes_c[-1]`` patients, and look k is at the fraction
    ``f_k = (sizes_t[k] + sizes_c[k]) / (sizes_t[-1] + sizes_c[-1])`` of the analysis: at
    ``round(f_k D)`` events for ``analysis.events = D`` and at calendar month ``f_k M`` for
    ``analysis.months = M`` (whichever comes first when both are given). The sizes are
    :func:`simtrial.simulate.look_sizes`, ``round(t_k n)``, so ``f_k`` is the design's
    information fraction ``t_k`` to within ``1 / (2 t_k n)`` (the looks' events are
    ``round(t_k D)``, or one off when n is small against D). One trial is simulated per
    replicate and cut at every look (one sort).
    """
    from simtrial.kernels.survival import simulate_logrank

    model: Survival = ep.model  # type: ignore[assignment]
    n_t, n_c = int(sizes_t[-1]), int(sizes_c[-1])
    fractions = (sizes_t + sizes_c) / (n_t + n_c)
    events, months = model.analysis_of(ep)
    looks_events = [max(1, min(round(d * f), n_t + n_c)) for d in events for f in fractions]
    looks_months = [m * f for m in months for f in fractions]
    out[:] = simulate_logrank(generator, out.shape[1], n_t, n_c, model.accrual(ep, n_t + n_c),
                              model.arms(ep), model.dropouts(ep), events=looks_events,
                              months=looks_months, strata=model.strata_of(ep),
                              **model.weights_of(ep))


def _margin_power(ep: Endpoint, hr: float, events: float, alpha: float, r: float
                  ) -> dict[str, Any]:
    r"""Schoenfeld's power of the one-sided test of the hazard ratio against the margin M.

    :math:`\Phi(\mathrm{sign}\,\log(\Delta / M)\sqrt{D r}/(1 + r) - z_{1-\alpha})`
    (sign -1: fewer events are better), Schoenfeld's (1981) approximation at the log hazard
    ratio shifted by the margin: the variance of the Cox estimate is taken as its value
    :math:`(1 + r)^2 / (D r)` at :math:`\Delta = 1`, close when :math:`\Delta` is near 1
    (the log-rank score's information at the null). Freedman's formula
    is for the test of :math:`\Delta = 1` and is not given.
    """
    from scipy import special

    assert ep.margin is not None  # the caller tests a margin
    mean = ep.benefit_sign * math.log(hr / ep.margin) * math.sqrt(events * r) / (1 + r)
    return {"analytic_power": float(special.ndtr(mean - special.ndtri(1 - alpha))),
            "analytic_power_freedman": None,
            "analytic_note": ("Schoenfeld (1981) at the expected events (Lachin-Foulkes), at "
                              f"the hazard ratio over the margin {ep.margin:g}")}


class Survival(EndpointModel):
    """Piecewise-exponential time to an event per arm, in a trial with accrual and dropout."""

    distribution = "piecewise_exponential"
    kinds = {"time-to-event": ("logrank",)}
    default = ("time-to-event",)
    parameters = {"median": _POSITIVE, "hazard": _POSITIVE,
                  "hazards": Check(_HAZARD.test, _HAZARD.allowed, array=True),
                  "breaks": Check(_MONTHS.test, _MONTHS.allowed, array=True),
                  "hazard_ratio": _POSITIVE, "cure": _CURE}
    parameter_sets = (("median", "cure"), ("median",), ("hazard", "cure"), ("hazard",),
                      ("hazards", "breaks", "cure"), ("hazards", "breaks"),
                      ("hazard_ratio", "cure"), ("hazard_ratio",))
    effect_scale = "ratio"
    #: A margin on the hazard ratio is tested by the Cox model's Wald test
    #: (:func:`simtrial.stattests.logrank.hazard_ratio_margin`).
    margin_tests = ("logrank",)
    margin_check = Check(lambda v: TINY <= v <= HUGE, "a hazard ratio in [1e-100, 1e100]")
    simulators = {"survival": _survival}
    prefix_simulators = {"survival": _survival_looks}
    endpoint_tables = {"analysis": {"events": _EVENTS, "months": _MONTHS}}
    optional_tables = {"strata": {"prevalence": _SHARES, "hazard_multiplier": _SHARES},
                       "weights": {"rho": _WEIGHT, "gamma": _WEIGHT}}
    dropout_table = {"per_month": _DROPOUT}
    needs_accrual = True
    keeps_statistics = True
    correlates = False
    looks_only = True

    # ---------------------------------------------------------------- checks

    def check_arm(self, params: Mapping[str, Any], scale) -> tuple[str, str] | None:
        """Breaks increasing, one hazard more than breaks, some hazard > 0."""
        if "hazards" in params:
            hazards, breaks = params["hazards"], params["breaks"]
            if len(hazards) != len(breaks) + 1:
                return "hazards", (f"needs one value more than `breaks` (got {len(hazards)} "
                                   f"hazards and {len(breaks)} breaks)")
            if not all(a < b for a, b in zip(breaks, breaks[1:], strict=False)):
                return "breaks", f"{list(breaks)} is not allowed (allowed: strictly increasing)"
            if max(hazards) <= 0:
                return "hazards", "are all 0: nobody would ever have the event"
        return None

    def check_arms(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                   ) -> tuple[str, str] | None:
        """A hazard ratio is the treatment arm's only."""
        if "hazard_ratio" in control:
            return "control.hazard_ratio", ("is only allowed in the treatment arm (give the "
                                            "control arm's median, hazard or hazards)")
        return None

    def check_extra(self, extra: Mapping[str, Any]) -> tuple[str, str] | None:
        """The analysis needs ``events`` or ``months``; strata a prevalence per stratum."""
        if not extra["analysis"]:
            return "analysis", ("needs `events` (a target number of events), `months` (a "
                                "calendar time) or both (whichever comes first)")
        strata = extra.get("strata")
        if strata is not None:
            prevalence = strata.get("prevalence", ())
            if len(prevalence) < 2:
                return "strata.prevalence", ("needs at least 2 strata (an array of their "
                                             "relative sizes, e.g. [0.6, 0.4])")
            multiplier = strata.get("hazard_multiplier", (1.0,) * len(prevalence))
            if len(multiplier) != len(prevalence):
                return "strata.hazard_multiplier", (f"needs one value per stratum (got "
                                                    f"{len(multiplier)} for {len(prevalence)} "
                                                    "strata)")
        return None

    def check_margin(self, extra: Mapping[str, Any]) -> tuple[str, str] | None:
        """A margin is tested on the Cox model's hazard ratio, which has no weights."""
        if any(extra.get("weights", {}).values()):
            return "margin", ("is tested by the Cox model's hazard ratio, which Fleming-"
                              "Harrington weights do not apply to (remove `weights` or the "
                              "margin)")
        return None

    # ---------------------------------------------------------------- the trial

    def arm(self, ep: Endpoint, arm: str) -> PiecewiseExponential:
        """The arm's time to event."""
        from simtrial.events import PiecewiseExponential

        params = getattr(ep, arm)
        if "hazard_ratio" in params:
            model = self.arm(ep, "control").with_hazard_ratio(params["hazard_ratio"])
        elif "median" in params:
            model = PiecewiseExponential.from_median(params["median"])
        elif "hazard" in params:
            model = PiecewiseExponential.from_hazard(params["hazard"])
        else:
            model = PiecewiseExponential.from_hazards(params["hazards"], params["breaks"])
        return model.with_cure_fraction(params["cure"]) if "cure" in params else model

    def arms(self, ep: Endpoint) -> tuple[PiecewiseExponential, PiecewiseExponential]:
        """(treatment, control) times to event."""
        return self.arm(ep, "treatment"), self.arm(ep, "control")

    def dropouts(self, ep: Endpoint) -> tuple[Any, Any]:
        """(treatment, control) exponential times to dropout (None: no dropout)."""
        from simtrial.events import PiecewiseExponential

        return tuple(PiecewiseExponential.from_hazard(table["per_month"])
                     if table.get("per_month", 0) > 0 else None
                     for table in ep.extra["dropout"])  # type: ignore[return-value]

    def accrual(self, ep: Endpoint, n: int) -> Accrual:
        """The trial's accrual at its rates, recruiting until ``n`` patients are randomised."""
        from simtrial.events import Accrual

        months, per_month = ep.extra["accrual"]
        return Accrual.periods(months, per_month).extended_to(n)

    def strata_of(self, ep: Endpoint) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
        """``(prevalence, hazard_multiplier)`` of the declared strata, or None.

        Each arm's patients are split over the strata by the prevalence (stratified
        randomisation; normalised to sum to 1), a patient's hazard is the arm's times the
        stratum's multiplier (1 if not given), and the test is stratified.
        """
        strata = ep.extra.get("strata")
        if strata is None:
            return None
        total = sum(strata["prevalence"])
        prevalence = tuple(float(p) / total for p in strata["prevalence"])
        return prevalence, tuple(float(m) for m in strata.get("hazard_multiplier",
                                                              (1.0,) * len(prevalence)))

    def weights_of(self, ep: Endpoint) -> dict[str, float]:
        """The Fleming-Harrington ``rho`` and ``gamma`` of the test (0, 0: the log-rank test)."""
        weights = ep.extra.get("weights", {})
        return {"rho": float(weights.get("rho", 0.0)), "gamma": float(weights.get("gamma", 0.0))}

    def strata_arms(self, ep: Endpoint) -> list[tuple[float, tuple[Any, Any]]]:
        """``(prevalence, (treatment, control))`` per stratum (one stratum without strata)."""
        arms = self.arms(ep)
        strata = self.strata_of(ep)
        if strata is None:
            return [(1.0, arms)]
        return [(p, tuple(arm.with_hazard_ratio(m) for arm in arms))  # type: ignore[misc]
                for p, m in zip(*strata, strict=True)]

    def analysis_of(self, ep: Endpoint) -> tuple[list[int], list[float]]:
        """The analysis's target events and calendar time as the kernel takes them."""
        analysis = ep.extra["analysis"]
        return ([int(analysis["events"])] if "events" in analysis else [],
                [float(analysis["months"])] if "months" in analysis else [])

    # ---------------------------------------------------------------- effect and display

    def location(self, ep: Endpoint) -> str:
        """The hazard: lower is better when fewer events are (``better = "lower"``)."""
        return "hazard"

    def location_of(self, ep: Endpoint, arm: str) -> float:
        """The arm's median-equivalent hazard, ``log 2 / median`` (per month).

        The hazard itself for an exponential arm; for piecewise hazards or a cure fraction the
        constant hazard with the same median (0 if the median is never reached). Its ratio is
        the hazard ratio where that is constant, and its sign follows the events: a
        treatment arm with fewer events has the lower value.
        """
        return math.log(2) / self.arm(ep, arm).median

    def hazard_ratio(self, ep: Endpoint) -> float | None:
        """The hazard ratio treatment : control if constant over time (no cure), else None."""
        t, c = self.arms(ep)
        if t.cure_fraction or c.cure_fraction:
            return None
        import numpy as np

        starts = np.union1d(t.starts, c.starts)
        ratios = t.hazard(starts) / c.hazard(starts)
        return float(ratios[0]) if np.allclose(ratios, ratios[0], rtol=1e-12) else None

    def describe(self, ep: Endpoint) -> str:
        """Hazard ratio (where constant) and medians.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> ep = load_scenario("scenarios/examples/time-to-event.toml").endpoint("death")
        >>> ep.describe()
        'hazard ratio 0.7; median 17.14 vs 12 months'
        """
        hr = self.hazard_ratio(ep)
        ratio = f"hazard ratio {hr:.4g}" if hr is not None else "non-proportional hazards"
        t, c = self.arm(ep, "treatment").median, self.arm(ep, "control").median
        return f"{ratio}; median {t:.4g} vs {c:.4g} months"

    def effect_phrase(self, ep: Endpoint, label: str, unit: str, t_arm: str, c_arm: str) -> str:
        """The hazard ratio and the medians, in a sentence."""
        hr = self.hazard_ratio(ep)
        t, c = self.arm(ep, "treatment").median, self.arm(ep, "control").median
        ratio = f"a hazard ratio for {label} of {hr:.4g}" if hr is not None \
            else f"a difference in {label} (non-proportional hazards)"
        return f"{ratio} (median {t:.4g} months {t_arm} vs {c:.4g} {c_arm})"

    # ---------------------------------------------------------------- simulated and closed form

    def looks_summary(self, ep: Endpoint, n_t: int, n_c: int, stages: list[dict]
                      ) -> dict[str, Any]:
        """Events and calendar months of a group-sequential design's looks, and their means.

        ``stages`` is a design block's (``simtrial power`` JSON ``design.stages``: each look's
        ``information`` and simulated ``reject`` probability). Look k is at ``round(t_k D)``
        events (``analysis.events = D``; the looks of the survival model's nested-sample
        simulator when n is not small against D), expected at the month ``time_of_events``
        gives (Lachin-Foulkes); the trial stops at look k with the probability of rejecting
        there (the rest at the last look), which weighs the ``expected_events`` and
        ``expected_duration`` (rpact ``getPowerSurvival``'s ``expectedNumberOfEvents`` and
        ``studyDuration``). None for an analysis at calendar months only.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> from simtrial.simulate import power
        >>> sc = load_scenario("scenarios/examples/time-to-event-sequential.toml")
        >>> ep = sc.endpoint("death")
        >>> res = power(sc, 600, reps=2000)
        >>> out = ep.model.looks_summary(ep, 300, 300, res.design["stages"])
        >>> out["events"], [round(t, 2) for t in out["analysis_time"]]  # rpact: 13.26 18.04 24.51
        ([170, 255, 340], [13.26, 18.04, 24.51])
        >>> 240 < out["expected_events"] < 280  # rpact: 259.0
        True
        """
        from simtrial import events as ev

        target, _ = self.analysis_of(ep)
        if not target:
            return {"events": None, "analysis_time": None, "expected_events": None,
                    "expected_duration": None}
        looks = [max(1, round(stage["information"] * target[0])) for stage in stages]
        accrual, arms, dropout = self.accrual(ep, n_t + n_c), self.arms(ep), self.dropouts(ep)
        times = [ev.time_of_events(d, accrual, arms, (n_t, n_c), dropout) for d in looks]
        reject = [stage["reject"] for stage in stages[:-1]]
        stop = [*reject, 1.0 - sum(reject)]
        return {"events": looks, "analysis_time": times,
                "expected_events": sum(p * d for p, d in zip(stop, looks, strict=True)),
                "expected_duration": sum(p * t for p, t in zip(stop, times, strict=True))}

    def simulated_fields(self, ep: Endpoint, statistics: np.ndarray) -> dict[str, Any]:
        """Means over replicates of the SURVIVAL rows at the analysis.

        ``events`` (observed events, both arms), ``duration`` (calendar month of the
        analysis), ``n`` (patients randomised by then); ``hazard_ratio_median`` and
        ``hazard_ratio_mean``, the median and mean of the Cox estimates of the hazard ratio
        (stratified with strata) over the replicates where it is finite (not when all events
        are in one arm).
        """
        import numpy as np

        means = statistics.mean(axis=0)
        ratios = np.exp(statistics[:, 8])
        ratios = ratios[np.isfinite(ratios)]
        return {"events": float(means[0]), "duration": float(means[4]), "n": float(means[5]),
                "hazard_ratio_median": float(np.median(ratios)) if ratios.size else None,
                "hazard_ratio_mean": float(ratios.mean()) if ratios.size else None}

    def annotations(self, ep: Endpoint, n_t: int, n_c: int, alpha: float, alternative: str
                    ) -> dict[str, Any]:
        """Expected events and duration (Lachin-Foulkes), Schoenfeld and Freedman power.

        ``analytic_duration`` is the calendar time of the analysis when the expected events
        (:func:`simtrial.events.expected_events`) are the data: the time the target is
        expected (:func:`~simtrial.events.time_of_events`), or ``months``, whichever is
        first; with neither reachable, the last event's time is unbounded and the expected
        events are those of unlimited follow-up. ``analytic_events`` is the expected events
        then. ``analytic_power`` is Schoenfeld's power at ``analytic_events`` and
        ``analytic_power_freedman`` Freedman's, at the allocation ``n_t / n_c`` (None with a
        hazard ratio that is not constant, or Fleming-Harrington weights). With strata the
        expected events are the strata's, weighted by their prevalence (the hazard ratio is
        the same in every stratum, so Schoenfeld's power of the stratified test is the same
        function of the events).
        """
        from simtrial import events as ev
        from simtrial.errors import InputError

        strata = self.strata_arms(ep)
        accrual, dropout = self.accrual(ep, n_t + n_c), self.dropouts(ep)
        allocation = (n_t, n_c)

        def expected_at(t: float) -> float:
            return sum(p * float(ev.expected_events(t, accrual, arms, allocation, dropout))
                       for p, arms in strata)

        target, months = self.analysis_of(ep)
        duration = months[0] if months else math.inf
        if target and len(strata) == 1:
            try:
                duration = min(duration, ev.time_of_events(target[0], accrual, strata[0][1],
                                                           allocation, dropout))
            except InputError:  # never reached: the months, or unlimited follow-up
                pass
        elif target and target[0] < expected_at(1e9) * (1 - 1e-9):
            from simtrial.events.expected import _increasing_root

            duration = min(duration, _increasing_root(lambda t: expected_at(t) - target[0], 1.0))
        expected = expected_at(duration) if math.isfinite(duration) else expected_at(1e9)
        out: dict[str, Any] = {"analytic_events": expected,
                               "analytic_duration": duration if math.isfinite(duration) else None}
        hr = self.hazard_ratio(ep)
        weighted = any(self.weights_of(ep).values())
        if ep.margin is not None and hr is not None and expected > 0:
            return {**out, **_margin_power(ep, hr, expected, alpha, n_t / n_c)}
        if hr is None or hr == 1 or expected <= 0 or weighted:
            why = ("Fleming-Harrington weights" if weighted else "no constant hazard ratio"
                   if hr is None else "a hazard ratio of 1" if hr == 1 else "no expected events")
            return {**out, "analytic_power": None, "analytic_power_freedman": None,
                    "analytic_note": f"no Schoenfeld or Freedman power: {why}"}
        args = (expected, hr, alpha, n_t / n_c, alternative)
        return {**out, "analytic_power": ev.schoenfeld_power(*args),
                "analytic_power_freedman": ev.freedman_power(*args),
                "analytic_note": "Schoenfeld (1981) at the expected events (Lachin-Foulkes)"}
