"""The report's sensitivity analysis: which numbers to vary, and the one-at-a-time runs.

At the chosen n, one number is varied at a time, everything else as planned. The endpoints
shown are the primary and, when the primary belongs to the multiplicity family, every endpoint
of the family (their power is the procedure's, so the primary's numbers move them all);
otherwise the primary and its key secondary, if any. For each shown endpoint, whatever its
basis (a reported figure from a small trial is uncertain too):

- its **effect**: the treatment location, so that the effect is 0.5 to 1.5 times the planned
  one (on the endpoint model's effect scale: a difference, or a ratio through its power);
- its **control level** with the effect held: a control proportion times 0.75 to 1.25, a mean
  -/+ 0.5 SD, a geometric mean times gsd^(-/+0.5), the treatment location moved with it;
- its **spread** in both arms (SD or geometric SD): 0.85 to 1.45 times the planned one, wider
  above than below because spreads measured in small trials tend to be smaller than those of
  later cohorts (for the 6-minute walk distance of the built-in scenario: 59 to 101 m around the
  planned 69 m, where post-COVID cohorts show about 80 to 100 m);
- its **dropout** in both arms, 0 to 0.4;
- for an endpoint analysed with its baseline (``ancova``, ``change``), the **baseline
  correlation** ``baseline.rho``: the planned value -/+ 0.1 and 0.2 (0.3 to 0.7 around 0.5),
  within 0 to 0.95, since the gain of adjustment (about the factor 1 - rho^2) rests on it;

then the correlations involving a shown endpoint that are assumed or have no recorded source,
0 to 1.5 times the planned one (within -/+ 0.95; a value no joint normal can have with the
other correlations is skipped), and the allocation when it is assumed. Correlations change no
endpoint's own test, only what the multiplicity procedure does with several.

An item is *flat* when no shown endpoint's power moves by more than twice its Monte Carlo
standard error over the values tried; the report lists flat items in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from simtrial.reports.adjusted import ADJUSTED_TESTS
from simtrial.scenario import Endpoint, Scenario, ScenarioError
from simtrial.simulate import simulated_power

__all__ = ["ALLOCATIONS", "BASELINE_RHO_SHIFTS", "CONTROL_SHIFTS", "CORRELATION_FACTORS",
           "DROPOUTS", "EFFECT_FACTORS", "SPREAD_FACTORS", "analyse", "shown_endpoints"]

EFFECT_FACTORS = (0.5, 0.75, 1.0, 1.25, 1.5)
#: Control proportion times (1 + s), a mean + s SD, a geometric mean times gsd^s.
CONTROL_SHIFTS = (-0.25, -0.125, 0.0, 0.125, 0.25)
SPREAD_FACTORS = (0.85, 1.0, 1.15, 1.3, 1.45)
DROPOUTS = (0.0, 0.1, 0.2, 0.3, 0.4)
#: Added to the planned baseline correlation of an adjusted endpoint, within 0 to 0.95.
BASELINE_RHO_SHIFTS = (-0.2, -0.1, 0.0, 0.1, 0.2)
CORRELATION_FACTORS = (0.0, 0.5, 1.0, 1.5)  # times the planned rho, within -/+ 0.95
ALLOCATIONS = ((1, 1), (2, 1), (3, 1))
#: An item moves an endpoint's power when the range exceeds this many MCSE.
FLAT_MCSE = 2.0


def shown_endpoints(sc: Scenario, primary: str, secondary: str | None) -> list[str]:
    """The endpoints whose power the sensitivity analysis reports, primary first.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> shown_endpoints(load_scenario("msc-covid19"), "walk_lln", "sf36_gh")
    ['walk_lln', 'sf36_gh', 'walk_m', 'ct_normal']
    """
    family = list(sc.analysis.family)
    if primary in family:
        return [primary] + [e for e in family if e != primary]
    return [primary] + ([secondary] if secondary else [])


def analyse(sc: Scenario, primary: str, secondary: str | None, n: int, reps: int, seed: int,
            jobs: int | None) -> dict[str, Any]:
    """Power of the shown endpoints as each number varies, at `n`.

    Returns
    -------
    dict
        The report's ``sensitivity`` section: ``reps``, ``seed``, ``n_total``, ``endpoints``
        (:func:`shown_endpoints`), ``items`` and ``not_varied``. Each item is a number varied:
        ``key`` (dotted; ``endpoints.<id>.sd`` or ``.gsd`` for a spread in both arms),
        ``keys`` (the scenario keys each value sets), ``what`` (effect, control, spread,
        dropout, baseline, correlation or allocation), ``endpoint`` (None for the trial's numbers),
        ``label`` (plain words with the unit), ``short`` (a few words, for figures),
        ``planned`` (None for the allocation or a
        dropout that differs between arms), ``rows`` (``value`` and ``power``: endpoint id ->
        ``{"power", "mcse"}``), ``range`` (endpoint id -> largest minus smallest power) and
        ``flat``. ``not_varied`` lists the assumed keys that no item sets (a prior's are not
        listed: priors do not enter power), ``not_variable`` the items chosen whose values the
        scenario schema does not accept as a single number (a time-to-event endpoint's
        table-valued dropout).
    """
    shown = shown_endpoints(sc, primary, secondary)
    planned_run = _run(sc, n, reps, seed, shown, jobs)
    items: list[dict] = []
    not_variable: list[str] = []
    for spec in _specs(sc, shown):
        rows: list[dict[str, Any]] = []
        for value in spec["values"]:
            if value == spec["planned"] and spec["planned"] is not None:
                res = planned_run
            else:
                try:
                    varied = sc.with_values(spec["set"](value))
                except ScenarioError:  # a correlation no joint normal can have, p outside (0, 1)
                    continue
                res = _run(varied, n, reps, seed, shown, jobs)
            rows.append({"value": list(value) if isinstance(value, tuple) else value,
                         "power": res})
        if len(rows) < 2:  # nothing the schema allows to vary (a table-valued dropout)
            not_variable.append(spec["key"])
            continue
        spread = {e: max(r["power"][e]["power"] for r in rows)
                  - min(r["power"][e]["power"] for r in rows) for e in shown}
        noise = {e: FLAT_MCSE * max(max(r["power"][e]["mcse"] for r in rows), 1 / reps)
                 for e in shown}
        items.append({"key": spec["key"], "keys": spec["keys"], "what": spec["what"],
                      "endpoint": spec["endpoint"], "label": spec["label"],
                      "short": spec["short"],
                      "planned": spec["planned"], "rows": rows, "range": spread,
                      "flat": all(spread[e] <= noise[e] for e in shown)})
    covered = {k for item in items for k in item["keys"]}
    not_varied = [key for key, p in sc.provenance.items()
                  if p.basis == "assumed" and key not in covered
                  and not key.startswith("priors[")  # no effect on power: see assurance
                  and not any(key.startswith(k + ".") for k in covered)]
    return {"reps": reps, "seed": seed, "n_total": n, "endpoints": shown, "items": items,
            "not_varied": not_varied, "not_variable": not_variable}


def _run(sc: Scenario, n: int, reps: int, seed: int, shown: list[str],
         jobs: int | None) -> dict[str, dict[str, float]]:
    res = simulated_power(sc, n, reps=reps, seed=seed, endpoints=shown, jobs=jobs)
    return {e.id: {"power": e.power, "mcse": e.mcse} for e in res.endpoints}


def _specs(sc: Scenario, shown: list[str]) -> list[dict]:
    """What to vary, in order: per shown endpoint, then correlations and allocation."""
    specs = []
    for ep_id in shown:
        ep = sc.endpoint(ep_id)
        if ep.location in ep.treatment and ep.location in ep.control:  # not ordinal, TTE
            specs += [s for s in (_effect(ep), _control(ep)) if s]
        specs += [s for s in (_spread(ep, "sd"), _spread(ep, "gsd"), _baseline_rho(ep)) if s]
        specs.append(_dropout(ep))
    undocumented = {k for k, p in sc.provenance.items() if p.basis == "assumed"}
    for (a, b), rho in sc.correlations:
        key = f"correlations.{a}.{b}"
        if {a, b} & set(shown) and (key in undocumented or key not in sc.provenance):
            values = [float(f"{max(-0.95, min(0.95, rho * f)):.4g}") + 0.0  # + 0.0: no -0
                      for f in CORRELATION_FACTORS]
            specs.append(_spec(key, [key], "correlation", None,
                               f"latent correlation of {_name(sc, a)} and {_name(sc, b)}", rho,
                               values, _setter(key)))
    if "trial.allocation" in undocumented:
        planned = tuple(sc.trial.allocation)
        specs.append(_spec("trial.allocation", ["trial.allocation"], "allocation", None,
                           "allocation (treatment:control)", None,
                           [planned, *(a for a in ALLOCATIONS if a != planned)],
                           lambda v: {"trial.allocation": v}))
    return specs


def _setter(key: str) -> Callable[[Any], dict]:
    return lambda v: {key: v}


def _spec(key: str, keys: list[str], what: str, endpoint: str | None, label: str, planned: Any,
          values: list, setter: Callable[[Any], dict]) -> dict:
    parts = key.split(".")
    short = {"effect": f"{endpoint}: effect", "control": f"{endpoint}: control level",
             "spread": f"{endpoint}: {parts[-1].upper()}", "dropout": f"{endpoint}: dropout",
             "baseline": f"{endpoint}: baseline rho",
             "correlation": f"correlation {'-'.join(parts[1:])}",
             "allocation": "allocation"}[what]
    return {"key": key, "keys": keys, "what": what, "endpoint": endpoint, "label": label,
            "short": short, "planned": planned, "values": values, "set": setter}


def _name(sc: Scenario, ep_id: str) -> str:
    ep = sc.endpoint(ep_id)
    return ep.label or ep.id


def _unit(ep: Endpoint, param: str) -> str:
    return "proportion" if param == "p" else (ep.unit or "units")


def _effect(ep: Endpoint) -> dict | None:
    loc = ep.location
    t, c = ep.treatment[loc], ep.control[loc]
    if t == c:
        return None
    if ep.model.effect_scale == "ratio":
        values = _around(t, EFFECT_FACTORS, lambda f: c * (t / c) ** f)
    else:
        values = _around(t, EFFECT_FACTORS, lambda f: c + (t - c) * f)
    values = [v for v in values if loc != "p" or 0 < v < 1]
    key = f"endpoints.{ep.id}.treatment.{loc}"
    return _spec(key, [key], "effect", ep.id,
                 f"{ep.label or ep.id}: effect (treatment {_word(loc)}, {_unit(ep, loc)})", t,
                 values, lambda v: {key: v})


def _control(ep: Endpoint) -> dict | None:
    loc = ep.location
    t, c = ep.treatment[loc], ep.control[loc]
    if loc == "p":
        shifted = _around(c, CONTROL_SHIFTS, lambda s: c * (1 + s), at=0)
    elif "sd" in ep.control:
        shifted = _around(c, CONTROL_SHIFTS, lambda s: c + 2 * s * ep.control["sd"], at=0)
    elif "gsd" in ep.control:
        shifted = _around(c, CONTROL_SHIFTS, lambda s: c * ep.control["gsd"] ** (2 * s), at=0)
    else:
        return None
    ratio = ep.model.effect_scale == "ratio"

    def treatment_at(v: float) -> float:
        return float(f"{(v * t / c if ratio else v + t - c):.4g}")

    values = [v for v in shifted if loc != "p" or (0 < v < 1 and 0 < treatment_at(v) < 1)]
    key, other = f"endpoints.{ep.id}.control.{loc}", f"endpoints.{ep.id}.treatment.{loc}"
    return _spec(key, [key, other], "control", ep.id,
                 f"{ep.label or ep.id}: control {_word(loc)}, effect held ({_unit(ep, loc)})", c,
                 values, lambda v: {key: v, other: t if v == c else treatment_at(v)})


def _spread(ep: Endpoint, param: str) -> dict | None:
    if param not in ep.treatment or param not in ep.control:
        return None
    t, c = ep.treatment[param], ep.control[param]
    if param == "sd":
        values = _around(c, SPREAD_FACTORS, lambda f: c * f)
        label = f"{ep.label or ep.id}: SD in both arms ({ep.unit or 'units'})"
    else:
        values = _around(c, SPREAD_FACTORS, lambda f: c ** f)
        label = f"{ep.label or ep.id}: geometric SD in both arms"
    keys = [f"endpoints.{ep.id}.treatment.{param}", f"endpoints.{ep.id}.control.{param}"]
    return _spec(f"endpoints.{ep.id}.{param}", keys, "spread", ep.id, label,
                 c if t == c else None, values,
                 lambda v: {keys[0]: t if v == c else float(f"{v * t / c:.4g}"), keys[1]: v})


def _baseline_rho(ep: Endpoint) -> dict | None:
    """The baseline correlation of an endpoint whose test adjusts for its baseline.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> spec = _baseline_rho(load_scenario("msc-covid19").endpoint("walk_m"))
    >>> spec["key"], spec["values"]
    ('endpoints.walk_m.baseline.rho', [0.3, 0.4, 0.5, 0.6, 0.7])
    >>> spec["label"]
    '6-minute walk distance, month 24: assumed correlation of baseline and follow-up (rho)'
    """
    if ep.test not in ADJUSTED_TESTS or "baseline" not in ep.extra:
        return None
    rho = ep.extra["baseline"]["rho"]
    values = list(dict.fromkeys(rho if s == 0 else round(min(0.95, max(0.0, rho + s)), 4)
                                for s in BASELINE_RHO_SHIFTS))
    key = f"endpoints.{ep.id}.baseline.rho"
    return _spec(key, [key], "baseline", ep.id,
                 f"{ep.label or ep.id}: assumed correlation of baseline and follow-up (rho)",
                 rho, values, _setter(key))


def _dropout(ep: Endpoint) -> dict:
    key = f"endpoints.{ep.id}.dropout"
    planned = ep.dropout[0] if ep.dropout[0] == ep.dropout[1] else None
    return _spec(key, [key], "dropout", ep.id,
                 f"{ep.label or ep.id}: dropout in both arms (fraction)", planned,
                 list(DROPOUTS), lambda v: {key: v})


def _word(param: str) -> str:
    return {"p": "proportion", "mean": "mean", "gmean": "geometric mean"}.get(param, param)


def _around(value: float, factors: Sequence[float], scaled: Callable[[float], float],
            at: float = 1) -> list[float]:
    """``scaled(f)`` for each factor, to 4 significant digits; the planned value itself at `at`."""
    return [value if f == at else float(f"{scaled(f):.4g}") for f in factors]
