"""What a power result prints besides the simulation: closed forms, exact power, safety.

:func:`simtrial.simulate.simulated_power` estimates power; :func:`annotate` adds, per endpoint,
the textbook closed form at the expected numbers assessed (:mod:`simtrial.analytic`; a
time-to-event endpoint's model gives its own: expected events and duration, Schoenfeld's and
Freedman's power, :meth:`simtrial.endpoints.survival.Survival.annotations`), the exact
power of a binary test by enumeration (:mod:`simtrial.exact`, which can take a second) and the
safety summary of a safety endpoint (the endpoint model's ``summary``). :func:`simtrial.power`
does both; searches, sweeps and sensitivity runs call the simulation alone, or annotate only
the closed form (``exact=False``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from simtrial import analytic, exact

if TYPE_CHECKING:
    from simtrial.results import PowerResult
    from simtrial.scenario import Scenario

__all__ = ["annotate"]

#: Why an endpoint tested at the stopping look of a group-sequential trial has no closed form.
_AT_STOP = ("tested at the look where the primary endpoint stops the trial; no single-analysis "
            "formula applies (simtrial.design.family.secondary_rejection_probability gives the "
            "bivariate normal model's)")


def annotate(result: PowerResult, scenario: Scenario, *, exact_power: bool = True
             ) -> PowerResult:
    """``result`` with each endpoint's closed form, exact power and safety summary filled in.

    Parameters
    ----------
    result : PowerResult
        From :func:`simtrial.simulate.simulated_power` on ``scenario``.
    scenario : Scenario
        The scenario it was simulated from.
    exact_power : bool
        Whether to enumerate the exact power of binary tests (and give the safety summary);
        without it only the closed form is added (what a sweep's rows carry).

    Examples
    --------
    >>> from simtrial.simulate import simulated_power
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("msc-covid19")
    >>> bare = simulated_power(sc, 400, reps=1000, endpoints=["walk_lln"])
    >>> ep = annotate(bare, sc).endpoint("walk_lln")
    >>> round(ep.analytic_power, 4), round(ep.exact_power, 4), ep.power == bare.endpoints[0].power
    (0.8755, 0.8797, True)
    """
    trial = scenario.trial
    n_t, n_c = result.n_per_arm["treatment"], result.n_per_arm["control"]
    endpoints = []
    at_stop = {row["id"] for row in (result.design or {}).get("family", {}).get("endpoints", ())}
    for res in result.endpoints:
        ep = scenario.endpoint(res.id)
        value: float | None
        note: str | None
        if res.id in at_stop:  # simtrial.design.family: no single-analysis formula applies
            res = replace(res, analytic_note=_AT_STOP, exact_note=_AT_STOP)
            endpoints.append(res)
            continue
        if result.design is not None:  # the design's canonical normal model, not the fixed n's
            closed = result.design["closed_form"]
            value, note = ((None, f"no drift formula for the {ep.test} test") if closed is None
                           else (closed["h1"]["power"], "canonical normal model of the "
                                 "group-sequential design (as rpact getPowerMeans/getPowerRates)"))
        else:
            value, note = analytic.endpoint_closed_form(ep, n_t, n_c, trial.alpha,
                                                        trial.alternative)
        res = replace(res, analytic_power=value, analytic_note=note)
        model_forms = ep.model.annotations(ep, n_t, n_c, trial.alpha, trial.alternative)
        if model_forms is not None and result.design is None:  # time-to-event closed forms
            res = replace(res, **model_forms)
        if exact_power:
            value, note = exact.endpoint_exact(ep, n_t, n_c, trial.alpha, trial.alternative)
            res = replace(res, exact_power=value, exact_note=note,
                          safety=ep.model.summary(ep, n_t, n_c))
        endpoints.append(res)
    return replace(result, endpoints=tuple(endpoints))
