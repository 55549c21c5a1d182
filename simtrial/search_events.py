r"""Sample size of an event-driven time-to-event analysis: the events, then the patients.

The power of a log-rank test analysed at the D-th event depends on D, not on how many patients
were randomised to produce them (Schoenfeld). So for an endpoint whose ``analysis`` has
``events``, :func:`events_sample_size` solves for **D**, the smallest number of events whose
simulated power reaches the target, and then reports the **patients** a plan needs to observe D
events (what rpact's ``getSampleSizeSurvival`` does after its events formula):

* no follow-up given (``follow_up=None``): the patients are the ``[trial] accrual`` as written
  (its months times its rates), the analysis is at the D-th event whenever it comes (rpact with
  absolute ``accrualIntensity`` and an end of accrual: ``analysisTime`` solved);
* ``follow_up`` and ``keep="rate"``: recruitment runs at the accrual's rates (past its last
  period at the last rate) until the n patients are in, n chosen so that D events are
  expected ``follow_up`` months after the last one is randomised
  (:func:`simtrial.events.accrual_for_events`; rpact with absolute intensities and
  ``followUpTime``): this is the n of ``simtrial power``;
* ``follow_up`` and ``keep="duration"``: the accrual's periods are kept and its rates scaled
  so that D events are expected ``follow_up`` months after accrual ends
  (:func:`simtrial.events.patients_for_events`; rpact with relative intensities and
  ``followUpTime``).

n is rounded up to a whole patient. The simulated power at D is that of ``simtrial power`` at
that n on the scenario with ``analysis.events = D`` (and, with ``keep="duration"``, the scaled
``trial.accrual.per_month``), the same reps and seed: :func:`plan_scenario` builds it. A
``months`` in the analysis is kept (whichever comes first).

The search is :func:`simtrial.search.sample_size`'s on D instead of n: probit(power) is a
straight line in :math:`\sqrt{D}` with Schoenfeld's slope :math:`\sqrt{r}/(1+r)|\log\Delta|`
(r the allocation ratio, :math:`\Delta` the hazard ratio), so one simulated point at
Schoenfeld's D fixes its level; the answer is where the simulated power crosses the target,
reaching it at D and not at D - 1.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from simtrial import events as ev
from simtrial import rng
from simtrial._version import __version__
from simtrial.endpoints.survival import Survival
from simtrial.errors import InputError, TargetNotReached
from simtrial.results import SampleSizeResult
from simtrial.scenario import Endpoint, Scenario, load_scenario
from simtrial.search import _crossing, _mcse, _solve
from simtrial.simulate import simulated_power

__all__ = ["KEEP", "event_driven", "events_sample_size", "plan_patients", "plan_scenario"]

#: What a follow-up keeps fixed while the patients are solved.
KEEP = ("rate", "duration")


def event_driven(ep: Endpoint) -> bool:
    """Whether ``ep`` is analysed at a number of events (its sample size is one of events).

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> event_driven(load_scenario("scenarios/examples/time-to-event.toml").endpoint("death"))
    True
    """
    return "events" in ep.extra.get("analysis", {})


def plan_patients(scenario: Scenario, ep: Endpoint, events: float, follow_up: float | None = None,
                  keep: str = "rate") -> tuple[int, ev.Accrual]:
    """Patients randomised (a whole number) and their accrual for ``events`` events.

    See the module's docstring for the three plans. Raises :class:`InputError` when the
    accrual as written cannot be expected to give ``events`` events (no ``follow_up``).

    Examples
    --------
    The example scenario recruits 50 a month for 12 months (600 patients); 364 events
    expected 12 months after the last patient need 664 patients at 50 a month (13.28 months
    of accrual), or 676 in the 12 months (56.33 a month); with no follow-up given, the 600 of
    the accrual as written (rpact's cases are checked in tests/test_tte_samplesize.py):

    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("scenarios/examples/time-to-event.toml")
    >>> n, accrual = plan_patients(sc, sc.endpoint("death"), 364, follow_up=12)
    >>> n, round(accrual.duration, 2)
    (664, 13.28)
    >>> n, accrual = plan_patients(sc, sc.endpoint("death"), 364, 12, keep="duration")
    >>> n, accrual.duration, round(accrual.rates[0], 2)
    (676, 12.0, 56.33)
    >>> n, accrual = plan_patients(sc, sc.endpoint("death"), 364)
    >>> n, accrual.duration
    (600, 12.0)
    """
    model = _survival(ep)
    months, per_month = ep.extra["accrual"]
    written = ev.Accrual.periods(months, per_month)
    arms, dropout = model.arms(ep), model.dropouts(ep)
    allocation = scenario.trial.allocation
    if follow_up is None:
        n = math.ceil(written.n - 1e-9)
        most = float(ev.expected_events(1e9, written, arms, allocation, dropout))
        if events > most * (1 - 1e-9):
            raise InputError(f"endpoint {ep.id!r}: {events:g} events are not expected from the "
                             f"{n} patients of [trial] accrual (at most {most:.1f}); give a "
                             "follow-up (--follow-up MONTHS) so that the patients are solved")
        return n, written.extended_to(n)
    if keep == "rate":
        n = math.ceil(ev.accrual_for_events(events, written, arms, follow_up, allocation,
                                            dropout).n - 1e-9)
        return n, written.extended_to(n)
    n = math.ceil(ev.patients_for_events(events, written, arms, follow_up, allocation,
                                         dropout) - 1e-9)
    return n, written.scaled_to(n)


def plan_scenario(scenario: Scenario, ep: Endpoint, events: int, accrual: ev.Accrual
                  ) -> Scenario:
    """``scenario`` with the analysis at ``events`` events and the accrual's rates.

    ``simtrial power --n N`` of this scenario is the power the search reports at ``events``.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("scenarios/examples/time-to-event.toml")
    >>> ep = sc.endpoint("death")
    >>> plan = plan_scenario(sc, ep, 300, ev.Accrual.constant(12, 40))
    >>> dict(plan.endpoint("death").extra["analysis"]), plan.trial.accrual
    ({'events': 300.0, 'months': 48.0}, ((12.0,), (40.0,)))
    """
    values: dict = {f"endpoints.{ep.id}.analysis.events": int(events)}
    months, per_month = ep.extra["accrual"]
    if any(a != b for a, b in zip(accrual.rates, per_month, strict=False)):
        scale = accrual.n / ev.Accrual.periods(months, per_month).n  # keep="duration"
        rates = [float(r * scale) for r in per_month]
        values["trial.accrual.per_month"] = rates[0] if len(rates) == 1 else rates
    return scenario.with_values(values)


def events_sample_size(scenario: Scenario | str, endpoint: str, target_power: float, *,
                       follow_up: float | None = None, keep: str = "rate",
                       reps: int = 10_000, seed: int = rng.DEFAULT_SEED,
                       jobs: int | None = None) -> SampleSizeResult:
    """Smallest number of events whose simulated log-rank power reaches ``target_power``.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a built-in name or file path.
    endpoint : str
        Id of a time-to-event endpoint analysed at a number of events.
    target_power : float
        In (0, 1).
    follow_up : float, optional
        Months from the last patient randomised to the expected D-th event; None: the
        accrual as written (see the module's docstring).
    keep : {"rate", "duration"}
        With ``follow_up``: keep the accrual's rates (its duration is solved) or its
        duration (its rates are scaled).
    reps, seed, jobs
        As for :func:`simtrial.simulate.power`.

    Returns
    -------
    SampleSizeResult
        ``n_total`` is the plan's patients for the events found; its ``events`` block holds
        ``events`` (D), Schoenfeld's and Freedman's events at the allocation, the expected
        analysis time, and the plan; the trace's points carry ``events`` and ``n_total``.
        With a group-sequential ``[design]``, D is the maximum number of events (the last
        look's), the power the design's overall power, ``design`` its operating
        characteristics at D, and the closed forms' events are inflated by the design
        (:func:`_inflation`).

    Examples
    --------
    >>> res = events_sample_size("scenarios/examples/time-to-event.toml", "death", 0.8,
    ...                          reps=2000)
    >>> block = res.to_dict()["events"]
    >>> round(block["schoenfeld_events"], 2), round(block["freedman_events"], 2)
    (271.19, 248.41)
    >>> block["events"] < block["schoenfeld_events"] + 4 * block["events_mcse"]
    True
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    ep = _events_sample_size_iv(scenario, endpoint, target_power, follow_up, keep, reps, seed,
                                jobs)
    trial = scenario.trial
    a_t, a_c = trial.allocation
    ratio = a_t / a_c
    hr = ep.model.hazard_ratio(ep)
    inflation = _inflation(scenario, target_power)
    closed = None if hr is None or hr == 1 else {
        name: inflation * formula(hr, trial.alpha, target_power, ratio, trial.alternative)
        for name, formula in (("schoenfeld", ev.schoenfeld_events),
                              ("freedman", ev.freedman_events))}
    results: dict[int, SimpleNamespace] = {}
    trace: list[dict] = []

    def simulate(events: int, stage: str) -> SimpleNamespace:
        if events not in results:
            n, accrual = plan_patients(scenario, ep, events, follow_up, keep)
            plan = plan_scenario(scenario, ep, events, accrual)
            out = simulated_power(plan, n, reps=reps, seed=seed, endpoints=[ep.id], jobs=jobs)
            res = out.endpoints[0]
            results[events] = SimpleNamespace(n=n, accrual=accrual, result=res,
                                              design=out.design)
            trace.append({"events": events, "n_total": n, "power": res.power,
                          "mcse": res.mcse, "reps": reps, "stage": stage})
        return results[events]

    most = _most_events(scenario, ep, follow_up)

    def evaluate(ds: np.ndarray) -> np.ndarray:
        return np.array([simulate(int(d), "search").result.power for d in ds])

    if closed is not None:
        centre = min(most, max(2, math.ceil(closed["schoenfeld"])))
        slope = math.sqrt(ratio) / (1 + ratio) * abs(math.log(hr))
    else:  # non-proportional hazards: the median-equivalent hazard ratio's Schoenfeld D
        ratio_of_medians = ep.location_of("treatment") / ep.location_of("control")
        centre = min(most, max(2, math.ceil(ev.schoenfeld_events(
            ratio_of_medians, trial.alpha, target_power, ratio, trial.alternative))
            if ratio_of_medians != 1 else 100))
        slope = None
    fitted = _solve(evaluate, centre, target_power, 2, most, reps, sqrt=True, slope=slope)
    if fitted is None:
        raise _not_reached(ep, target_power, most, trace)
    events = _crossing(int(fitted), lambda d: simulate(d, "final").result.power, target_power,
                       2, most)
    if events is None:
        raise _not_reached(ep, target_power, most, trace)
    final = results[events]
    res = final.result
    below = results.get(events - 1)
    n_t, n_c = trial.split(final.n)
    model = _survival(ep)
    arms, dropout = model.arms(ep), model.dropouts(ep)
    block = {
        "events": events,
        "events_mcse": _events_mcse(res.power, reps, events, slope),
        "schoenfeld_events": None if closed is None else closed["schoenfeld"],
        "freedman_events": None if closed is None else closed["freedman"],
        "closer": None if closed is None else min(
            closed, key=lambda name: abs(closed[name] - events)),
        "events_minus_one": None if below is None else {
            "events": events - 1, "n_total": below.n, "power": below.result.power,
            "mcse": below.result.mcse},
        "follow_up": follow_up, "keep": keep if follow_up is not None else None,
        "accrual": {"months": [float(m) for m in np.diff((0.0, *final.accrual.ends))],
                    "per_month": [float(r) for r in final.accrual.rates]},
        "accrual_duration": float(final.accrual.duration),
        "analysis_time": ev.time_of_events(events, final.accrual, arms, trial.allocation,
                                           dropout),
        "simulated_events": res.events, "simulated_duration": res.duration,
        "inflation_factor": inflation,
        "closed_form_n": None if closed is None else plan_patients(
            scenario, ep, closed["schoenfeld"], follow_up, keep)[0],
    }
    return SampleSizeResult(
        scenario=scenario.name, endpoint=ep.id, label=ep.label, test=ep.test,
        effect=ep.describe(), target_power=target_power, n_total=final.n,
        n_per_arm={"treatment": n_t, "control": n_c}, arms=trial.arms,
        allocation=trial.allocation, alpha=trial.alpha, alternative=trial.alternative,
        power=res.power, mcse=res.mcse, ci=res.ci,
        n_minus_step=None, analytic_n=block["closed_form_n"], dropout=ep.dropout,
        expected_assessed=res.expected_assessed, naive_inflation_n=None,
        method="events searched (one simulation per number of events, same seed); patients "
               "from the plan", reps=reps, seed=seed, version=__version__, trace=tuple(trace),
        design=final.design, events=block)


def _inflation(scenario: Scenario, target_power: float) -> float:
    """Events of the scenario's group-sequential design over the fixed design's (1 without).

    Schoenfeld's and Freedman's events times :func:`simtrial.design.plan.inflation_factor` are
    rpact ``getSampleSizeSurvival``'s ``maxNumberOfEvents`` with that design.
    """
    design = scenario.design
    if design is None:
        return 1.0
    from simtrial.design.plan import inflation_factor

    factor = inflation_factor(design, target_power)
    assert factor is not None  # the search checked target_power
    return factor


def _survival(ep: Endpoint) -> Survival:
    """The time-to-event model of an endpoint :func:`event_driven` accepted."""
    model = ep.model
    assert isinstance(model, Survival)  # event_driven: only its endpoints have an analysis
    return model


def _events_mcse(power: float, reps: int, events: int, slope: float | None) -> float | None:
    r"""The Monte Carlo error of the events found, through the power curve's slope.

    A power MCSE :math:`s` moves the crossing by :math:`s / (dP/dD)` events, with
    :math:`dP/dD = \phi(\Phi^{-1}(P))\, c / (2\sqrt{D})` for probit slope c in sqrt(D).
    """
    if slope is None or not 0 < power < 1:
        return None
    from scipy import special, stats

    density = stats.norm.pdf(special.ndtri(power)) * slope / (2 * math.sqrt(events))
    return float(_mcse(power, reps) / density)


def _most_events(scenario: Scenario, ep: Endpoint, follow_up: float | None) -> int:
    """Largest number of events searched: those the plan can be expected to reach."""
    if follow_up is not None:
        return 10**7
    months, per_month = ep.extra["accrual"]
    written = ev.Accrual.periods(months, per_month)
    model = _survival(ep)
    most = float(ev.expected_events(1e9, written, model.arms(ep), scenario.trial.allocation,
                                    model.dropouts(ep)))
    return max(2, math.floor(most * (1 - 1e-9)))


def _not_reached(ep: Endpoint, target: float, most: int, trace: list[dict]) -> TargetNotReached:
    last = max(trace, key=lambda p: p["events"]) if trace else None
    power = "" if last is None else (f" (simulated power {last['power']:.4f} at "
                                     f"{last['events']} events)")
    return TargetNotReached(f"endpoint {ep.id!r}: power {target:g} is not reached by {most} "
                            f"events{power}; give a longer follow-up or more patients, or a "
                            "later analysis.months")


def _events_sample_size_iv(scenario, endpoint, target_power, follow_up, keep, reps, seed, jobs):
    from simtrial.search import _check_integer, _check_target

    _check_target(target_power)
    _check_integer("reps", reps, 1)
    _check_integer("seed", seed, 0)
    if jobs is not None:
        _check_integer("jobs", jobs, 1)
    ep = scenario.endpoint(endpoint)
    if not event_driven(ep):
        raise InputError(f"endpoint {ep.id!r}: the events are searched for a time-to-event "
                         "endpoint analysed at a number of events (analysis = { events = ... })")
    if follow_up is not None and not (isinstance(follow_up, int | float)
                                      and math.isfinite(follow_up) and follow_up >= 0):
        raise InputError(f"`follow_up` must be a number of months >= 0, got {follow_up!r}")
    if keep not in KEEP:
        raise InputError(f"`keep` must be one of {', '.join(KEEP)}, got {keep!r}")
    return ep
