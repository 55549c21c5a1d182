"""Grant-ready sample-size justification: Markdown, two figures and every number as JSON.

Formatting only: the sample size comes from :func:`simtrial.search.sample_size`, the powers
from :func:`simtrial.simulate.power`, the derived numbers from :func:`simtrial.evidence.derive`.

Choices made here (stated in every report):

- The sample size is chosen for the scenario's primary endpoint (``[analysis] primary``); a
  scenario that names none falls back to its first endpoint, and the report says so.
- The power curve and the sensitivity analysis use ``max(100, reps // 5)`` simulated trials
  per point; the sample size and the powers at the chosen n use ``reps``.
- The sensitivity analysis varies one number at a time at the chosen n, everything else as
  planned: the primary endpoint's effect (its treatment parameter) and dropout, and every
  number with basis "assumed" of the primary and key secondary endpoint (the one tested right
  after the primary in the multiplicity family), of the allocation and of the correlations
  that involve either. Location parameters are varied so that the difference is 0.5 to 1.5
  times the planned one, spreads by 0.75 to 1.25 times, dropout from 0 to 0.4 in both arms,
  correlations from 0 to 1.5 times the planned one (within -/+ 0.95; a value no joint normal
  can have with the other correlations is skipped). Correlations change no endpoint's own
  test, only what a multiplicity procedure does with several. Other assumed numbers (alpha, a
  design choice; levels that do not change the test) are listed, not varied.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from simtrial import evidence
from simtrial._version import __version__
from simtrial.errors import InputError
from simtrial.scenario import Scenario, ScenarioError, load_scenario
from simtrial.search import sample_size
from simtrial.simulate import power
from simtrial.stattests import TESTS
from simtrial.text import markdown_code, markdown_inline, terminal

__all__ = ["Report", "report"]

CURVE_FACTORS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
EFFECT_FACTORS = (0.5, 0.75, 1.0, 1.25, 1.5)
SPREAD_FACTORS = (0.75, 0.9, 1.0, 1.1, 1.25)
DROPOUTS = (0.0, 0.1, 0.2, 0.3, 0.4)
CORRELATION_FACTORS = (0.0, 0.5, 1.0, 1.5)  # times the planned rho, within -/+ 0.95
ALLOCATIONS = ((1, 1), (2, 1), (3, 1))
#: Every file a report may write; ``force`` replaces these and nothing else.
FILES = ("report.md", "results.json", "power_curve.png", "sensitivity.png")
STAGING_PREFIX = ".simtrial-report-"


@dataclass(frozen=True)
class Report:
    """A written report: the directory, the Markdown text and every number (``results``).

    ``files`` names the files written, in :data:`FILES` order.
    """

    out: Path
    markdown: str
    results: dict
    files: tuple[str, ...] = ()


def report(scenario: Scenario | str, target_power: float, out: str | Path, *,
           reps: int = 10_000, seed: int = 1, jobs: int | None = None,
           force: bool = False) -> Report:
    """Choose n for the primary endpoint and write the justification into directory `out`.

    Parameters
    ----------
    scenario : Scenario or str
        A built-in name or file path (its text is hashed), or a Scenario: hashed through
        the file it was loaded from, unless it was changed since (then no hash, no command).
    target_power : float
        Target power of the primary endpoint, in (0, 1).
    out : str or path
        Output directory; it must not exist or be empty unless `force`.
    reps, seed : int
        Simulated trials for the sample size and the powers at n, and the seed.
    jobs : int, optional
        Threads (default: all cores); the numbers do not depend on it.
    force : bool
        Write into a non-empty `out`: the report's own files (:data:`FILES`) are replaced and
        nothing else in `out` is touched. Refused if `out` holds one of those names but is not
        a report directory (no ``results.json`` written by a report).

    Returns
    -------
    Report

    Notes
    -----
    Everything is written to a staging directory first: a new `out` is that directory renamed
    at the end; into an existing `out` (staged inside it, ``.simtrial-report-*``) each file is
    moved by an atomic rename. A failure or an interrupt (Ctrl-C, SIGTERM from the command
    line) removes the staging directory and leaves `out` as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "grant"
    >>> rep = report("msc-covid19", 0.9, out, reps=1000, jobs=1)
    >>> sorted(p.name for p in out.iterdir())
    ['power_curve.png', 'report.md', 'results.json', 'sensitivity.png']
    >>> "NCT04288102" in rep.markdown
    True
    """
    out = _report_iv(target_power, out, reps, seed, force)
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    name = scenario if isinstance(scenario, str) else _file_of(scenario)
    staging = _staging(out)
    try:
        results = _compute(sc, name, target_power, out, reps, seed, jobs)
        markdown = _markdown(sc, results)
        (staging / "results.json").write_text(json.dumps(results, indent=2) + "\n",
                                              encoding="utf-8")
        (staging / "report.md").write_text(markdown, encoding="utf-8")
        _draw(sc, results, staging)
        files = tuple(name for name in FILES if (staging / name).exists())
        _replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Report(out=out, markdown=markdown, results=results, files=files)


def _report_iv(target_power, out, reps, seed, force) -> Path:
    if isinstance(target_power, bool) or not isinstance(target_power, float | int) or not (
            0 < target_power < 1):
        raise InputError(f"`target_power` must be a number in (0, 1); got {target_power!r}.")
    for arg, value, low in (("reps", reps, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(f"`{arg}` must be an integer >= {low}; got {value!r}.")
    if not isinstance(out, str | Path):
        raise InputError(f"`out` must be a directory path; got {out!r}.")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"`out` {out}: exists and is not a directory.")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise InputError(f"`out` {out}: the directory is not empty; use --force to replace "
                             "the report's files in it.")
        _check_replaceable(out)
    from simtrial.plots import require_matplotlib

    try:
        require_matplotlib()
    except ImportError as exc:
        raise InputError(f"`out`: the report's figures need matplotlib ({exc}).") from None
    return out


def _check_replaceable(out: Path) -> None:
    """Refuse `out` if it holds a file named as a report's that no report wrote."""
    taken = [name for name in FILES if (out / name).exists()]
    if not taken:
        return
    try:
        written = "simtrial_report" in json.loads((out / "results.json").read_text("utf-8"))
    except (OSError, ValueError, TypeError):
        written = False
    if not written:
        raise InputError(f"`out` {out}: holds {', '.join(taken)} but is not a report directory "
                         "(no results.json written by simtrial report); --force replaces only a "
                         "report's own files: choose another directory.")


def _staging(out: Path) -> Path:
    """A new empty directory to write the report in before it is moved into `out`.

    For a new `out` it is made next to it and gets a new directory's usual permissions (the
    umask's, not a temporary directory's owner-only ones), since it becomes `out`; for an
    existing `out` it is made inside it, so that nothing is written outside `out`. It is made
    before computing, so that a place where nothing can be written fails at once.
    """
    exists = out.is_dir()
    try:
        if not exists:
            out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out if exists else out.parent))
    except OSError as exc:
        raise InputError(f"`out` {out}: cannot write there ({exc.strerror or exc}).") from None
    if not exists:
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
    return staging


def _replace(staging: Path, out: Path) -> None:
    """Move the finished files from `staging` into `out`.

    A new `out` is the staging directory renamed. Into an existing one, each report file is
    moved by an atomic rename, and a report file of an earlier report that this one did not
    write (a sensitivity figure with nothing to draw) is removed; nothing else is touched.
    """
    if not out.is_dir() or not staging.parent.samefile(out):
        staging.rename(out)
        return
    for name in FILES:
        if (staging / name).exists():
            os.replace(staging / name, out / name)
        else:
            (out / name).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------- numbers
def _compute(sc: Scenario, name: str, target: float, out: Path, reps: int, seed: int,
             jobs) -> dict:
    primary, primary_note = _primary(sc)
    secondary = _key_secondary(sc, primary)
    small = max(100, reps // 5)
    found = sample_size(sc, primary, target, reps=reps, seed=seed, jobs=jobs)
    n = found.n_total
    at_n = power(sc, n, reps=reps, seed=seed, jobs=jobs)
    curve = []
    for m in sorted({round(n * f) for f in CURVE_FACTORS}):
        if min(sc.trial.split(m)) < 2:
            continue
        res = power(sc, m, reps=small, seed=seed, jobs=jobs)
        curve += [{"n_total": m, "endpoint": e.id, "power": e.power, "mcse": e.mcse,
                   "ci_low": e.ci[0], "ci_high": e.ci[1]} for e in res.endpoints]
    shown = [primary] + ([secondary] if secondary else [])
    sensitivity, not_varied = _sensitivity(sc, primary, secondary, n, small, seed, jobs, shown)
    powers = at_n.to_dict()
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
        "power_at_n": powers,
        "evidence": _evidence(sc),
        "assumptions": [{"key": key, "value": _value_of(sc, key), "reason": prov.reason}
                        for key, prov in sc.provenance.items() if prov.basis == "assumed"],
        "power_curve": {"reps": small, "seed": seed, "rows": curve},
        "sensitivity": {"reps": small, "seed": seed, "n_total": n, "endpoints": shown,
                        "items": sensitivity, "not_varied": not_varied},
        "reproducibility": {
            "command": name and _command(name, target, out, reps, seed),
            "seed": seed, "reps": reps, "sensitivity_reps": small,
            "versions": {"simtrial": __version__, "python": platform.python_version(),
                         **{pkg: metadata.version(pkg)
                            for pkg in ("numpy", "numba", "scipy", "matplotlib")}}},
    }


def _file_of(sc: Scenario) -> str | None:
    """The file or built-in a Scenario object was loaded from, None if it was changed since."""
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


def _value_of(sc: Scenario, key: str):
    """The scenario's number at a provenance key (dotted, as in Scenario.provenance)."""
    parts = key.split(".")
    if parts[0] == "trial":
        value = getattr(sc.trial, parts[1])
        return list(value) if isinstance(value, tuple) else value
    if parts[0] == "correlations":
        return next(rho for pair, rho in sc.correlations if list(pair) == parts[1:])
    ep = sc.endpoint(parts[1])
    if parts[2] == "dropout":
        return ep.dropout[0] if parts[3:] in ([], ["treatment"]) else ep.dropout[1]
    if parts[2] == "scale":
        return ep.scale[("min", "max", "step").index(parts[3])]
    return getattr(ep, parts[2])[parts[3]]


def _evidence(sc: Scenario) -> list[dict]:
    rows = []
    for key, prov in sc.provenance.items():
        row = {"key": key, "value": _value_of(sc, key), **prov.to_dict()}
        if prov.derivation is not None:
            derived = evidence.derive(**dict(prov.derivation))
            row["recomputed"] = derived.to_dict()
        rows.append(row)
    return rows


def _sensitivity(sc, primary, secondary, n, reps, seed, jobs, shown):
    keys = {}
    for ep_id in filter(None, (primary, secondary)):
        ep = sc.endpoint(ep_id)
        if ep_id == primary and ep.location in ep.treatment:  # not ordinal probabilities
            keys[f"endpoints.{ep_id}.treatment.{ep.location}"] = None
        if ep_id == primary:
            keys[f"endpoints.{ep_id}.dropout"] = None
        for key, prov in sc.provenance.items():
            parts = key.split(".")
            if (prov.basis == "assumed" and parts[:2] == ["endpoints", ep_id]
                    and parts[2] in ("treatment", "control")):
                keys[key] = None
    for (a, b), _ in sc.correlations:
        prov = sc.provenance.get(f"correlations.{a}.{b}")
        if {a, b} & {primary, secondary} and prov is not None and prov.basis == "assumed":
            keys[f"correlations.{a}.{b}"] = None
    prov = sc.provenance.get("trial.allocation")
    if prov is not None and prov.basis == "assumed":
        keys["trial.allocation"] = None
    items, not_varied = [], []
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
            res = power(varied, n, reps=reps, seed=seed, endpoints=shown, jobs=jobs)
            rows.append({"value": list(value) if isinstance(value, tuple) else value,
                         "power": {e.id: {"power": e.power, "mcse": e.mcse}
                                   for e in res.endpoints}})
        items.append({"key": key, "label": label, "planned": planned, "rows": rows})
    assumed = [key for key, p in sc.provenance.items() if p.basis == "assumed"]
    not_varied += [key for key in assumed if key not in keys]
    return items, not_varied


def _grid(sc: Scenario, key: str):
    """(planned value or None, values to try, axis label) for one sensitivity key."""
    if key == "trial.allocation":
        planned = tuple(sc.trial.allocation)
        values = [planned, *(a for a in ALLOCATIONS if a != planned)]
        return None, values, "allocation (treatment:control)"
    parts = key.split(".")
    if parts[0] == "correlations":
        rho = _value_of(sc, key)
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


def _around(value: float, factors, scaled) -> list[float]:
    """``scaled(f)`` for each factor, to 4 significant digits; the planned value itself at 1."""
    return [value if f == 1 else float(f"{scaled(f):.4g}") for f in factors]


# --------------------------------------------------------------------------------- markdown
# Text from the scenario file (name, title, arm names, labels, units, provenance) enters the
# Markdown only through simtrial.text: markdown_inline in text and table cells, markdown_code
# in a code span, terminal in the fenced code block. Everything else written here is ours.
def _md_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub table of cells that are Markdown already (scenario text escaped)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _arms(r: dict) -> tuple[str, str]:
    """The names of the treatment and the control arm, as Markdown."""
    arms = r["design"]["arms"]
    return markdown_inline(arms["treatment"]), markdown_inline(arms["control"])


def _label(label: str, endpoint_id: str) -> str:
    """An endpoint's label (its id if it has none), as Markdown."""
    return markdown_inline(label or endpoint_id)


def _pct(p: float, digits: int = 1) -> str:
    return f"{100 * p:.{digits}f}%"


def _number(value) -> str:
    if isinstance(value, list):
        return ":".join(f"{v:g}" for v in value)
    return f"{value:g}" if isinstance(value, float | int) else str(value)


def _markdown(sc: Scenario, r: dict) -> str:
    ss, at_n = r["sample_size"], r["power_at_n"]
    t_arm, c_arm = _arms(r)
    primary = sc.endpoint(r["primary"]["endpoint"])
    parts = [f"# Sample-size justification: {markdown_inline(sc.title or sc.name)}", "",
             f"Scenario {markdown_code(sc.name)}; target power {_pct(r['target_power'], 0)} for "
             f"the primary endpoint. Generated by simtrial {__version__}; every number below is in "
             "`results.json`.", ""]
    parts += ["## Design", "", _md_table(["item", "value"], _design_rows(sc, r)), ""]
    parts += ["## Effect sizes and their evidence", "",
              "Basis: *reported* (taken from a publication), *derived* (computed from reported "
              "figures; the derivation is recomputed here by `simtrial.evidence`), *assumed* "
              "(a planning value, with the reason). Numbers not listed have no provenance in "
              "the scenario file.", "",
              _md_table(["number", "value", "basis", "source / reason", "derivation (recomputed)"],
                        [_evidence_row(row) for row in r["evidence"]])
              if r["evidence"] else "No number of this scenario records its provenance.", ""]
    parts += ["## Sample size", "", *_sample_size_lines(ss, primary, t_arm, c_arm), ""]
    parts += [f"## Power of every endpoint at n = {ss['n_total']}", "",
              _md_table(["endpoint", "test", f"effect ({t_arm} vs {c_arm})", "power", "MCSE",
                         "95% CI", "unadjusted", "closed form", "exact"],
                        [_power_row(e) for e in at_n["endpoints"]]), "",
              *_power_notes(at_n), "",
              "![Power against the total sample size per endpoint, with the 95% Monte Carlo "
              "band, the target and the chosen n](power_curve.png)", "",
              f"Power curve: {r['power_curve']['reps']} simulated trials per point, "
              f"seed {r['power_curve']['seed']}.", ""]
    parts += ["## Sensitivity", "", *_sensitivity_lines(sc, r), ""]
    parts += ["## Assumptions and limitations", "", *_assumption_lines(sc, r), ""]
    parts += ["## Justification (ready to paste)", "", _justification(sc, r), ""]
    parts += ["## Reproducibility", "", *_reproducibility_lines(r), ""]
    return "\n".join(parts)


def _design_rows(sc: Scenario, r: dict) -> list[list]:
    ss, design = r["sample_size"], r["design"]
    a_t, a_c = design["allocation"]
    t_arm, c_arm = _arms(r)
    family = design["family"]
    joiner = " > " if design["multiplicity"] == "fixed-sequence" else ", "
    primary = sc.endpoint(r["primary"]["endpoint"])
    return [
        ["source study", "; ".join(_registrations(r["evidence"])) or "not recorded"],
        ["arms", f"{t_arm} (treatment), {c_arm} (control)"],
        ["allocation", f"{a_t:g}:{a_c:g} ({t_arm}:{c_arm})"],
        ["randomised", f"n = {ss['n_total']}: {ss['n_per_arm']['treatment']} {t_arm}, "
                       f"{ss['n_per_arm']['control']} {c_arm}"],
        ["alpha", f"{design['alpha']:g}, {design['alternative']}"],
        ["primary endpoint", f"{_label(primary.label, primary.id)} [{primary.id}] "
                             f"({r['primary']['note']})"],
        ["test", TESTS[primary.test].title],
        ["multiplicity", f"{design['multiplicity']}" + (f": {joiner.join(family)}"
                                                         if family else "")],
    ]


def _registrations(rows: list[dict]) -> list[str]:
    """Trial registrations (NCT numbers) and PubMed ids named by the provenance sources."""
    text = " ".join(row.get("source", "") for row in rows)
    named = []
    for what, pattern in (("trial registration", r"NCT\d{8}"), ("publications", r"PMID \d+")):
        found = dict.fromkeys(re.findall(pattern, text))
        if found:
            named.append(f"{what} {', '.join(found)}")
    return named


def _evidence_row(row: dict) -> list:
    source = markdown_inline(row.get("source") or "")
    for key, prefix in (("quote", "quote: "), ("reason", ""), ("note", "note: ")):
        if row.get(key):
            source += ("; " if source else "") + prefix + markdown_inline(row[key])
    derivation = ""
    if "recomputed" in row:
        rec = row["recomputed"]
        derivation = f"`{rec['method']}`: {markdown_inline(rec['explanation'])}" + (
            f" ({markdown_inline(rec['reference'])})" if rec["reference"] else "")
    return [f"`{row['key']}`", _number(row["value"]), row["basis"], source, derivation]


def _sample_size_lines(ss: dict, primary, t_arm: str, c_arm: str) -> list[str]:
    n_pa, assessed = ss["n_per_arm"], ss["expected_assessed"]
    lines = [
        f"- **n = {ss['n_total']}** randomised ({n_pa['treatment']} {t_arm}, "
        f"{n_pa['control']} {c_arm}): the smallest total whose simulated power for "
        f"{_label(primary.label, primary.id)} reaches {_pct(ss['target_power'], 0)} on the "
        "search's fitted power curve (`simtrial.search.sample_size`).",
        f"- Simulated again at n = {ss['n_total']} (an independent estimate, within Monte "
        f"Carlo error of the target): {ss['power']:.4f} (Monte Carlo SE "
        f"{ss['mcse']:.4f}, 95% CI {ss['ci'][0]:.4f} to {ss['ci'][1]:.4f}; {ss['reps']} "
        f"simulated trials, seed {ss['seed']}; search: {ss['method']}).",
    ]
    below = ss["n_minus_step"]
    if below:
        lines.append(f"- At n = {below['n_total']}: {below['power']:.4f} (MCSE "
                     f"{below['mcse']:.4f}).")
    lines.append("- Closed-form cross-check (textbook formula, same dropout): " + (
        f"n = {ss['analytic_n']}." if ss["analytic_n"] else "no closed form for this test."))
    lines += [
        f"- Dropout (not assessed): {_pct(ss['dropout']['treatment'])} {t_arm}, "
        f"{_pct(ss['dropout']['control'])} {c_arm}, simulated per patient; expected evaluable "
        f"patients {assessed['treatment']:.1f} {t_arm} and {assessed['control']:.1f} {c_arm}.",
        "- Naive inflation (closed-form n without dropout divided by 1 - average dropout): "
        + (f"n = {ss['naive_inflation_n']}." if ss["naive_inflation_n"] else "not available."),
    ]
    return lines


def _power_row(e: dict) -> list:
    def opt(x):
        return "-" if x is None else f"{x:.4f}"

    return [f"{markdown_inline(e['label'])} [{e['id']}]", e["test"], markdown_inline(e["effect"]),
            f"{e['power']:.4f}", f"{e['mcse']:.4f}", f"{e['ci'][0]:.4f} to {e['ci'][1]:.4f}",
            opt(e["power_unadjusted"]), opt(e["analytic_power"]), opt(e["exact_power"])]


def _power_notes(at_n: dict) -> list[str]:
    lines = [f"Power: share of {at_n['reps']} simulated trials (seed {at_n['seed']}) whose test "
             "rejects H0; MCSE = sqrt(p(1 - p)/reps); CI: Wilson 95% interval. For endpoints "
             "in the multiplicity family, power is that of the procedure and *unadjusted* that "
             "of the test alone. *Closed form*: textbook formula at the expected assessed "
             "numbers; *exact*: enumeration of every 2x2 table."]
    family = at_n["family"]
    if family:
        lines += ["", f"Family ({family['procedure']}: {', '.join(family['endpoints'])}): "
                  f"at least one hypothesis rejected {family['power_any']:.4f} (MCSE "
                  f"{family['mcse_any']:.4f}); all rejected {family['power_all']:.4f} (MCSE "
                  f"{family['mcse_all']:.4f})."]
    for e in at_n["endpoints"]:
        if e["safety"]:
            s = e["safety"]
            lines += ["", f"Safety [{e['id']}]: P(at least one event) "
                      f"{s['p_any_event']['treatment']:.4f} treatment, "
                      f"{s['p_any_event']['control']:.4f} control; with no events the "
                      f"{s['level']:.0%} upper bound on the rate would be "
                      f"{s['zero_event_upper_bound']['treatment']:.4f} (treatment, "
                      f"{s['assessed']['treatment']} assessed)."]
    return lines


def _sensitivity_lines(sc: Scenario, r: dict) -> list[str]:
    sens = r["sensitivity"]
    shown = sens["endpoints"]
    lines = [f"One number varied at a time at n = {sens['n_total']}, everything else as "
             f"planned; {sens['reps']} simulated trials per row, seed {sens['seed']}. Varied: "
             "the primary endpoint's effect and dropout, every assumed number of the "
             "primary and key secondary endpoint, and the assumed correlations involving either "
             "(they change no endpoint's own test, only what the multiplicity procedure does "
             "with several).", ""]
    header = ["number", "value", *(f"power {e} (MCSE)" for e in shown)]
    rows = []
    for item in sens["items"]:
        for row in item["rows"]:
            mark = " (planned)" if row["value"] == item["planned"] else ""
            rows.append([f"`{item['key']}`", _number(row["value"]) + mark,
                         *(f"{row['power'][e]['power']:.3f} ({row['power'][e]['mcse']:.3f})"
                           for e in shown)])
    lines += [_md_table(header, rows), ""]
    if sens["not_varied"]:
        lines += ["Assumed numbers not varied here (design choices, correlations of other "
                  "endpoints, or levels the tests do not depend on): "
                  + ", ".join(f"`{k}`" for k in sens["not_varied"]) + ".", ""]
    if _figure_items(sens):
        lines.append("![Power at the chosen n as each number varies](sensitivity.png)")
    return lines


def _figure_items(sens: dict) -> list[dict]:
    """The sensitivity items drawn: those varying a single number (not the allocation)."""
    return [item for item in sens["items"] if item["key"] != "trial.allocation"]


def _assumption_lines(sc: Scenario, r: dict) -> list[str]:
    lines = ["Every number with basis *assumed* (planning values, not published figures):", ""]
    lines += [f"- `{a['key']}` = {_number(a['value'])}: {markdown_inline(a['reason'])}"
              for a in r["assumptions"]]
    if not r["assumptions"]:
        lines.append("- none is marked assumed; numbers without provenance are not listed")
    ss = r["sample_size"]
    lines += [
        "", "Limitations:", "",
        f"- Simulated powers carry Monte Carlo error: the MCSE of the primary power is "
        f"{ss['mcse']:.4f}; the curve and sensitivity use fewer trials "
        f"({r['sensitivity']['reps']}) and are less precise.",
        "- The sensitivity analysis varies one number at a time; combined departures (for "
        "example a smaller effect together with more dropout) lower the power further.",
        "- Derived numbers rest on published summaries (intervals, proportions, p-values), not "
        "patient-level data; see the derivation column above.",
    ]
    if r["design"]["multiplicity"] == "none":
        lines.append("- Each endpoint is tested at the full alpha; no multiplicity adjustment.")
    return lines


def _effect_text(ep, t_arm: str, c_arm: str) -> str:
    unit = markdown_inline(ep.unit)
    return ep.model.effect_phrase(ep, _label(ep.label, ep.id), unit, t_arm, c_arm)


def _justification(sc: Scenario, r: dict) -> str:
    ss = r["sample_size"]
    ep = sc.endpoint(r["primary"]["endpoint"])
    t_arm, c_arm = _arms(r)
    a_t, a_c = r["design"]["allocation"]
    d_t, d_c = ss["dropout"]["treatment"], ss["dropout"]["control"]
    sided = "two-sided" if r["design"]["alternative"] == "two-sided" else "one-sided"
    text = (
        f"A total of {ss['n_total']} patients ({ss['n_per_arm']['treatment']} {t_arm}, "
        f"{ss['n_per_arm']['control']} {c_arm}) will be randomised {a_t:g}:{a_c:g}. "
        f"With {_label(ep.label, ep.id)} as the primary endpoint, analysed by "
        f"{TESTS[ep.test].title}, this provides {_pct(ss['power'])} power (Monte "
        f"Carlo SE {_pct(ss['mcse'])}, {ss['reps']} simulated trials) to detect "
        f"{_effect_text(ep, t_arm, c_arm)} at a {sided} {_pct(r['design']['alpha'], 0)} "
        f"level, allowing for {_pct(d_t, 0)} dropout in the {t_arm} arm and {_pct(d_c, 0)} "
        f"in the {c_arm} arm (about {ss['expected_assessed']['treatment']:.0f} and "
        f"{ss['expected_assessed']['control']:.0f} evaluable patients).")
    if ss["analytic_n"]:
        text += (" The closed-form calculation (textbook formula at the expected evaluable "
                 f"numbers) gives n = {ss['analytic_n']}.")
    secondary = r["key_secondary"]
    if secondary:
        e = next(e for e in r["power_at_n"]["endpoints"] if e["id"] == secondary)
        how = ("tested after the primary in a fixed sequence"
               if r["design"]["multiplicity"] == "fixed-sequence"
               else f"tested with the primary under the {r['design']['multiplicity']} procedure")
        text += (f" The key secondary endpoint, {_label(e['label'], secondary)}, {how}, has "
                 f"{_pct(e['power'])} power at this sample size.")
    sens = r["sensitivity"]
    prim = [row["power"][ep.id]["power"] for item in sens["items"] for row in item["rows"]]
    if prim:
        text += (" When the numbers in the sensitivity table are varied one at a time, the "
                 f"primary endpoint's power ranges from {_pct(min(prim), 0)} to "
                 f"{_pct(max(prim), 0)}.")
    bases = _distinct_bases(r["evidence"])
    if not bases:
        return text
    return text + (f" Of the {len(bases)} distinct numbers behind this design, "
                   f"{bases.count('reported')} are reported in publications, "
                   f"{bases.count('derived')} are derived from published figures and "
                   f"{bases.count('assumed')} are planning assumptions, each listed with its "
                   "source or reason.")


def _distinct_bases(rows: list[dict]) -> list[str]:
    """The basis of each distinct number: a number used at several keys counts once.

    The same value with the same basis and the same derivation (or, without one, the same
    source and reason) is one number: a dropout rate given for every endpoint is one planning
    number, not one per endpoint.

    Examples
    --------
    >>> rows = [{"key": k, "value": 0.1, "basis": "assumed", "reason": "r"} for k in "ab"]
    >>> _distinct_bases(rows + [{"key": "c", "value": 3, "basis": "reported", "source": "s"}])
    ['assumed', 'reported']
    """
    seen: dict[tuple, str] = {}
    for row in rows:
        origin = (json.dumps(row["derivation"], sort_keys=True) if "derivation" in row
                  else (row.get("source", ""), row.get("reason", "")))
        seen.setdefault((row["basis"], json.dumps(row["value"]), origin), row["basis"])
    return list(seen.values())


def _reproducibility_lines(r: dict) -> list[str]:
    """The fenced block: each line starts with fixed text, so terminal() keeps it one line."""
    rep = r["reproducibility"]
    versions = ", ".join(f"{k} {v}" for k, v in rep["versions"].items())
    scenario = r["scenario"]
    if scenario["source"] is None:
        scenario_line = "scenario: a Scenario object changed in Python (no file to hash)"
    else:
        scenario_line = terminal(f"scenario: {scenario['source']} sha256 {scenario['sha256']}")
    command = terminal(rep["command"] or "(Python API, see scenario)")
    return ["```text", f"command: {command}",
            f"seed: {rep['seed']}",
            f"reps: {rep['reps']} (curve and sensitivity: {rep['sensitivity_reps']})",
            scenario_line,
            f"versions: {versions}", "```", "",
            "The same command gives the same numbers with any --jobs."]


# ---------------------------------------------------------------------------------- figures
def _draw(sc: Scenario, r: dict, where: Path) -> None:
    from simtrial.report_figures import chosen_n_figure, sensitivity_figure

    labels = {ep.id: ep.label or ep.id for ep in sc.endpoints}
    n = r["sample_size"]["n_total"]
    curve = chosen_n_figure(
        r["power_curve"]["rows"], labels, n, r["target_power"],
        f"Scenario {sc.name}: power against total sample size "
        f"({r['power_curve']['reps']} simulated trials per point)")
    curve.savefig(where / "power_curve.png", dpi=150)
    sens = r["sensitivity"]
    items = _figure_items(sens)
    if items:
        roles = dict(zip(sens["endpoints"], ("primary", "key secondary"), strict=False))
        figure = sensitivity_figure(
            items, sens["endpoints"],
            {e: f"{labels[e]} ({role})" for e, role in roles.items()}, r["target_power"],
            f"Sensitivity at n = {n} ({sens['reps']} simulated trials per point)")
        figure.savefig(where / "sensitivity.png", dpi=150)
