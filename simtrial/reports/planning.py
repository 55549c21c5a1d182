"""The numbers of the report's planning sections, each None where the section does not apply.

- :func:`interim` — the interim analysis plan of a group-sequential ``[design]``
  (:func:`simtrial.design.plan.interim_plan` at the chosen n).
- :func:`probability_of_success` — assurance of each endpoint with a design prior
  (:func:`simtrial.assurance.assurance`), fewer prior draws and trials than ``reps`` so that
  the report stays fast (:func:`assurance_sizes`).
- :func:`primary_choice` — the sample size each candidate primary (``[analysis] candidates``)
  would need for the target power (:func:`simtrial.search.sample_size`, same reps and seed).
- :func:`time_to_event` — events, analysis time and Schoenfeld's and Freedman's events for
  every time-to-event endpoint.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from simtrial.assurance import assurance
from simtrial.design.plan import interim_plan
from simtrial.endpoints.survival import Survival
from simtrial.errors import InputError, TargetNotReached
from simtrial.events import freedman_events, schoenfeld_events
from simtrial.priors import benefit_probability
from simtrial.results import PowerResult, SampleSizeResult
from simtrial.scenario import Analysis, Scenario
from simtrial.search import sample_size

__all__ = ["assurance_sizes", "interim", "primary_choice", "probability_of_success",
           "time_to_event"]


def interim(sc: Scenario, n: int, reps: int, seed: int, jobs: int | None) -> dict | None:
    """The interim analysis plan at maximum sample size `n`, None without a ``[design]``."""
    if sc.design is None:
        return None
    return interim_plan(sc, n, reps=reps, seed=seed, jobs=jobs)


def assurance_sizes(reps: int) -> tuple[int, int]:
    """Prior draws and trials per draw for the report's assurance, from its `reps`.

    A tenth of `reps` draws and a fiftieth as trials (at least 50 each): at 10,000 reps,
    1,000 draws of 200 trials, whose two-level MCSE is dominated by the spread of power over
    the prior, and which cost about 20 power runs of one endpoint at `reps`.

    Examples
    --------
    >>> assurance_sizes(10_000), assurance_sizes(1000)
    ((1000, 200), (100, 50))
    """
    return max(50, reps // 10), max(50, reps // 50)


def probability_of_success(sc: Scenario, n: int, reps: int, seed: int,
                           jobs: int | None) -> list[dict] | None:
    """Assurance at `n` of each endpoint that a prior is on, the primary first.

    Each entry is :meth:`simtrial.assurance.AssuranceResult.to_dict` with
    ``exact_benefit_probability``: the probability of a beneficial effect under the
    endpoint's own prior where it has one on its effect (None else; the result's
    ``benefit_probability`` counts beneficial draws when several priors are drawn). An
    endpoint whose assurance cannot be computed (with a ``[design]``, any but the primary)
    gets ``{"endpoint", "note"}``. None without ``[[priors]]``.
    """
    if not sc.priors:
        return None
    draws, trials = assurance_sizes(reps)
    primary = sc.analysis.primary or sc.endpoints[0].id
    with_prior = list(dict.fromkeys(p.endpoint_id for p in sc.priors if p.endpoint_id))
    ordered = sorted(with_prior, key=lambda e: (e != primary, with_prior.index(e)))
    out: list[dict[str, Any]] = []
    for ep_id in ordered:
        try:
            res = assurance(sc, n, draws=draws, reps=trials, seed=seed, endpoint=ep_id,
                            jobs=jobs)
        except InputError as exc:
            out.append({"endpoint": ep_id, "note": str(exc)})
            continue
        own = [p for p in sc.priors if p.endpoint_id == ep_id]
        exact = benefit_probability(own[0], sc.endpoint(ep_id)) if len(own) == 1 else None
        out.append({**res.to_dict(), "exact_benefit_probability": exact})
    return out


def primary_choice(sc: Scenario, primary: str, found: SampleSizeResult, at_n: PowerResult,
                   target: float, reps: int, seed: int, jobs: int | None) -> dict | None:
    """What each candidate primary would need, None without ``[analysis] candidates``.

    The chosen primary's row is the report's search; each candidate's is the search for it
    as the only hypothesis (its own test at the full alpha, as the first endpoint of a fixed
    sequence is tested), with the same reps and seed. ``power_at_n`` is every row's test
    alone at the chosen n (``power_unadjusted`` of ``simtrial power``).
    """
    if not sc.analysis.candidates:
        return None
    rows = [_choice_row(found, at_n, reps)]
    for ep_id in sc.analysis.candidates:
        alone = replace(sc, analysis=Analysis(primary=ep_id))
        try:
            rows.append(_choice_row(sample_size(alone, ep_id, target, reps=reps, seed=seed,
                                                jobs=jobs), at_n, reps))
        except TargetNotReached as exc:
            rows.append({"endpoint": ep_id, "n_total": None, "note": str(exc),
                         **_power_alone(at_n, ep_id, reps)})
    return {"target_power": target, "primary": primary, "reps": reps, "seed": seed,
            "rows": rows}


def _choice_row(found: SampleSizeResult, at_n: PowerResult, reps: int) -> dict:
    return {"endpoint": found.endpoint, "n_total": found.n_total,
            "n_per_arm": dict(found.n_per_arm), "power": found.power, "mcse": found.mcse,
            "analytic_n": found.analytic_n, **_power_alone(at_n, found.endpoint, reps)}


def _power_alone(at_n: PowerResult, ep_id: str, reps: int) -> dict:
    e = at_n.endpoint(ep_id)
    p = e.power if e.power_unadjusted is None else e.power_unadjusted
    return {"power_at_n": p, "power_at_n_mcse": (p * (1 - p) / reps) ** 0.5}


def time_to_event(sc: Scenario, at_n: PowerResult, target: float) -> list[dict] | None:
    """Events and timing of each time-to-event endpoint at the chosen n, None without one.

    Besides ``simtrial power``'s fields (``events``, ``duration``, ``n`` simulated;
    ``analytic_events``, ``analytic_duration`` by Lachin-Foulkes; Schoenfeld's
    ``analytic_power`` and ``analytic_power_freedman``), the events Schoenfeld's and
    Freedman's formulas need for the target power at the allocation randomised (None
    without a constant hazard ratio other than 1).
    """
    rows = []
    trial = sc.trial
    for e in at_n.endpoints:
        if e.events is None and e.analytic_events is None:
            continue
        ep = sc.endpoint(e.id)
        model = ep.model
        if not isinstance(model, Survival):
            continue
        hr = model.hazard_ratio(ep)
        ratio = at_n.n_per_arm["treatment"] / at_n.n_per_arm["control"]
        needed: dict[str, Any] = {"schoenfeld": None, "freedman": None}
        if hr is not None and hr != 1 and trial.alpha / 2 < target < 1:
            args = (hr, trial.alpha, target, ratio, trial.alternative)
            needed = {"schoenfeld": schoenfeld_events(*args), "freedman": freedman_events(*args)}
        targets, months = model.analysis_of(ep)
        rows.append({"endpoint": e.id, "hazard_ratio": hr,
                     "planned_events": targets[0] if targets else None,
                     "planned_months": months[0] if months else None,
                     "events": e.events, "duration": e.duration, "n": e.n,
                     "analytic_events": e.analytic_events,
                     "analytic_duration": e.analytic_duration,
                     "power": e.power, "mcse": e.mcse, "analytic_power": e.analytic_power,
                     "analytic_power_freedman": e.analytic_power_freedman,
                     "events_needed": needed})
    return rows or None
