"""The report's sensitivity analysis: which numbers to vary, and the one-at-a-time runs.

At the chosen n, one number is varied at a time, everything else as planned: the primary
endpoint's effect (its treatment location) and dropout, and every number with basis "assumed"
of the primary and key secondary endpoint, of the allocation and of the correlations that
involve either. Location parameters are varied so that the effect is 0.5 to 1.5 times the
planned one (on the endpoint model's effect scale: a difference, or a ratio through its
power), spreads by 0.75 to 1.25 times, dropout from 0 to 0.4 in both arms, correlations from
0 to 1.5 times the planned one (within -/+ 0.95; a value no joint normal can have with the
other correlations is skipped). Correlations change no endpoint's own test, only what a
multiplicity procedure does with several. Other assumed numbers (alpha, a design choice;
levels that do not change the test) are listed, not varied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from simtrial.scenario import Scenario, ScenarioError
from simtrial.scenario.keys import value_of
from simtrial.simulate import simulated_power

__all__ = ["ALLOCATIONS", "CORRELATION_FACTORS", "DROPOUTS", "EFFECT_FACTORS", "SPREAD_FACTORS",
           "analyse"]

EFFECT_FACTORS = (0.5, 0.75, 1.0, 1.25, 1.5)
SPREAD_FACTORS = (0.75, 0.9, 1.0, 1.1, 1.25)
DROPOUTS = (0.0, 0.1, 0.2, 0.3, 0.4)
CORRELATION_FACTORS = (0.0, 0.5, 1.0, 1.5)  # times the planned rho, within -/+ 0.95
ALLOCATIONS = ((1, 1), (2, 1), (3, 1))


def analyse(sc: Scenario, primary: str, secondary: str | None, n: int, reps: int, seed: int,
            jobs: int | None) -> dict[str, Any]:
    """Power of the primary (and key secondary) endpoint as each number varies, at `n`.

    Returns
    -------
    dict
        The report's ``sensitivity`` section: ``reps``, ``seed``, ``n_total``, ``endpoints``
        (the primary, then the key secondary if any), ``items`` and ``not_varied``. Each item
        is a number varied, in the order chosen: ``key`` (dotted, as in
        :attr:`Scenario.provenance`), ``label`` (axis label with unit), ``planned`` (the
        scenario's value, None for the allocation or a dropout that differs between arms) and
        ``rows``: ``value`` and ``power`` (endpoint id -> ``{"power", "mcse"}``).
        ``not_varied`` lists the keys chosen that have nothing to vary, then the assumed keys
        not chosen.
    """
    shown = [primary] + ([secondary] if secondary else [])
    keys = _chosen(sc, primary, secondary)
    items: list[dict] = []
    not_varied: list[str] = []
    for key in keys:
        planned, values, label = _grid(sc, key)
        if not values:
            not_varied.append(key)
            continue
        rows = []
        for value in values:
            try:
                varied = sc.with_values({key: value})
            except ScenarioError:  # a correlation no joint normal can have with the others
                continue
            res = simulated_power(varied, n, reps=reps, seed=seed, endpoints=shown, jobs=jobs)
            rows.append({"value": list(value) if isinstance(value, tuple) else value,
                         "power": {e.id: {"power": e.power, "mcse": e.mcse}
                                   for e in res.endpoints}})
        items.append({"key": key, "label": label, "planned": planned, "rows": rows})
    assumed = [key for key, p in sc.provenance.items() if p.basis == "assumed"]
    not_varied += [key for key in assumed if key not in keys]
    return {"reps": reps, "seed": seed, "n_total": n, "endpoints": shown, "items": items,
            "not_varied": not_varied}


def _chosen(sc: Scenario, primary: str, secondary: str | None) -> dict[str, None]:
    """The keys to vary, in order (a dict used as an ordered set)."""
    assumed = [key for key, prov in sc.provenance.items() if prov.basis == "assumed"]
    keys: dict[str, None] = {}
    for ep_id in filter(None, (primary, secondary)):
        ep = sc.endpoint(ep_id)
        if ep_id == primary and ep.location in ep.treatment:  # not ordinal probabilities
            keys[f"endpoints.{ep_id}.treatment.{ep.location}"] = None
        if ep_id == primary:
            keys[f"endpoints.{ep_id}.dropout"] = None
        for key in assumed:
            parts = key.split(".")
            if parts[:2] == ["endpoints", ep_id] and parts[2] in ("treatment", "control"):
                keys[key] = None
    for (a, b), _ in sc.correlations:
        if {a, b} & {primary, secondary} and f"correlations.{a}.{b}" in assumed:
            keys[f"correlations.{a}.{b}"] = None
    if "trial.allocation" in assumed:
        keys["trial.allocation"] = None
    return keys


def _grid(sc: Scenario, key: str) -> tuple[Any, list, str]:
    """(planned value or None, values to try, axis label) for one sensitivity key."""
    planned: Any
    values: list[Any]
    if key == "trial.allocation":
        planned = tuple(sc.trial.allocation)
        values = [planned, *(a for a in ALLOCATIONS if a != planned)]
        return None, values, "allocation (treatment:control)"
    parts = key.split(".")
    if parts[0] == "correlations":
        rho = value_of(sc, key)
        values = [float(f"{max(-0.95, min(0.95, rho * f)):.4g}") + 0.0  # + 0.0: no -0
                  for f in CORRELATION_FACTORS]
        return rho, values, f"latent correlation of {parts[1]} and {parts[2]}"
    ep = sc.endpoint(parts[1])
    if parts[2] == "dropout":
        planned = ep.dropout[0] if ep.dropout[0] == ep.dropout[1] else None
        return planned, list(DROPOUTS), f"{ep.id}: dropout in both arms, fraction"
    arm, param = parts[2], parts[3]
    value = getattr(ep, arm)[param]
    unit = "proportion" if param == "p" else (ep.unit or "units")
    label = f"{ep.id}: {arm} {param}, {unit}"
    if param == ep.location:
        other = ep.location_of("control" if arm == "treatment" else "treatment")
        if value == other:
            return value, [], label
        if ep.model.effect_scale == "ratio":
            values = _around(value, EFFECT_FACTORS, lambda f: other * (value / other) ** f)
        else:
            values = _around(value, EFFECT_FACTORS, lambda f: other + (value - other) * f)
        return value, [v for v in values if param != "p" or 0 < v < 1], label
    if param == "sd":
        return value, _around(value, SPREAD_FACTORS, lambda f: value * f), label
    if param == "gsd":
        return value, _around(value, SPREAD_FACTORS, lambda f: value ** f), label
    return value, [], label


def _around(value: float, factors: Sequence[float],
            scaled: Callable[[float], float]) -> list[float]:
    """``scaled(f)`` for each factor, to 4 significant digits; the planned value itself at 1."""
    return [value if f == 1 else float(f"{scaled(f):.4g}") for f in factors]
