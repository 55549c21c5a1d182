"""Reading scenario files: schema v1 TOML -> a validated :class:`Scenario`.

Validation happens once, here, and every error names the file, the key path and what is
allowed, so the layers below never see an invalid scenario. Reading needs neither numpy nor
scipy (derived numbers are recomputed by :mod:`simtrial.evidence` in plain Python).
"""

from __future__ import annotations

import decimal
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from simtrial.endpoints import KINDS, MODELS, EndpointModel
from simtrial.endpoints._model import LOCATION, Check
from simtrial.errors import InputError
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
from simtrial.score_fit import score_level_count
from simtrial.text import terminal

if TYPE_CHECKING:
    from simtrial.design.boundaries import GroupSequentialDesign

__all__ = ["builtin_names", "load_scenario", "parse_scenario", "parse_scenario_data"]

SCHEMA_VERSION = 1
#: The check of a score's scale bounds, each a location (a number: LOCATION's test is not None).
_SCALE = cast(Callable[[float], bool], LOCATION.test)
BASES = ("reported", "derived", "assumed")
_ID = re.compile(r"[a-z0-9_]+\Z")
#: Texts that may run over several lines (a newline or tab allowed); other texts are one line.
#: No text may hold another control character (see simtrial.text for how outputs escape text).
MULTILINE_TEXTS = ("description", "source", "quote", "reason", "note")
_CONTROL = {False: re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"),
            True: re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")}


def builtin_names(examples: bool = True) -> list[str]:
    """Names of the scenarios that ship with simtrial: the built-ins, then the examples.

    The examples (scenarios/examples/, one small scenario per feature) load by name too.

    Examples
    --------
    >>> builtin_names(examples=False)
    ['msc-covid19']
    >>> "safety-rare" in builtin_names()
    True
    """
    return _names(_SCENARIOS) + (_names(_SCENARIOS / "examples") if examples else [])


_SCENARIOS = resources.files("simtrial.scenarios")


def _names(folder: Any) -> list[str]:
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name, or a scenario file by path.

    Parameters
    ----------
    name_or_path : str or path
        A built-in name (see :func:`builtin_names`) or the path of a TOML file.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        When the file is missing, is not valid TOML, or breaks the schema.

    Examples
    --------
    >>> sc = load_scenario("msc-covid19")
    >>> sc.trial.split(400)
    (260, 140)
    """
    text_name = str(name_or_path)
    path = Path(text_name)
    if not path.is_file() and text_name in builtin_names():
        folder = _SCENARIOS if text_name in builtin_names(examples=False) else (
            _SCENARIOS / "examples")
        resource = folder / f"{text_name}.toml"
        return parse_scenario(resource.read_text(encoding="utf-8"), source=text_name)
    if not path.is_file():
        hint = "no such file" if not path.exists() else "not a regular file"
        raise ScenarioError(f"{text_name}: {hint}, and not a built-in scenario "
                            f"(built-ins: {', '.join(builtin_names())})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{text_name}: cannot be read ({exc})") from None
    return parse_scenario(text, source=text_name)


def parse_scenario(text: str, source: str = "<string>") -> Scenario:
    """Parse and validate the TOML text of a scenario.

    Examples
    --------
    >>> sc = parse_scenario('''
    ... schema_version = 1
    ... name = "tiny"
    ... [[endpoints]]
    ... id = "y"
    ... kind = "continuous"
    ... test = "ttest"
    ... better = "higher"
    ... control = { mean = 0.0, sd = 1.0 }
    ... treatment = { mean = 0.5, sd = 1.0 }
    ... ''')
    >>> sc.endpoints[0].treatment["mean"], sc.trial.alpha
    (0.5, 0.05)
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML ({exc})") from None
    return parse_scenario_data(data, source)


def parse_scenario_data(data: dict[str, Any], source: str = "<data>") -> Scenario:
    """Validate a scenario given as the dict that TOML parsing yields."""
    scenario = _Reader(source).scenario(data)
    return replace(scenario, raw=_freeze(data))


def _freeze(data: Any) -> Any:
    """Read-only mappings and tuples in place of the dicts and lists of parsed TOML."""
    if isinstance(data, dict):
        return MappingProxyType({k: _freeze(v) for k, v in data.items()})
    if isinstance(data, list):
        return tuple(_freeze(v) for v in data)
    return data


class _Reader:
    """Walks the parsed TOML, validating as it goes and collecting provenance."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.provenance: dict[str, Provenance] = {}

    def fail(self, path: str, message: str) -> ScenarioError:
        # terminal(): a key or value quoted from the file stays one line, with no escapes.
        return ScenarioError(terminal(f"{self.source}: {path}: {message}"))

    def keys(self, table: Any, path: str, allowed: tuple[str, ...],
             required: tuple[str, ...] = ()) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.fail(path, f"must be a table, got {_kind(table)}")
        for key in table:
            if key not in allowed:
                raise self.fail(_join(path, key), f"unknown key (allowed: {', '.join(allowed)})")
        for key in required:
            if key not in table:
                raise self.fail(_join(path, key), "is required")
        return table

    def string(self, table: dict[str, Any], key: str, path: str, default: str | None = None,
               choices: tuple[str, ...] | None = None) -> str:
        value = table.get(key, default)
        where = _join(path, key)
        if value is None:
            raise self.fail(where, "is required")
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, got {_kind(value)}")
        control = _CONTROL[key in MULTILINE_TEXTS].search(value)
        if control:
            raise self.fail(where, f"holds a control character, U+{ord(control.group()):04X} at "
                            f"position {control.start()} (allowed: text without control "
                            f"characters; a newline or tab only in {', '.join(MULTILINE_TEXTS)})")
        if choices is not None and value not in choices:
            raise self.fail(where, f"{value!r} is not allowed (allowed: {', '.join(choices)})")
        return value

    def number(self, table: dict[str, Any], key: str, path: str,
               check: Callable[[float], bool], allowed: str, provenance_key: str | None = None,
               default: float | None = None) -> float:
        """Read a number, or a table ``{value = ..., basis = ..., ...}`` carrying provenance."""
        where = _join(path, key)
        raw = table.get(key, default)
        if raw is None:
            raise self.fail(where, "is required")
        if isinstance(raw, dict):
            raw = self.with_provenance(raw, where, provenance_key or where)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise self.fail(where, f"must be {allowed}, got {_kind(raw)}")
        value = _as_float(raw)
        if value is None or not check(value):
            raise self.fail(where, f"{_short(raw)} is out of range (allowed: {allowed})")
        return value

    def with_provenance(self, table: dict[str, Any], where: str, key: str) -> Any:
        allowed = ("value", "basis", "source", "quote", "reason", "derivation", "note")
        self.keys(table, where, allowed, required=("value", "basis"))
        basis = self.string(table, "basis", where, choices=BASES)
        texts = {k: self.string(table, k, where, default="") for k in
                 ("source", "quote", "reason", "note")}
        if basis in ("reported", "derived") and not texts["source"]:
            raise self.fail(_join(where, "source"), f"is required for a {basis} number")
        if basis == "assumed" and not texts["reason"]:
            raise self.fail(_join(where, "reason"), "is required for an assumed number")
        derivation = table.get("derivation")
        if derivation is not None:
            if not isinstance(derivation, dict) or not isinstance(derivation.get("method"), str):
                raise self.fail(_join(where, "derivation"),
                                "must be a table with a string `method` and its inputs")
            self.derivation_agrees(table.get("value"), derivation, _join(where, "derivation"))
            derivation = MappingProxyType(dict(derivation))
        elif basis == "derived":
            raise self.fail(_join(where, "derivation"), "is required for a derived number")
        self.provenance[key] = Provenance(basis=basis, derivation=derivation, **texts)
        return table["value"]

    def derivation_agrees(self, value: Any, derivation: dict[str, Any], where: str) -> None:
        """Recompute a derivation; the stated value must be its result rounded as written.

        A value written with d decimals (``24.87``: 2) must be within half a unit of its last
        digit of the recomputed number (24.8695...): a derivation that does not give the number
        it stands beside is an error here, not a silent disagreement in a report.
        """
        from simtrial import evidence  # only scenarios that carry derivations need it

        try:
            derived = evidence.derive(**derivation).value
        except (TypeError, ValueError) as exc:
            raise self.fail(where, str(exc)) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return  # the value's own check reports it
        exponent = decimal.Decimal(repr(value)).as_tuple().exponent
        if not isinstance(exponent, int):
            return  # inf or nan (exponent "F", "n" or "N"): the value's range check reports it
        half_unit = 0.5 * 10.0 ** min(exponent, 0)
        if not abs(value - derived) <= half_unit + 1e-9 * abs(derived):
            raise self.fail(where, f"gives {derived:.6g}, which {value!r} is not (to the digits "
                                   "written); correct the value or the derivation")

    def scenario(self, data: dict[str, Any]) -> Scenario:
        allowed = ("schema_version", "name", "title", "description", "trial", "endpoints",
                   "analysis", "correlations", "design", "priors")
        self.keys(data, "<top>", allowed, required=("schema_version", "name", "endpoints"))
        version = data["schema_version"]
        if version != SCHEMA_VERSION or isinstance(version, bool):
            raise self.fail("schema_version", f"{version!r} is not supported (allowed: 1)")
        name = self.string(data, "name", "")
        trial = self.trial(data.get("trial", {}))
        raw_endpoints = data["endpoints"]
        if not isinstance(raw_endpoints, list) or not raw_endpoints:
            raise self.fail("endpoints", "must be a non-empty array of tables ([[endpoints]])")
        endpoints = tuple(self.endpoint(raw, f"endpoints[{i}]", trial)
                          for i, raw in enumerate(raw_endpoints))
        seen: set[str] = set()
        for i, ep in enumerate(endpoints):
            if ep.id in seen:
                raise self.fail(f"endpoints[{i}].id",
                                f"duplicate id {ep.id!r} (ids must be unique)")
            seen.add(ep.id)
        ids = tuple(ep.id for ep in endpoints)
        margins = [i for i, ep in enumerate(endpoints)
                   if ep.margin is not None or ep.equivalence is not None]
        if "design" in data and margins:
            raise self.fail(f"endpoints[{margins[0]}].margin", "a group-sequential [design] "
                            "with a margin is not simulated yet (remove one of them)")
        scenario = Scenario(name=name, trial=trial, endpoints=endpoints,
                            title=self.string(data, "title", "", default=""),
                            description=self.string(data, "description", "", default=""),
                            analysis=self.analysis(data.get("analysis", {}), ids),
                            correlations=self.correlations(
                                data.get("correlations", []), ids,
                                {ep.id: ep.distribution for ep in endpoints
                                 if not ep.model.correlates}),
                            **self.designs(data["design"], trial) if "design" in data else {},
                            provenance=MappingProxyType(self.provenance), source=self.source)
        if "priors" not in data:
            return scenario
        from simtrial.priors import parse_priors  # a prior's key is checked on the scenario

        return replace(scenario, priors=parse_priors(self, data["priors"],
                                                     replace(scenario, raw=_freeze(data))))

    def designs(self, table: Any, trial: Trial) -> dict[str, Any]:
        """The primary's ``design`` and the family's ``secondary_design`` of ``[design]``.

        The other endpoints of the family are tested at the look where the primary stops, on
        their own boundaries: those of ``secondary`` alpha spending (default: ``efficacy``)
        at the same looks, without futility (:mod:`simtrial.design.family`).
        """
        design = self.design(table, trial)
        rule = self.string(table, "secondary", "design", default=design.efficacy)
        from simtrial.design.family import secondary_design

        try:
            return {"design": design, "secondary_design": secondary_design(design, rule)}
        except InputError as exc:
            raise self.fail("design.secondary", str(exc)) from None

    def design(self, table: Any, trial: Trial) -> GroupSequentialDesign:
        """The ``[design]`` table: looks and boundary rules, computed now (scenarios/README.md).

        The boundaries are solved here (tens of milliseconds, and scipy's import), so that a
        design that cannot be built fails at load, for ``validate`` as for every command.
        """
        path = "design"
        self.keys(table, path, ("looks", "efficacy", "futility", "beta", "binding", "secondary"),
                  required=("looks",))
        looks = table["looks"]
        if (not isinstance(looks, list) or not looks
                or not all(isinstance(t, int | float) and not isinstance(t, bool) for t in looks)
                or not all(a < b for a, b in zip([0, *looks], looks, strict=False))
                or looks[-1] != 1):
            raise self.fail("design.looks", f"{_short(looks)} is not allowed (allowed: "
                            "increasing information fractions in (0, 1] ending at 1, e.g. "
                            "[0.5, 0.75, 1.0])")
        from simtrial.design.boundaries import group_sequential_design, parse_futility
        from simtrial.design.conditional import ConditionalPowerFutility
        from simtrial.design.spending import parse_rule

        efficacy = self.string(table, "efficacy", path, default="ld-obf")
        futility = table.get("futility", "none")
        for key, rule, parse in (("efficacy", efficacy, parse_rule),
                                 ("futility", futility, parse_futility)):
            try:
                parsed = parse(rule) if isinstance(rule, str) else None
                if isinstance(parsed, ConditionalPowerFutility):  # the thresholds' count
                    parsed.per_look(len(looks))
                    if trial.alternative == "two-sided":
                        raise InputError("conditional-power futility needs a one-sided design "
                                         '([trial] alternative = "one-sided"), as every '
                                         "futility rule")
            except InputError as exc:
                raise self.fail(f"design.{key}", str(exc)) from None
        if isinstance(futility, list):
            if len(futility) != len(looks) - 1 or not all(
                    isinstance(z, int | float) and not isinstance(z, bool) and math.isfinite(z)
                    for z in futility):
                raise self.fail("design.futility", f"{_short(futility)} is not allowed "
                                f"(allowed: a rule, or {len(looks) - 1} z-scale bounds, one per "
                                "interim look)")
            futility = [float(z) for z in futility]
        else:
            futility = self.string(table, "futility", path, default="none")
        beta = self.number(table, "beta", path, lambda v: 0 < v < 0.5, "a number in (0, 0.5)",
                           default=0.2)
        binding = table.get("binding", False)
        if not isinstance(binding, bool):
            raise self.fail("design.binding", f"must be true or false, got {_kind(binding)}")
        try:
            return group_sequential_design(
                [float(t) for t in looks], alpha=trial.alpha,
                sided=2 if trial.alternative == "two-sided" else 1, efficacy=efficacy,
                futility=None if futility == "none" else futility, beta=beta, binding=binding)
        except InputError as exc:
            raise self.fail(path, str(exc)) from None

    def ids(self, raw: Any, where: str, ids: tuple[str, ...],
            size: int | None = None) -> tuple[str, ...]:
        """A list of distinct endpoint ids."""
        allowed = f"endpoint ids ({', '.join(ids)})"
        if not isinstance(raw, list) or (size is not None and len(raw) != size):
            count = f"{size} different " if size else "distinct "
            raise self.fail(where, f"must be an array of {count}{allowed}")
        for i, value in enumerate(raw):
            if value not in ids:
                raise self.fail(f"{where}[{i}]", f"{value!r} is not allowed (allowed: {allowed})")
            if value in raw[:i]:
                raise self.fail(f"{where}[{i}]", f"{value!r} is repeated (ids must be distinct)")
        return tuple(raw)

    def analysis(self, table: Any, ids: tuple[str, ...]) -> Analysis:
        path = "analysis"
        self.keys(table, path, ("primary", "multiplicity", "order", "family", "candidates"))
        primary = table.get("primary")
        if primary is not None:
            primary = self.string(table, "primary", path, choices=ids)
        multiplicity = self.string(table, "multiplicity", path, default="none",
                                   choices=PROCEDURES)
        if "order" in table and "family" in table:
            raise self.fail("analysis.family", "give either `order` or `family`, not both")
        if multiplicity == "fixed-sequence" and "order" not in table:
            raise self.fail("analysis.order", "is required for multiplicity = \"fixed-sequence\" "
                            "(the testing order, as an array of endpoint ids)")
        key = "order" if "order" in table else "family"
        if key in table:
            family = self.ids(table[key], f"{path}.{key}", ids)
            if not family:
                raise self.fail(f"{path}.{key}", "must name at least one endpoint")
        else:
            family = ids if multiplicity != "none" else ()
        candidates = self.ids(table.get("candidates", []), f"{path}.candidates", ids)
        if (primary or ids[0]) in candidates:
            raise self.fail(f"{path}.candidates", f"names the primary endpoint "
                            f"{primary or ids[0]!r} (list only the other endpoints considered "
                            "as the primary)")
        return Analysis(primary=primary, multiplicity=multiplicity, family=family,
                        candidates=candidates)

    def correlations(self, raw: Any, ids: tuple[str, ...], alone: Mapping[str, str]
                     ) -> tuple[tuple[tuple[str, str], float], ...]:
        if not isinstance(raw, list):
            raise self.fail("correlations", "must be an array of tables ([[correlations]])")
        pairs: dict[frozenset[str], tuple[tuple[str, str], float]] = {}
        for i, table in enumerate(raw):
            where = f"correlations[{i}]"
            self.keys(table, where, ("endpoints", "rho"), required=("endpoints", "rho"))
            first, second = self.ids(table["endpoints"], f"{where}.endpoints", ids, size=2)
            pair = first, second
            for ep_id in pair:
                if ep_id in alone:
                    raise self.fail(f"{where}.endpoints", f"{ep_id!r} is a {alone[ep_id]} "
                                    "endpoint, which cannot be correlated with others yet")
            rho = self.number(table, "rho", where, lambda v: -1 < v < 1, "a number in (-1, 1)",
                              provenance_key=f"correlations.{pair[0]}.{pair[1]}")
            if frozenset(pair) in pairs:
                raise self.fail(f"{where}.endpoints", f"the pair {list(pair)} is given twice")
            pairs[frozenset(pair)] = (pair, rho)
        correlations = tuple(pairs.values())
        if not _positive_definite(correlation_matrix(ids, correlations)):
            raise self.fail("correlations", "the correlation matrix of the endpoints is not "
                            "positive definite (allowed: rho values that some joint normal "
                            "distribution can have)")
        return correlations

    def trial(self, table: Any) -> Trial:
        path = "trial"
        self.keys(table, path, ("allocation", "alpha", "alternative", "arms", "accrual"))
        alpha = self.number(table, "alpha", path, lambda v: 0 < v <= 0.5, "a number in (0, 0.5]",
                            default=0.05)
        alternative = self.string(table, "alternative", path, default="two-sided",
                                  choices=("two-sided", "one-sided"))
        allocation = self.allocation(table.get("allocation", [1, 1]))
        arms = table.get("arms", list(ARMS))
        if (not isinstance(arms, list) or len(arms) != 2
                or not all(isinstance(a, str) and a and not _CONTROL[False].search(a)
                           for a in arms) or arms[0] == arms[1]):
            raise self.fail("trial.arms", "must be two different non-empty names without "
                            "control characters [treatment, control]")
        return Trial(allocation=allocation, alpha=alpha, alternative=alternative,
                     arms=(arms[0], arms[1]),
                     accrual=self.accrual(table["accrual"]) if "accrual" in table else None)

    def accrual(self, table: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """``[trial] accrual = {months, per_month}``: numbers, or arrays of periods and rates."""
        where = "trial.accrual"
        self.keys(table, where, ("months", "per_month"), required=("months", "per_month"))
        checks = {"months": (lambda v: 0 < v <= 1e6, "a number in (0, 1e6]"),
                  "per_month": (lambda v: 0 <= v <= 1e9, "a number in [0, 1e9]")}
        parts = {}
        for key, (check, allowed) in checks.items():
            raw = table[key]
            if isinstance(raw, list):
                parts[key] = self.numbers(table, key, where, Check(check, allowed, array=True),
                                          f"{where}.{key}")
            else:
                parts[key] = (self.number(table, key, where, check, allowed),)
        months, rates = parts["months"], parts["per_month"]
        if len(months) != len(rates):
            raise self.fail(where, f"`months` and `per_month` must have the same length, got "
                            f"{len(months)} and {len(rates)}")
        if rates[-1] <= 0:
            raise self.fail(f"{where}.per_month", "the last rate must be > 0 (accrual goes on at "
                            "it until n patients are randomised)")
        return months, rates

    def allocation(self, raw: Any) -> tuple[float, float]:
        where = "trial.allocation"
        if isinstance(raw, dict):
            raw = self.with_provenance(raw, where, where)
        allowed = "two positive numbers [treatment, control]"
        if not isinstance(raw, list) or len(raw) != 2:
            raise self.fail(where, f"must be {allowed}, got {_short(raw)}")
        for i, part in enumerate(raw):
            value = None if isinstance(part, bool) or not isinstance(part, int | float) \
                else _as_float(part)
            if value is None or not (math.isfinite(value) and value > 0):
                raise self.fail(f"{where}[{i}]", f"{_short(part)} is not allowed "
                                f"(allowed: {allowed})")
        allocation = float(raw[0]), float(raw[1])
        if min(Trial(allocation=allocation).split(MAX_N)) < 2:
            raise self.fail(where, f"{_short(raw)} leaves an arm fewer than 2 patients even at "
                            f"the largest n, {MAX_N} (allowed: ratios up to about 5,000,000:1)")
        return allocation

    def endpoint(self, table: Any, path: str, trial: Trial) -> Endpoint:
        allowed = ("id", "label", "unit", "kind", "distribution", "test", "better", "dropout",
                   "scale", "control", "treatment", "margin", "equivalence",
                   *_model_of(table).endpoint_tables, *_model_of(table).optional_tables,
                   *_model_of(table).extra_keys)
        self.keys(table, path, allowed, required=("id", "kind", "test", "better", "control",
                                                  "treatment"))
        ep_id = self.string(table, "id", path)
        if not _ID.match(ep_id):
            raise self.fail(f"{path}.id", f"{ep_id!r} is not allowed (allowed: [a-z0-9_]+)")
        kind = self.string(table, "kind", path, choices=tuple(KINDS))
        distribution = self.string(table, "distribution", path, default=KINDS[kind][0],
                                   choices=KINDS[kind])
        model = MODELS[distribution]
        test = self.string(table, "test", path, choices=model.kinds[kind])
        better = self.string(table, "better", path, choices=("lower", "higher"))
        key = f"endpoints.{ep_id}"
        scale = self.scale(table, path, key, model)
        arms = {}
        for arm in ARMS:
            names = _parameter_set(model, table[arm])
            arm_table = self.keys(table[arm], f"{path}.{arm}", names, required=names)
            arms[arm] = MappingProxyType({
                name: self.parameter(arm_table, name, f"{path}.{arm}", model.parameters[name],
                                     provenance_key=f"{key}.{arm}.{name}")
                for name in names})
            self.model_check(model.check_arm(arms[arm], scale), f"{path}.{arm}")
        self.model_check(model.check_arms(arms["treatment"], arms["control"]), path)
        arms["treatment"] = MappingProxyType(dict(model.complete_treatment(arms["treatment"],
                                                                           arms["control"])))
        extra = self.extra(table, path, key, model, trial)
        self.model_check(model.check_test(test, extra, scale), path)
        margin = self.margin(table, path, key, model, test, trial)
        if margin is not None:
            self.model_check(model.check_margin(extra), path)
        equivalence = self.equivalence(table, path, key, model, test, trial, margin)
        return Endpoint(id=ep_id, kind=kind, distribution=distribution, test=test, better=better,
                        margin=margin, equivalence=equivalence, treatment=arms["treatment"],
                        control=arms["control"],
                        dropout=(0.0, 0.0) if model.dropout_table
                        else self.dropout(table, path, key), extra=MappingProxyType(extra),
                        label=self.string(table, "label", path, default=ep_id),
                        unit=self.string(table, "unit", path, default=""), scale=scale)

    def extra(self, table: dict[str, Any], path: str, key: str, model: EndpointModel,
              trial: Trial) -> dict[str, Any]:
        """What the model reads besides the arms: its tables, a table-valued dropout, accrual."""
        extra: dict[str, Any] = {}
        for name, checks in model.endpoint_tables.items():
            if name not in table:
                raise self.fail(f"{path}.{name}", f"is required for a {model.distribution} "
                                f"endpoint (keys: {', '.join(checks)})")
            extra[name] = self.table_of_numbers(table[name], f"{path}.{name}", f"{key}.{name}",
                                                checks)
        for name, checks in model.optional_tables.items():
            if name in table:
                extra[name] = self.table_of_numbers(table[name], f"{path}.{name}",
                                                    f"{key}.{name}", checks)
        if model.dropout_table:
            extra["dropout"] = self.dropout_tables(table.get("dropout"), path, key,
                                                   model.dropout_table)
        if model.needs_accrual:
            if trial.accrual is None:
                raise self.fail("trial.accrual", f"is required for the {model.distribution} "
                                f"endpoint at {path} (e.g. accrual = {{ months = 12, "
                                "per_month = 60 }})")
            extra["accrual"] = trial.accrual
        extra.update(model.read_extra(table, path, key, self))
        self.model_check(model.check_extra(extra), path)
        return extra

    def margin(self, table: dict[str, Any], path: str, key: str, model: EndpointModel,
               test: str, trial: Trial) -> float | None:
        """The optional ``margin``: on the effect scale, one-sided, for a test that takes one."""
        if "margin" not in table:
            return None
        check = model.margin_check
        value = self.number(table, "margin", path, cast(Callable[[float], bool], check.test),
                            check.allowed, provenance_key=f"{key}.margin")
        if test not in model.margin_tests:
            allowed = ", ".join(model.margin_tests) or "none"
            raise self.fail(f"{path}.margin", f"the {test} test of a {model.distribution} "
                            f"endpoint takes no margin (tests with a margin: {allowed})")
        if trial.alternative != "one-sided":
            raise self.fail(f"{path}.margin", "a margin is tested one-sided: set [trial] "
                            "alternative = \"one-sided\" (and alpha to the one-sided level, "
                            "e.g. 0.025)")
        return value

    def equivalence(self, table: dict[str, Any], path: str, key: str, model: EndpointModel,
                    test: str, trial: Trial, margin: float | None) -> tuple[float, float] | None:
        """The optional ``equivalence = [lower, upper]``: margins of a TOST, on the effect scale."""
        where = f"{path}.equivalence"
        if "equivalence" not in table:
            return None
        if margin is not None:
            raise self.fail(where, "give either `margin` or `equivalence`, not both")
        values = self.numbers(table, "equivalence", path, model.margin_check,
                              f"{key}.equivalence")
        if len(values) != 2 or not values[0] < values[1]:
            raise self.fail(where, f"{_short(table['equivalence'])} is not allowed (allowed: "
                            "two numbers [lower, upper] with lower < upper)")
        if test not in model.equivalence_tests:
            raise self.fail(where, f"the {test} test of a {model.distribution} endpoint takes "
                            "no equivalence margins (tests with them: "
                            f"{', '.join(model.equivalence_tests) or 'none'})")
        if trial.alternative != "one-sided":
            raise self.fail(where, "equivalence is shown by two one-sided tests, each at alpha: "
                            "set [trial] alternative = \"one-sided\"")
        return values[0], values[1]

    def table_of_numbers(self, raw: Any, where: str, key: str,
                         checks: Mapping[str, Check]) -> Mapping[str, Any]:
        """A table of optional numbers (or arrays), each with its check and provenance."""
        table = self.keys(raw, where, tuple(checks))
        return MappingProxyType({name: self.parameter(table, name, where, checks[name],
                                                      provenance_key=f"{key}.{name}")
                                 for name in checks if name in table})

    def dropout_tables(self, raw: Any, path: str, key: str, checks: Mapping[str, Check]
                       ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """A model's dropout table for both arms, or ``{treatment = {...}, control = {...}}``."""
        where = f"{path}.dropout"
        if raw is None:
            none: Mapping[str, Any] = MappingProxyType({})
            return none, none
        if isinstance(raw, dict) and set(raw) & set(ARMS):
            self.keys(raw, where, ARMS, required=ARMS)
            treatment, control = (self.table_of_numbers(raw[arm], f"{where}.{arm}",
                                                        f"{key}.dropout.{arm}", checks)
                                  for arm in ARMS)
            return treatment, control
        both = self.table_of_numbers(raw, where, f"{key}.dropout", checks)
        return both, both

    def scale(self, table: dict[str, Any], path: str, key: str,
              model: EndpointModel) -> tuple[float, float, float] | None:
        """``(min, max, step)`` of a score's grid: required where the model uses one."""
        where = f"{path}.scale"
        if not model.uses_scale:
            if "scale" in table:
                raise self.fail(where, "is only allowed for kind = \"score\"")
            return None
        raw = self.keys(table.get("scale"), where, ("min", "max", "step"),
                        required=("min", "max", "step"))
        low, high, step = (self.number(raw, name, where, _SCALE, LOCATION.allowed,
                                       provenance_key=f"{key}.scale.{name}")
                           for name in ("min", "max", "step"))
        try:
            score_level_count(low, high, step)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None
        return low, high, step

    def model_check(self, problem: tuple[str, str] | None, where: str) -> None:
        """Raise the endpoint model's ``(key, message)`` complaint, if any, at ``where``."""
        if problem is not None:
            raise self.fail(_join(where, problem[0]) if problem[0] else where, problem[1])

    def parameter(self, table: dict[str, Any], key: str, path: str, check: Check,
                  provenance_key: str) -> float | tuple[float, ...]:
        """Read a parameter: a number, or an array of probabilities where ``check.test`` is None."""
        if check.test is None:
            return self.probabilities(table, key, path, check.allowed, provenance_key)
        if check.array:
            return self.numbers(table, key, path, check, provenance_key)
        return self.number(table, key, path, check.test, check.allowed, provenance_key)

    def probabilities(self, table: dict[str, Any], key: str, path: str, allowed: str,
                      provenance_key: str) -> tuple[float, ...]:
        """Read an array of category probabilities (optionally with provenance)."""
        where = _join(path, key)
        raw = table[key]
        if isinstance(raw, dict):
            raw = self.with_provenance(raw, where, provenance_key)
        if (not isinstance(raw, list) or len(raw) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool)
                           and 0 <= v <= 1 for v in raw)
                or abs(sum(raw) - 1) > 1e-6):
            raise self.fail(where, f"{_short(raw)} is not allowed (allowed: {allowed})")
        return tuple(float(v) for v in raw)

    def numbers(self, table: dict[str, Any], key: str, path: str, check: Check,
                provenance_key: str) -> tuple[float, ...]:
        """Read a non-empty array of numbers, each passing ``check`` (maybe with provenance)."""
        where = _join(path, key)
        raw = table[key]
        if isinstance(raw, dict):
            raw = self.with_provenance(raw, where, provenance_key)
        test = cast(Callable[[float], bool], check.test)
        values = [None if isinstance(v, bool) or not isinstance(v, int | float) else _as_float(v)
                  for v in raw] if isinstance(raw, list) else [None]
        if not raw or not all(v is not None and test(v) for v in values):
            raise self.fail(where, f"{_short(raw)} is not allowed (allowed: a non-empty array, "
                            f"each {check.allowed})")
        return tuple(cast(float, v) for v in values)

    def dropout(self, table: dict[str, Any], path: str, key: str) -> tuple[float, float]:
        check, allowed = lambda v: 0 <= v < 1, "a number in [0, 1)"
        raw = table.get("dropout", 0.0)
        if isinstance(raw, dict) and "value" not in raw:  # per arm
            self.keys(raw, f"{path}.dropout", ARMS, required=ARMS)
            treatment, control = (self.number(raw, arm, f"{path}.dropout", check, allowed,
                                              provenance_key=f"{key}.dropout.{arm}")
                                  for arm in ARMS)
            return treatment, control
        value = self.number(table, "dropout", path, check, allowed,
                            provenance_key=f"{key}.dropout", default=0.0)
        return value, value


def _parameter_set(model: EndpointModel, arm_table: Any) -> tuple[str, ...]:
    """The parameter names an arm must give: the set whose names it uses (or the first set)."""
    sets = model.sets()
    given = set(arm_table) if isinstance(arm_table, dict) else set()
    return next((names for names in sets if given == set(names)),
                next((names for names in sets if given & set(names)), sets[0]))


def _model_of(table: Any) -> EndpointModel:
    """The model an endpoint table names, as far as it can be told (for its allowed keys)."""
    kind = table.get("kind") if isinstance(table, dict) else None
    if not isinstance(kind, str) or kind not in KINDS:
        return EndpointModel()
    distribution = table.get("distribution", KINDS[kind][0])
    return MODELS.get(distribution, EndpointModel()) if isinstance(distribution, str) \
        else EndpointModel()


def _positive_definite(matrix: list[list[float]]) -> bool:
    """Cholesky in plain Python (scenarios are validated without importing numpy)."""
    size = len(matrix)
    lower = [[0.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1):
            total = matrix[i][j] - sum(lower[i][k] * lower[j][k] for k in range(j))
            if i == j:
                if total <= 1e-12:
                    return False
                lower[i][i] = math.sqrt(total)
            else:
                lower[i][j] = total / lower[j][j]
    return True


def _as_float(value: int | float) -> float | None:
    """``float(value)``, or None for a TOML integer beyond the range of a double."""
    try:
        return float(value)
    except OverflowError:
        return None


def _short(value: Any) -> str:
    """``repr(value)`` cut to 40 characters (a 300-digit integer is not worth printing)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _join(path: str, key: str) -> str:
    """The path of ``key`` in the table at ``path`` (``<top>``: the file's top level)."""
    return key if path in ("", "<top>") else f"{path}.{key}"


def _kind(value: Any) -> str:
    """What a TOML value is, for an error message (``a string``, ``an array``, ...)."""
    return {bool: "a boolean", str: "a string", list: "an array", dict: "a table"}.get(
        type(value), type(value).__name__)
