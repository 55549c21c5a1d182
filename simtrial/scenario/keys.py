"""Dotted key paths: the names of a scenario's numbers, and changing a number by its name.

The same paths name a number's provenance (:attr:`Scenario.provenance`), a value of
:meth:`Scenario.with_values` and a ``simtrial sweep --vary`` key:

- ``trial.alpha``, ``trial.allocation`` (a pair: treatment, control);
- ``trial.accrual.months``, ``trial.accrual.per_month`` (a number, or an array of periods);
- ``endpoints.<id>.dropout`` (both arms) and ``endpoints.<id>.dropout.<arm>``; for a
  table-valued dropout (time to event) ``endpoints.<id>.dropout.<number>`` (both arms, e.g.
  ``dropout.per_month``) and ``endpoints.<id>.dropout.<arm>.<number>``;
- ``endpoints.<id>.<table>.<number>`` for a model's own tables (a time-to-event endpoint's
  ``analysis.events``, ``analysis.months``);
- ``endpoints.<id>.<arm>.<param>``, with arm ``treatment`` or ``control``;
- ``endpoints.<id>.margin``, and ``endpoints.<id>.baseline.<name>`` (``rho``, ``mean``,
  ``sd``: a number of a table the endpoint's model may read, added if the file has none);
- ``correlations.<id>.<id>``: a pair's latent correlation, in either order;
- ``endpoints.<id>.<path>``: a number in a table the endpoint's model reads itself (a
  hierarchical composite's ``correlation``, ``components.<key>.margin`` and
  ``components.<key>.<arm>.<param>``);
- ``design.<key>``, a ``[design]`` setting: ``looks`` (a list of information fractions),
  ``efficacy``, ``futility``, ``secondary`` (rules, as strings), ``beta``, ``binding``.

Examples
--------
>>> from simtrial.scenario import load_scenario
>>> data = {"trial": {"alpha": 0.05}}
>>> assign(data, "trial.alpha", 0.025, load_scenario("msc-covid19"))
>>> data
{'trial': {'alpha': 0.025}}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from simtrial.scenario.model import ARMS, Scenario, ScenarioError
from simtrial.scenario.reader import parse_scenario_data

__all__ = ["ALLOCATION_KEY", "DESIGN_KEYS", "KEYS", "assign", "endpoint_alone", "value_of",
           "with_test", "with_values"]

#: The one key whose value is a pair of numbers rather than a number.
ALLOCATION_KEY = "trial.allocation"
#: The forms of the keys a number may be changed by, as error messages list them.
KEYS = ("trial.alpha", ALLOCATION_KEY, "trial.accrual.months", "trial.accrual.per_month",
        "endpoints.<id>.dropout", "endpoints.<id>.dropout.<arm>",
        "endpoints.<id>.<arm>.<param> with arm treatment or control", "endpoints.<id>.margin",
        "endpoints.<id>.baseline.<rho|mean|sd>",
        "endpoints.<id>.analysis.events|months and endpoints.<id>.dropout[.<arm>].per_month "
        "(time to event)", "endpoints.<id>.components.<key>.<arm>.<param>",
        "correlations.<id>.<id>",
        "design.<key> with key looks, efficacy, futility, secondary, beta or binding")
#: The ``[design]`` settings a key ``design.<key>`` may change.
DESIGN_KEYS = ("looks", "efficacy", "futility", "secondary", "beta", "binding")


def with_values(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """A copy of ``scenario`` with the numbers at dotted keys replaced, validated again.

    This is :meth:`Scenario.with_values` (which documents the keys and shows examples).
    """
    data = copy.deepcopy(_thaw(scenario.raw))
    for key, value in values.items():
        assign(data, key, value, scenario)
    detail = ", ".join(f"{k} = {v!r}" for k, v in values.items())
    return replace(parse_scenario_data(data, f"{scenario.source} (with {detail})"),
                   source=scenario.source)


def with_test(scenario: Scenario, endpoint_id: str, test: str) -> Scenario:
    """A copy of ``scenario`` whose endpoint ``endpoint_id`` is analysed by ``test``.

    Validated again like a file (the test must be one the endpoint allows, with the tables it
    reads): the way to compare analyses of one endpoint, e.g. ANCOVA against the t test.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> with_test(load_scenario("ancova-walk"), "walk_m", "ttest").endpoint("walk_m").test
    'ttest'
    """
    data = copy.deepcopy(_thaw(scenario.raw))
    ids = [ep.id for ep in scenario.endpoints]
    scenario.endpoint(endpoint_id)  # an unknown id: the error lists the ids
    data["endpoints"][ids.index(endpoint_id)]["test"] = test
    return replace(parse_scenario_data(data, f"{scenario.source} (with {endpoint_id} test = "
                                       f"{test!r})"), source=scenario.source)


def endpoint_alone(scenario: Scenario, endpoint_id: str) -> Scenario:
    """A copy of ``scenario`` with only the endpoint ``endpoint_id``, tested on its own.

    The trial and the endpoint as written; no other endpoint, ``[analysis]``,
    ``[[correlations]]``, ``[[priors]]`` or ``[design]``: the endpoint's own test at the full
    alpha in a single analysis, as :func:`simtrial.search.sample_size` then sizes it.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> alone = endpoint_alone(load_scenario("msc-covid19"), "walk_m")
    >>> [ep.id for ep in alone.endpoints], alone.analysis.family, alone.correlations
    (['walk_m'], (), ())
    """
    data = _thaw(scenario.raw)
    ids = [ep.id for ep in scenario.endpoints]
    scenario.endpoint(endpoint_id)  # an unknown id: the error lists the ids
    kept = {k: copy.deepcopy(v) for k, v in data.items()
            if k not in ("endpoints", "analysis", "correlations", "priors", "design")}
    kept["endpoints"] = [copy.deepcopy(data["endpoints"][ids.index(endpoint_id)])]
    return replace(parse_scenario_data(kept, f"{scenario.source} ({endpoint_id} alone)"),
                   source=scenario.source)


def assign(data: dict[str, Any], key: str, value: Any, scenario: Scenario) -> None:
    """Set the number at dotted ``key`` in raw scenario ``data`` (that ``scenario`` was read from).

    ``value`` is not checked here: the data is validated again as a whole afterwards.

    Raises
    ------
    ScenarioError
        For a key that names no number of ``scenario`` (an unknown endpoint, arm, parameter).
    """
    parts = key.split(".")
    if parts[:1] == ["trial"] and len(parts) == 2 and parts[1] in ("alpha", "allocation"):
        data.setdefault("trial", {})[parts[1]] = value
        return
    if parts[:2] == ["trial", "accrual"] and len(parts) == 3 and scenario.trial.accrual \
            and parts[2] in ("months", "per_month"):
        data["trial"]["accrual"][parts[2]] = value
        return
    if parts[:1] == ["endpoints"] and len(parts) in (3, 4, 5) and _assign_table(
            data, parts, value, scenario):
        return
    if parts[:1] == ["endpoints"] and len(parts) >= 3:
        ids = [ep.id for ep in scenario.endpoints]
        if parts[1] not in ids:
            raise ScenarioError(f"{scenario.source}: {key}: unknown endpoint {parts[1]!r} "
                                f"(endpoints: {', '.join(ids)})")
        table = data["endpoints"][ids.index(parts[1])]
        ep = scenario.endpoint(parts[1])
        if parts[2] == "dropout" and len(parts) == 3:
            table["dropout"] = value
            return
        if parts[2] == "dropout" and parts[3] in ARMS:
            dropout = table.get("dropout", 0.0)
            if not isinstance(dropout, dict) or "value" in dropout:
                table["dropout"] = dict(zip(ARMS, ep.dropout, strict=True))
            table["dropout"][parts[3]] = value
            return
        if parts[2] == "margin" and len(parts) == 3:
            table["margin"] = value
            return
        optional = ep.model.optional_tables.get(parts[2], {})
        if len(parts) == 4 and parts[3] in optional:
            if not isinstance(table.get(parts[2]), dict):
                table[parts[2]] = {}
            table[parts[2]][parts[3]] = value
            return
        if parts[2] in ARMS and len(parts) == 4 and (parts[3] in getattr(ep, parts[2])
                                                     or ep.model.settable(ep, parts[3])):
            arm = table[parts[2]]
            if parts[3] not in arm and parts[3] in ep.treatment:
                # derived from an effect scale: given directly from now on
                given = next(names for names in ep.model.sets() if parts[3] in names)
                arm = table[parts[2]] = {k: v for k, v in arm.items() if k in given}
            arm[parts[3]] = value
            return
        if ep.model.assign_extra(table, parts[2:], value):
            return
    if parts[:1] == ["correlations"] and len(parts) == 3:
        ids = [ep.id for ep in scenario.endpoints]
        for endpoint_id in parts[1:]:
            if endpoint_id not in ids:
                raise ScenarioError(f"{scenario.source}: {key}: unknown endpoint "
                                    f"{endpoint_id!r} (endpoints: {', '.join(ids)})")
        tables = data.setdefault("correlations", [])
        for table in tables:
            if set(table["endpoints"]) == set(parts[1:]):
                table["rho"] = value
                return
        tables.append({"endpoints": parts[1:], "rho": value})
        return
    if parts[:1] == ["design"] and len(parts) == 2 and parts[1] in DESIGN_KEYS:
        if "design" not in data and parts[1] != "looks":
            raise ScenarioError(f"{scenario.source}: {key}: the scenario has no [design] table "
                                "(add one to the file, or vary design.looks to give it one)")
        data.setdefault("design", {})[parts[1]] = (list(value) if isinstance(value, tuple)
                                                   else value)
        return
    raise ScenarioError(f"{scenario.source}: {key}: not a number of the scenario "
                        f"(allowed: {', '.join(KEYS)})")


def value_of(scenario: Scenario, key: str) -> Any:
    """The value at dotted ``key`` (a number; the allocation as a list).

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("msc-covid19")
    >>> value_of(sc, "trial.allocation"), value_of(sc, "endpoints.walk_m.control.sd")
    ([65.0, 35.0], 69.36)
    >>> value_of(sc, "endpoints.death_walk.components.walk.margin")
    30.0
    >>> value_of(sc, "priors[1].ci"), round(value_of(sc, "priors[1].sd"), 2)
    ([0.0, 57.0], 14.54)
    """
    parts = key.split(".")
    if parts[0].startswith("priors["):  # a prior's number, as read (a ci) or derived from it
        index = int(parts[0][len("priors["):-1])
        prior = next(p for p in scenario.priors if p.index == index)
        if parts[1] in prior.params:
            return prior.params[parts[1]]
        value = scenario.raw["priors"][index][parts[1]]
        value = value.get("value") if isinstance(value, MappingProxyType | dict) else value
        return list(value) if isinstance(value, tuple | list) else value
    if parts[0] == "trial":
        value = getattr(scenario.trial, parts[1])
        return list(value) if isinstance(value, tuple) else value
    if parts[0] == "correlations":
        return next(rho for pair, rho in scenario.correlations if list(pair) == parts[1:])
    ep = scenario.endpoint(parts[1])
    if parts[2] == "dropout":
        return ep.dropout[0] if parts[3:] in ([], ["treatment"]) else ep.dropout[1]
    if parts[2] == "scale" and ep.scale is not None:
        return ep.scale[("min", "max", "step").index(parts[3])]
    if parts[2] in ARMS and len(parts) == 4:
        return getattr(ep, parts[2])[parts[3]]
    if parts[2] == "margin" and len(parts) == 3:
        return ep.margin
    table = ep.extra.get(parts[2])
    if len(parts) == 4 and isinstance(table, Mapping) and parts[3] in table:
        return table[parts[3]]  # a model's own table of numbers (baseline, analysis, strata)
    return ep.model.extra_value(ep, parts[2:])


def _assign_table(data: dict[str, Any], parts: list[str], value: Any,
                  scenario: Scenario) -> bool:
    """Set a number of a model's own tables or table-valued dropout, if ``parts`` names one.

    ``endpoints.<id>.<table>.<number>`` for a table of the model's ``endpoint_tables``;
    ``endpoints.<id>.dropout.<number>`` (both arms) or ``endpoints.<id>.dropout.<arm>.<number>``
    for a ``dropout_table``. False when ``parts`` names neither (the caller goes on).
    """
    ids = [ep.id for ep in scenario.endpoints]
    if parts[1] not in ids:
        return False
    model = scenario.endpoint(parts[1]).model
    table = data["endpoints"][ids.index(parts[1])]
    if len(parts) == 4 and parts[3] in model.endpoint_tables.get(parts[2], {}):
        table.setdefault(parts[2], {})[parts[3]] = value
        return True
    if parts[2] != "dropout" or not model.dropout_table:
        return False
    if len(parts) == 4 and parts[3] in model.dropout_table:
        dropout = table.get("dropout", {})
        if any(arm in dropout for arm in ARMS):  # per arm: both arms get the number
            for arm in ARMS:
                dropout.setdefault(arm, {})[parts[3]] = value
        else:
            dropout[parts[3]] = value
        table["dropout"] = dropout
        return True
    if len(parts) == 5 and parts[3] in ARMS and parts[4] in model.dropout_table:
        dropout = table.get("dropout", {})
        if not any(arm in dropout for arm in ARMS):  # one table for both arms: split it
            dropout = {arm: dict(dropout) for arm in ARMS}
        dropout.setdefault(parts[3], {})[parts[4]] = value
        table["dropout"] = dropout
        return True
    return False


def _thaw(data: Any) -> Any:
    """Plain dicts and lists again from a scenario's frozen :attr:`Scenario.raw` data."""
    if isinstance(data, MappingProxyType | dict):
        return {k: _thaw(v) for k, v in data.items()}
    if isinstance(data, tuple):
        return [_thaw(v) for v in data]
    return data
