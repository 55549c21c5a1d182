"""Every number of a report, as ``results.json`` holds it.

The sample size comes from :func:`simtrial.search.sample_size`, the powers from
:func:`simtrial.simulate.power`, the derived numbers from :func:`simtrial.evidence.derive`,
the sensitivity analysis from :mod:`simtrial.reports.sensitivity`, the interim plan, the
assurance, the candidate primaries and the time-to-event numbers from
:mod:`simtrial.reports.planning`, the sample size with and without baseline adjustment from
:mod:`simtrial.reports.adjusted` (each None where it does not apply).
"""

from __future__ import annotations

import hashlib
import platform
import shlex
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from simtrial import evidence
from simtrial._version import __version__
from simtrial.reports import adjusted, planning, precision, sensitivity, word
from simtrial.scenario import Scenario, ScenarioError, load_scenario
from simtrial.scenario.keys import value_of
from simtrial.search import sample_size
from simtrial.simulate import power, simulated_power

__all__ = ["CURVE_FACTORS", "compute", "file_of"]

CURVE_FACTORS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def compute(sc: Scenario, name: str | None, target: float, out: Path, reps: int, seed: int,
            jobs: int | None) -> dict[str, Any]:
    """The numbers of a report for `sc`, with n chosen so the primary endpoint reaches `target`.

    `name` is the scenario's file or built-in name (None for a Scenario changed in Python: no
    hash and no command); `out` enters only the command that reproduces the report.
    """
    primary, primary_note = _primary(sc)
    secondary = _key_secondary(sc, primary)
    small = max(100, reps // 5)
    found = sample_size(sc, primary, target, reps=reps, seed=seed, jobs=jobs)
    n = found.n_total
    uncertainty = _n_range(sc, primary, found, target, reps, seed, jobs)
    at_n = power(sc, n, reps=reps, seed=seed, jobs=jobs)
    curve = []
    for m in sorted({round(n * f) for f in CURVE_FACTORS}):
        if min(sc.trial.split(m)) < 2:
            continue
        res = simulated_power(sc, m, reps=small, seed=seed, jobs=jobs)
        curve += [{"n_total": m, "endpoint": e.id, "power": e.power, "mcse": e.mcse,
                   "ci_low": e.ci[0], "ci_high": e.ci[1]} for e in res.endpoints]
    sens = sensitivity.analyse(sc, primary, secondary, n, small, seed, jobs)
    draws, trials = planning.assurance_sizes(reps)
    return {
        "simtrial_report": 1,
        "scenario": {"name": sc.name, "title": sc.title, "source": name,
                     "sha256": name and _scenario_sha256(name)},
        "target_power": target,
        "primary": {"endpoint": primary, "note": primary_note},
        "key_secondary": secondary,
        "design": {"arms": {"treatment": sc.trial.arms[0], "control": sc.trial.arms[1]},
                   "allocation": list(sc.trial.allocation), "alpha": sc.trial.alpha,
                   "alternative": sc.trial.alternative,
                   "multiplicity": sc.analysis.multiplicity,
                   "family": list(sc.analysis.family)},
        "sample_size": found.to_dict(),
        "n_range": uncertainty,
        "power_at_n": at_n.to_dict(),
        "interim_plan": planning.interim(sc, n, reps, seed, jobs),
        "primary_choice": planning.primary_choice(sc, primary, found, at_n, target, reps,
                                                  seed, jobs),
        "time_to_event": planning.time_to_event(sc, at_n, target),
        "baseline_adjustment": adjusted.baseline_adjustment(sc, target, reps, seed, jobs),
        "assurance": planning.probability_of_success(sc, n, reps, seed, jobs),
        "evidence": _evidence(sc),
        "assumptions": [{"key": key, "value": value_of(sc, key),
                         "reason": prov.reason}
                        for key, prov in sc.provenance.items() if prov.basis == "assumed"],
        "power_curve": {"reps": small, "seed": seed, "rows": curve},
        "sensitivity": sens,
        "reproducibility": {
            "command": name and _command(name, target, out, reps, seed),
            "seed": seed, "reps": reps, "sensitivity_reps": small,
            "assurance_draws": draws, "assurance_reps": trials,
            "versions": {"simtrial": __version__, "python": platform.python_version(),
                         **{pkg: metadata.version(pkg)
                            for pkg in ("numpy", "numba", "scipy", "matplotlib")},
                         **({"python-docx": metadata.version("python-docx")}
                            if word.available() else {})}},
    }


def _n_range(sc: Scenario, primary: str, found, target: float, reps: int, seed: int,
             jobs: int | None) -> dict | None:
    """The totals whose power is within 2 MCSE of the target (:mod:`.precision`).

    Simulated like the search (the primary's power under the multiplicity procedure, same
    seed and reps). None under a group-sequential design, whose search simulates the design.
    """
    if sc.design is not None:
        return None
    # the "final" points are simulated_power at the same seed and reps, as below
    known = {p["n_total"]: (p["power"], p["mcse"]) for p in found.trace
             if p["stage"] == "final" and p["reps"] == reps}
    known[found.n_total] = (found.power, found.mcse)

    def power_at(m: int) -> tuple[float, float]:
        e = simulated_power(sc, m, reps=reps, seed=seed, endpoints=[primary],
                            jobs=jobs).endpoints[0]
        return e.power, e.mcse

    return precision.n_range(power_at, found.n_total, target, known, sc.trial.smallest_n())


def file_of(sc: Scenario) -> str | None:
    """The file or built-in a Scenario object was loaded from, None if it was changed since.

    Examples
    --------
    >>> sc = load_scenario("msc-covid19")
    >>> file_of(sc), file_of(sc.with_values({"trial.alpha": 0.01}))
    ('msc-covid19', None)
    """
    try:
        return sc.source if load_scenario(sc.source) == sc else None
    except ScenarioError:
        return None


def _primary(sc: Scenario) -> tuple[str, str]:
    if sc.analysis.primary is not None:
        return sc.analysis.primary, "named by the scenario ([analysis] primary)"
    return sc.endpoints[0].id, ("the scenario names no primary endpoint ([analysis] primary), "
                                "so its first endpoint is used")


def _key_secondary(sc: Scenario, primary: str) -> str | None:
    family = list(sc.analysis.family)
    if primary in family and family.index(primary) + 1 < len(family):
        return family[family.index(primary) + 1]
    return None


def _scenario_sha256(name: str) -> str | None:
    """SHA-256 of the scenario file's text (for a built-in: of the packaged TOML)."""
    path = Path(name)
    if path.is_file():
        data = path.read_bytes()
    else:
        resource = resources.files("simtrial.scenarios") / f"{name}.toml"
        if not resource.is_file():
            return None
        data = resource.read_bytes()
    return hashlib.sha256(data).hexdigest()


def _command(name: str, target: float, out: Path, reps: int, seed: int) -> str:
    args = ["simtrial", "report", "--scenario", name, "--power", f"{target:g}", "--out",
            str(out), "--reps", str(reps), "--seed", str(seed)]
    return shlex.join(args)


def _evidence(sc: Scenario) -> list[dict]:
    rows = []
    for key, prov in sc.provenance.items():
        if key.startswith("priors["):  # not behind the power: the assurance section's
            continue
        row = {"key": key, "value": value_of(sc, key), **prov.to_dict()}
        if prov.derivation is not None:
            derived = evidence.derive(**dict(prov.derivation))
            row["recomputed"] = derived.to_dict()
        rows.append(row)
    return rows
