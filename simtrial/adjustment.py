"""What adjusting for baseline buys: an endpoint's sample size by ANCOVA, change score and t test.

For an endpoint with a ``baseline``, :func:`adjustment_comparison` finds the sample size of the
same endpoint analysed three ways (the same scenario with only its ``test`` changed,
:func:`simtrial.scenario.keys.with_test`): ANCOVA, the change-from-baseline t test, and the
unadjusted t test of the follow-up value. This is the table a sample-size justification shows
next to an ANCOVA analysis (the saving is about the factor ``1 - rho^2``; Borm, Fransen and
Lemmens, J Clin Epidemiol 2007;60:1234-8).
"""

from __future__ import annotations

from typing import Any

from simtrial import rng
from simtrial.errors import InputError
from simtrial.scenario import Scenario, load_scenario
from simtrial.scenario.keys import with_test

__all__ = ["ANALYSES", "adjustment_comparison"]

#: The analyses compared, adjusted first.
ANALYSES = ("ancova", "change", "ttest")


def adjustment_comparison(scenario: Scenario | str, endpoint: str, target_power: float, *,
                          simulate: bool = True, reps: int = 10_000,
                          seed: int = rng.DEFAULT_SEED, jobs: int | None = None
                          ) -> dict[str, Any]:
    """Sample size of ``endpoint`` with and without adjustment for its baseline.

    Parameters
    ----------
    scenario : Scenario or str
    endpoint : str
        Id of an endpoint with a ``baseline`` table (any of its tests).
    target_power : float
    simulate : bool
        Also search the simulated sample size (:func:`simtrial.search.sample_size`, at
        ``reps`` and ``seed``); otherwise only the closed forms.
    reps, seed, jobs
        As for :func:`simtrial.search.sample_size`.

    Returns
    -------
    dict
        ``endpoint``, ``rho`` (baseline correlation), ``target_power``, and ``analyses``: one
        dict per test in :data:`ANALYSES` with ``test``, ``title``, ``residual_sd`` (the sd its
        closed form uses; None without one), ``n_closed_form`` and ``n_simulated`` (None when
        not computed). ``ratio_closed_form`` is ANCOVA's closed-form n over the t test's
        (about ``1 - rho^2``).

    Examples
    --------
    >>> res = adjustment_comparison("ancova-walk", "walk_m", 0.9, simulate=False)
    >>> [(a["test"], a["n_closed_form"]) for a in res["analyses"]]
    [('ancova', 247), ('change', 308), ('ttest', 384)]
    >>> round(res["ratio_closed_form"], 3), round(1 - res["rho"] ** 2, 3)
    (0.643, 0.64)
    """
    from simtrial.search import analytic_sample_size, sample_size
    from simtrial.stattests import TESTS
    from simtrial.stattests.baseline import residual_sd

    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    ep = scenario.endpoint(endpoint)
    if "baseline" not in ep.extra:
        raise InputError(f"endpoint {endpoint!r} has no baseline table: nothing to adjust for "
                         "(add baseline = { rho = ... })")
    analyses: list[dict[str, Any]] = []
    for test in ANALYSES:
        variant = with_test(scenario, endpoint, test)
        ep_test = variant.endpoint(endpoint)
        simulated = sample_size(variant, endpoint, target_power, reps=reps, seed=seed,
                                jobs=jobs).n_total if simulate else None
        analyses.append({"test": test, "title": TESTS[test].title,
                         "residual_sd": residual_sd(ep_test, test),
                         "n_closed_form": analytic_sample_size(ep_test, variant.trial,
                                                               target_power),
                         "n_simulated": simulated})
    closed: list[int | None] = [a["n_closed_form"] for a in analyses]
    return {"endpoint": endpoint, "rho": ep.extra["baseline"]["rho"],
            "target_power": target_power, "analyses": analyses,
            "ratio_closed_form": (closed[0] / closed[2] if closed[0] is not None
                                  and closed[2] is not None else None)}
