"""The grid of a sweep: parse ``--n`` and ``--vary``, and build the cells, each validated.

A sweep is the cartesian product of the varied values (outer, in the order given) and the
sample sizes (inner). Each cell carries its scenario as plain (picklable, JSON-able) data, so
that any process or machine can simulate it, and a key (a digest of that data and n) that
says what it computes whatever its place in the grid.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from simtrial.errors import InputError
from simtrial.scenario import Scenario

__all__ = ["ALLOCATION_KEY", "DIGITS", "TEXT_KEYS", "Grid", "digest", "parse_n_values",
           "parse_vary"]

ALLOCATION_KEY = "trial.allocation"
_HEAD = ("cell", "n_total", "n_treatment", "n_control")
#: ``power`` is after the multiplicity procedure for an endpoint of the family (named in
#: ``multiplicity``; "none" elsewhere), ``power_unadjusted`` the test alone; ``analytic_power``
#: is always the unadjusted closed form; ``family_power_any``/``_all`` are the family's
#: (empty outside it).
_TAIL = ("endpoint", "power", "mcse", "ci_low", "ci_high", "analytic_power", "rejections",
         "power_unadjusted", "multiplicity", "family_power_any", "family_power_all",
         "reps", "seed", "cell_key", "checksum")
#: Hex digits kept of the SHA-256 digests in ``cell_key`` and ``checksum`` (64 bits each).
DIGITS = 16


def parse_n_values(text: str) -> tuple[int, ...]:
    """Sample sizes from ``"300,400,500"`` or an inclusive range ``"start:stop:step"``.

    Examples
    --------
    >>> parse_n_values("300,400,500")
    (300, 400, 500)
    >>> parse_n_values("200:400:50")
    (200, 250, 300, 350, 400)
    """
    allowed = "a list like 300,400,500 or an inclusive range start:stop:step like 200:800:50"
    try:
        if ":" in text:
            start, stop, step = (int(part) for part in text.split(":"))
            if step < 1 or stop < start:
                raise ValueError
            values = tuple(range(start, stop + 1, step))
        else:
            values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InputError(f"`n` {text!r} is not allowed (allowed: {allowed})") from None
    return values


def parse_vary(text: str) -> tuple[str, tuple]:
    """A ``KEY=V1,V2,...`` option: the dotted scenario key and its values.

    Numbers become floats; ``trial.allocation`` takes ratios ``a:b``; ``design.looks``
    information fractions ``t1:t2:...:1``; ``design.efficacy``, ``design.futility`` and
    ``design.secondary`` boundary rules (checked when each cell's scenario is validated);
    ``design.binding`` ``true`` or ``false``.

    Examples
    --------
    >>> parse_vary("endpoints.walk_lln.control.p=0.25,0.3")
    ('endpoints.walk_lln.control.p', (0.25, 0.3))
    >>> parse_vary("trial.allocation=65:35,2:1")
    ('trial.allocation', ((65.0, 35.0), (2.0, 1.0)))
    >>> parse_vary("design.efficacy=ld-obf,ld-pocock")
    ('design.efficacy', ('ld-obf', 'ld-pocock'))
    >>> parse_vary("design.looks=0.5:1,0.5:0.75:1")
    ('design.looks', ((0.5, 1.0), (0.5, 0.75, 1.0)))
    """
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise InputError(f"`vary` {text!r} is not allowed (allowed: KEY=V1,V2,... such as "
                         "endpoints.walk_lln.control.p=0.25,0.30 or trial.allocation=65:35,1:1)")
    parts = [part.strip() for part in values.split(",")]
    try:
        if key == ALLOCATION_KEY:
            pairs = [part.split(":") for part in parts]
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError
            return key, tuple((float(a), float(b)) for a, b in pairs)
        return key, tuple(_value(key, part) for part in parts)
    except ValueError:
        raise InputError(f"`vary` {text!r}: values must be {_WHAT.get(key, 'numbers')}") from None


@dataclass(frozen=True)
class Grid:
    """The cells of a sweep, each with its validated scenario as plain (picklable) data."""

    scenario: Scenario
    n_values: tuple[int, ...]
    vary: tuple[tuple[str, tuple], ...]
    endpoint_ids: tuple[str, ...]
    cells: tuple[tuple[int, tuple], ...]  # (n, values of the varied keys)
    cell_data: MappingProxyType  # values of the varied keys -> plain scenario data

    @classmethod
    def build(cls, scenario: Scenario, n: Any, vary: dict[str, Sequence[Any]],
              endpoints: Sequence[str] | None) -> Grid:
        """Check the sample sizes, the varied values and every cell's scenario; the grid.

        `n` is checked here: an integer or a sequence of integers, each at least 2.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> grid = Grid.build(load_scenario("msc-covid19"), [200, 400],
        ...                   {"trial.alpha": [0.05, 0.025]}, ["walk_m"])
        >>> grid.cells
        ((200, (0.05,)), (400, (0.05,)), (200, (0.025,)), (400, (0.025,)))
        """
        n_values = tuple(n) if not isinstance(n, numbers.Integral) else (n,)
        if not n_values or any(isinstance(v, bool) or not isinstance(v, numbers.Integral)
                               or v < 2 for v in n_values):
            raise InputError(f"`n` must be integers >= 2, got {n!r}")
        n_values = tuple(int(v) for v in n_values)
        if len(set(n_values)) != len(n_values):
            raise InputError(f"`n` has repeated values: {n!r}")
        pairs = []
        for key, values in vary.items():
            values = tuple(_checked(key, v) for v in values)
            if not values or len(set(values)) != len(values):
                raise InputError(f"`vary` {key}: give distinct values, got {values!r}")
            pairs.append((key, values))
        if endpoints is not None:
            ids = tuple(scenario.endpoint(e).id for e in endpoints)
        else:
            ids = tuple(e.id for e in scenario.endpoints)
        combos = list(itertools.product(*(values for _, values in pairs)))
        cell_data = {}
        for combo in combos:  # every cell's scenario is validated before any work starts
            changed = {key: list(v) if isinstance(v, tuple) else v
                       for (key, _), v in zip(pairs, combo, strict=True)}
            cell_scenario = scenario.with_values(changed)
            for size in n_values:
                if min(cell_scenario.trial.split(size)) < 1:
                    where = "".join(f" with {key} = {_value_label(key, v)}"
                                    for key, v in changed.items())
                    raise InputError(f"`n` {size}{where} leaves an arm without patients "
                                     f"(treatment, control = {cell_scenario.trial.split(size)})")
            cell_data[combo] = plain(cell_scenario.raw)
        cells = tuple((size, combo) for combo in combos for size in n_values)
        return cls(scenario, n_values, tuple(pairs), ids, cells, MappingProxyType(cell_data))

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of a row: the cell and n, the varied keys, the endpoint's numbers."""
        return (*_HEAD, *(key for key, _ in self.vary), *_TAIL)

    def cell_key(self, index: int) -> str:
        """What the cell computes, whatever its place in the grid: its scenario data and n."""
        size, combo = self.cells[index]
        return digest({"scenario": self.cell_data[combo], "n": size})[:DIGITS]

    def rows(self, index: int, stats: list[tuple], reps: int, seed: int) -> list[dict]:
        """The rows of a cell from the per-endpoint numbers a backend gives, but the checksum.

        ``stats`` is :func:`simtrial.sweeps.backends.simulate_cell`'s answer; the checksum
        column is added by :func:`simtrial.sweeps.output.sealed`.
        """
        size, combo = self.cells[index]
        labels = {key: _value_label(key, v) for (key, _), v in zip(self.vary, combo, strict=True)}
        key = self.cell_key(index)
        rows = []
        for (n_t, n_c, ep_id, power, mcse, low, high, analytic, rejections, unadjusted,
             procedure, family_any, family_all) in stats:
            row = {"cell": index, "n_total": size, "n_treatment": n_t, "n_control": n_c,
                   **labels, "endpoint": ep_id, "power": power, "mcse": mcse, "ci_low": low,
                   "ci_high": high, "analytic_power": analytic, "rejections": rejections,
                   "power_unadjusted": unadjusted, "multiplicity": procedure,
                   "family_power_any": family_any, "family_power_all": family_all,
                   "reps": reps, "seed": seed, "cell_key": key}
            rows.append(row)
        return rows

    def task(self, index: int, reps: int, seed: int, threads: int) -> tuple:
        """The arguments of :func:`simtrial.sweeps.backends.simulate_cell` for a cell."""
        size, combo = self.cells[index]
        return (self.cell_data[combo], self.scenario.source, size, reps, seed,
                self.endpoint_ids, threads)


def digest(data: Any) -> str:
    """SHA-256 (hex) of JSON data in a canonical form.

    Examples
    --------
    >>> digest({"b": 1, "a": [2]}) == digest({"a": [2], "b": 1})
    True
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def plain(data: Any) -> Any:
    """Frozen scenario data -> plain dicts and lists (picklable, JSON-able)."""
    if isinstance(data, MappingProxyType | dict):
        return {key: plain(value) for key, value in data.items()}
    if isinstance(data, tuple | list):
        return [plain(value) for value in data]
    return data


#: What the values of the keys that are not plain numbers must be, as errors say it.
_WHAT = {ALLOCATION_KEY: "ratios a:b such as 65:35",
         "design.looks": "information fractions t1:t2:...:1 such as 0.5:0.75:1",
         "design.efficacy": "boundary rules such as ld-obf", "design.futility": "boundary rules "
         "such as ld-obf, cp:0.1 or none", "design.secondary": "boundary rules such as ld-pocock",
         "design.binding": "true or false"}
#: Varied keys whose values the output file holds as text.
TEXT_KEYS = frozenset(_WHAT)


def _value(key: str, value: Any) -> Any:
    """A varied value as the grid holds it (floats, fractions, a rule, a flag); ValueError."""
    if key == ALLOCATION_KEY:
        pair = tuple(map(float, value))
        if len(pair) != 2:
            raise ValueError
        return pair
    if key == "design.looks":
        looks = tuple(map(float, value.split(":") if isinstance(value, str) else value))
        if not looks:
            raise ValueError
        return looks
    if key == "design.binding":
        flags = {"true": True, "false": False, True: True, False: False}
        if not isinstance(value, str | bool) or value not in flags:
            raise ValueError
        return flags[value]
    if key in TEXT_KEYS:
        if not isinstance(value, str) or not value:
            raise ValueError
        return value
    return float(value)


def _checked(key: str, value: Any) -> Any:
    """:func:`_value`, or the `vary` error naming the key."""
    try:
        return _value(key, value)
    except (TypeError, ValueError):
        what = _WHAT.get(key, "numbers")
        raise InputError(f"`vary` {key}: values must be {what}, got {value!r}") from None


def _value_label(key: str, value: Any) -> Any:
    """A varied value as the output file's column holds it."""
    if key == ALLOCATION_KEY:
        return f"{value[0]:g}:{value[1]:g}"
    if key == "design.looks":
        return ":".join(f"{t:g}" for t in value)
    if key == "design.binding":
        return "true" if value else "false"
    return value

