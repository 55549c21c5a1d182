"""Plain-text tables and CSV for the command line; formatting only, no computation."""

from __future__ import annotations

import csv
import io

__all__ = ["power_csv", "power_table", "scenario_text", "table"]


def table(header: list[str], rows: list[list[str]]) -> str:
    """Left-aligned text columns separated by two spaces.

    Examples
    --------
    >>> print(table(["a", "bb"], [["1", "2"], ["333", "4"]]))
    a    bb
    1    2
    333  4
    """
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    return "\n".join(lines)


def _design_lines(result) -> list[str]:
    t, c = result.arms
    n = result.n_per_arm
    a_t, a_c = result.allocation
    return [
        f"n = {result.n_total} randomised: {n['treatment']} {t} + {n['control']} {c} "
        f"(allocation {a_t:g}:{a_c:g})",
        f"alpha = {result.alpha:g} {result.alternative}; {result.reps} simulated trials; "
        f"seed {result.seed}; simtrial {result.version}",
    ]


def power_table(result, title: str = "") -> str:
    """The default output of ``simtrial power``."""
    head = [f"Scenario {result.scenario}" + (f": {title}" if title else ""),
            *_design_lines(result), ""]
    t, c = result.arms
    rows = [[f"{e.label} [{e.id}]", e.test, e.effect,
             f"{e.expected_assessed['treatment']:.0f} + {e.expected_assessed['control']:.0f}",
             f"{e.power:.4f}", f"{e.mcse:.4f}", f"{e.ci[0]:.4f} to {e.ci[1]:.4f}",
             "-" if e.analytic_power is None else f"{e.analytic_power:.4f}"]
            for e in result.endpoints]
    header = ["endpoint", "test", f"effect ({t} vs {c})", "assessed", "power", "MCSE",
              "95% CI", "analytic"]
    sides = "either direction" if result.alternative == "two-sided" else "direction of benefit"
    notes = ["", f"power: share of simulated trials whose test rejects H0 ({sides}); "
             "MCSE: Monte Carlo standard error; CI: Wilson 95% interval;",
             "assessed: expected patients assessed per arm after dropout; "
             "analytic: textbook closed form at the expected assessed numbers."]
    return "\n".join(head) + "\n" + table(header, rows) + "\n" + "\n".join(notes)


def power_csv(result) -> str:
    """One CSV row per endpoint, with the design repeated on each row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["scenario", "n_total", "n_treatment", "n_control", "alpha", "alternative",
                     "reps", "seed", "endpoint", "label", "test", "effect", "power", "mcse",
                     "ci_low", "ci_high", "analytic_power"])
    for e in result.endpoints:
        writer.writerow([result.scenario, result.n_total, result.n_per_arm["treatment"],
                         result.n_per_arm["control"], result.alpha, result.alternative,
                         result.reps, result.seed, e.id, e.label, e.test, e.effect, e.power,
                         e.mcse, e.ci[0], e.ci[1],
                         "" if e.analytic_power is None else e.analytic_power])
    return buf.getvalue()


def scenario_text(scenario) -> str:
    """A readable summary of a scenario, with every number's provenance."""
    trial = scenario.trial
    lines = [f"{scenario.name}: {scenario.title}" if scenario.title else scenario.name,
             f"source: {scenario.source}",
             f"arms: {trial.arms[0]} (treatment) vs {trial.arms[1]} (control), allocation "
             f"{trial.allocation[0]:g}:{trial.allocation[1]:g}",
             f"alpha = {trial.alpha:g} {trial.alternative}", ""]
    for ep in scenario.endpoints:
        drop = ep.dropout
        lines.append(f"[{ep.id}] {ep.label}: {ep.kind} ({ep.distribution}), test {ep.test}, "
                     f"{ep.better} is better, dropout {drop[0]:g} / {drop[1]:g}")
        lines.append(f"    {ep.describe()}" + (f" {ep.unit}" if ep.unit else ""))
    if scenario.provenance:
        lines += ["", "provenance:"]
        for key, prov in scenario.provenance.items():
            text = prov.source or prov.reason
            lines.append(f"  {key}: {prov.basis}: {text}")
    return "\n".join(lines)
