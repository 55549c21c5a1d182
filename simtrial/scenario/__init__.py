"""Scenarios: the trial, its endpoints and their numbers, read and validated from TOML.

A scenario holds the design of one two-arm trial (allocation, alpha, sidedness) and its
endpoints, each with an outcome distribution per arm, a test, the direction of benefit and the
dropout. Every number may carry its provenance; provenance is kept apart from the numbers, in
:attr:`Scenario.provenance`, keyed by the same dotted paths that ``simtrial sweep --vary`` uses
(``trial.alpha``, ``endpoints.<id>.dropout``, ``endpoints.<id>.<arm>.<param>``).

One job per module:

- :mod:`~simtrial.scenario.model`: the frozen dataclasses (:class:`Scenario`, :class:`Trial`,
  :class:`Endpoint`, :class:`Analysis`, :class:`Provenance`);
- :mod:`~simtrial.scenario.reader`: the validating reader (:func:`load_scenario`,
  :func:`parse_scenario`); every error names the file, the key path and what is allowed;
- :mod:`~simtrial.scenario.keys`: the dotted key paths, and changing a number by its path
  (:meth:`Scenario.with_values`).

Importing this package loads neither numpy, scipy nor numba.

Examples
--------
>>> sc = load_scenario("msc-covid19")
>>> sc.trial.split(400), sc.with_values({"trial.alpha": 0.025}).trial.alpha
((260, 140), 0.025)
"""

from simtrial.scenario.model import (
    ARMS,
    MAX_N,
    PROCEDURES,
    Analysis,
    Endpoint,
    Provenance,
    Scenario,
    ScenarioError,
    Trial,
    correlation_matrix,
)
from simtrial.scenario.reader import (
    builtin_names,
    load_scenario,
    parse_scenario,
    parse_scenario_data,
)

__all__ = [
    "ARMS",
    "MAX_N",
    "PROCEDURES",
    "Analysis",
    "Endpoint",
    "Provenance",
    "Scenario",
    "ScenarioError",
    "Trial",
    "builtin_names",
    "correlation_matrix",
    "load_scenario",
    "parse_scenario",
    "parse_scenario_data",
]
