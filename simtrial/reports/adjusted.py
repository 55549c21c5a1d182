"""The report's baseline-adjustment numbers: each adjusted endpoint by ANCOVA, change and t test.

An endpoint is *baseline-adjusted* when it declares a ``baseline`` and its test reads it
(``ancova`` or ``change``). For each, :func:`baseline_adjustment` gives the sample size for the
report's target power by ANCOVA, by the change-from-baseline t test and by the unadjusted t
test (:func:`simtrial.adjustment.adjustment_comparison`: closed forms, Borm 2007, and the
simulated search), with the baseline correlation and its provenance. Each endpoint is sized on
its own (:func:`simtrial.scenario.keys.endpoint_alone`: its own test at the full alpha, as a
sample-size justification states it), not after the multiplicity procedure, whose power
depends on the other endpoints.
"""

from __future__ import annotations

from typing import Any

from simtrial.adjustment import adjustment_comparison
from simtrial.scenario import Endpoint, Scenario
from simtrial.scenario.keys import endpoint_alone

__all__ = ["ADJUSTED_TESTS", "adjusted_endpoints", "baseline_adjustment"]

#: The tests that read an endpoint's baseline.
ADJUSTED_TESTS = ("ancova", "change")


def adjusted_endpoints(sc: Scenario) -> list[Endpoint]:
    """The endpoints analysed with their baseline, in the scenario's order.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> [ep.id for ep in adjusted_endpoints(load_scenario("msc-covid19"))]
    ['sf36_gh', 'walk_m']
    """
    return [ep for ep in sc.endpoints
            if ep.test in ADJUSTED_TESTS and "baseline" in ep.extra]


def baseline_adjustment(sc: Scenario, target: float, reps: int, seed: int,
                        jobs: int | None) -> list[dict[str, Any]] | None:
    """Sample size with and without adjustment of every baseline-adjusted endpoint.

    Returns
    -------
    list of dict or None
        None without a baseline-adjusted endpoint. Otherwise one entry per endpoint: the
        result of :func:`~simtrial.adjustment.adjustment_comparison` (``endpoint``, ``rho``,
        ``target_power``, ``analyses``, ``ratio_closed_form``) for the endpoint alone, each
        analysis with ``ratio_closed_form`` and ``ratio_simulated`` (its n over the t test's;
        None without both), and ``ratio_simulated`` (ANCOVA's), ``ratio_expected``
        (``1 - rho^2``), ``baseline`` (the endpoint's baseline table: ``rho`` and, where
        given, ``mean`` and ``sd``),
        ``provenance`` (of ``baseline.rho``: basis, source or reason; None without one),
        ``reps`` and ``seed``.
    """
    adjusted = adjusted_endpoints(sc)
    if not adjusted:
        return None
    out = []
    for ep in adjusted:
        res = adjustment_comparison(endpoint_alone(sc, ep.id), ep.id, target, reps=reps,
                                    seed=seed, jobs=jobs)
        unadjusted = res["analyses"][-1]  # the t test, ANALYSES' last
        analyses = [{**a, **{f"ratio_{how}": _ratio(a[f"n_{how}"], unadjusted[f"n_{how}"])
                             for how in ("closed_form", "simulated")}}
                    for a in res["analyses"]]
        prov = sc.provenance.get(f"endpoints.{ep.id}.baseline.rho")
        out.append({**res, "analyses": analyses,
                    "ratio_simulated": analyses[0]["ratio_simulated"],
                    "ratio_expected": 1 - res["rho"] ** 2,
                    "baseline": dict(ep.extra["baseline"]),
                    "provenance": prov.to_dict() if prov is not None else None,
                    "reps": reps, "seed": seed})
    return out


def _ratio(n: int | None, reference: int | None) -> float | None:
    return None if n is None or reference is None else n / reference
