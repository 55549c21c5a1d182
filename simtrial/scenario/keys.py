"""Dotted key paths: the names of a scenario's numbers, and changing a number by its name.

The same paths name a number's provenance (:attr:`Scenario.provenance`), a value of
:meth:`Scenario.with_values` and a ``simtrial sweep --vary`` key:

- ``trial.alpha``, ``trial.allocation`` (a pair: treatment, control);
- ``endpoints.<id>.dropout`` (both arms) and ``endpoints.<id>.dropout.<arm>``;
- ``endpoints.<id>.<arm>.<param>``, with arm ``treatment`` or ``control``;
- ``endpoints.<id>.margin``, and ``endpoints.<id>.baseline.<name>`` (``rho``, ``mean``,
  ``sd``: a number of a table the endpoint's model may read, added if the file has none);
- ``correlations.<id>.<id>``: a pair's latent correlation, in either order.

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

__all__ = ["ALLOCATION_KEY", "KEYS", "assign", "with_test", "with_values"]

#: The one key whose value is a pair of numbers rather than a number.
ALLOCATION_KEY = "trial.allocation"
#: The forms of the keys a number may be changed by, as error messages list them.
KEYS = ("trial.alpha", ALLOCATION_KEY, "endpoints.<id>.dropout", "endpoints.<id>.dropout.<arm>",
        "endpoints.<id>.<arm>.<param> with arm treatment or control", "endpoints.<id>.margin",
        "endpoints.<id>.baseline.<rho|mean|sd>", "correlations.<id>.<id>")


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
    if parts[:1] == ["endpoints"] and len(parts) in (3, 4):
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
        if parts[2] in ARMS and len(parts) == 4 and parts[3] in ep.treatment:
            arm = table[parts[2]]
            if parts[3] not in arm:  # derived from an effect scale: given directly from now on
                given = next(names for names in ep.model.sets() if parts[3] in names)
                arm = table[parts[2]] = {k: v for k, v in arm.items() if k in given}
            arm[parts[3]] = value
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
    raise ScenarioError(f"{scenario.source}: {key}: not a number of the scenario "
                        f"(allowed: {', '.join(KEYS)})")


def _thaw(data: Any) -> Any:
    """Plain dicts and lists again from a scenario's frozen :attr:`Scenario.raw` data."""
    if isinstance(data, MappingProxyType | dict):
        return {k: _thaw(v) for k, v in data.items()}
    if isinstance(data, tuple):
        return [_thaw(v) for v in data]
    return data
