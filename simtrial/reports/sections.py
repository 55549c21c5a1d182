"""The report's content, built once as blocks (:mod:`simtrial.reports.document`).

Each section is a function ``section(ctx) -> list[Block]`` that formats numbers of
``results.json`` (it computes none) and starts with its own :class:`Heading`; :data:`SECTIONS`
lists them in order. :func:`build` calls each, then appends the abbreviations and the
references that the sections' text cites (every ``Surname YEAR`` found in
:mod:`simtrial.references`), so a new section cites a work just by naming it. Adding a section
is one function here and one line in :data:`SECTIONS` (docs/architecture.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simtrial._version import __version__
from simtrial.references import cited_keys, references
from simtrial.reports.document import (
    Block,
    Bullets,
    Code,
    Document,
    Figure,
    Heading,
    Inline,
    Paragraph,
    References,
    Table,
    code,
    em,
    spans,
    strong,
    text_of,
)
from simtrial.reports.figures import has_sensitivity_figure
from simtrial.scenario import Endpoint, Scenario
from simtrial.stattests import TESTS

__all__ = ["ABBREVIATIONS", "SECTIONS", "Context", "build", "method_references"]


@dataclass(frozen=True)
class Context:
    """What a section reads: the scenario and its numbers (``results.json``)."""

    sc: Scenario
    r: dict[str, Any]

    @property
    def t_arm(self) -> str:
        """The treatment arm's name."""
        return self.r["design"]["arms"]["treatment"]

    @property
    def c_arm(self) -> str:
        """The control arm's name."""
        return self.r["design"]["arms"]["control"]

    @property
    def primary(self) -> Endpoint:
        """The primary endpoint."""
        return self.sc.endpoint(self.r["primary"]["endpoint"])

    @property
    def procedure(self) -> str:
        """The multiplicity procedure (``none`` without a family)."""
        return self.r["design"]["multiplicity"]


def build(sc: Scenario, r: dict[str, Any]) -> Document:
    """The report's document for scenario `sc` and its numbers `r`."""
    ctx = Context(sc, r)
    blocks: list[Block] = []
    for section in SECTIONS:
        blocks += section(ctx)
    blocks += abbreviations(blocks) + references_section(blocks, _provenance_text(r))
    return Document(title=f"Sample-size justification: {sc.title or sc.name}",
                    blocks=tuple(blocks))


# ------------------------------------------------------------------------------- helpers
def _pct(p: float, digits: int = 1) -> str:
    return f"{100 * p:.{digits}f}%"


def _number(value) -> str:
    if isinstance(value, list):
        return ":".join(f"{v:g}" for v in value)
    return f"{value:g}" if isinstance(value, float | int) else str(value)


def _probability(p: float) -> str:
    """Four decimals, never a rounded 0 or 1 for a probability strictly between them.

    Examples
    --------
    >>> _probability(0.99999), _probability(1.0), _probability(0.78081), _probability(2e-6)
    ('> 0.9999', '1', '0.7808', '< 0.0001')
    """
    if 0 < p < 1 and f"{p:.4f}" in ("1.0000", "0.0000"):
        return "> 0.9999" if p > 0.5 else "< 0.0001"
    return f"{p:g}" if p in (0, 1) else f"{p:.4f}"


def _label(ep: Endpoint) -> str:
    return ep.label or ep.id


def _cite(keys: list[str]) -> str:
    return f" ({'; '.join(keys)})" if keys else ""


def method_references(module: str) -> list[str]:
    """The works the references file says a module or function of simtrial rests on.

    Examples
    --------
    >>> method_references("simtrial.stattests.mannwhitney")
    ['Mann 1947', 'Lehmann 1975']
    >>> method_references("simtrial.multiplicity (fixed-sequence)")
    ['Maurer 1995', 'Westfall 2001']
    """
    return [key for key, ref in references().items()
            if any(re.match(re.escape(module) + r"(?![\w.])", use) for use in ref.used_for)]


#: The closed form each test is checked against: words, and the function that computes it.
CLOSED_FORMS = {
    "chisq": ("normal approximation for two proportions",
              "simtrial.analytic.power_two_proportions"),
    "ttest": ("noncentral t distribution", "simtrial.analytic.power_ttest"),
    "welch": ("noncentral t with Welch-Satterthwaite degrees of freedom",
              "simtrial.analytic.power_welch"),
}


def _test_text(test: str) -> str:
    return TESTS[test].title + _cite(method_references(f"simtrial.stattests.{test}"))


def _procedure_refs(procedure: str) -> list[str]:
    return method_references(f"simtrial.multiplicity ({procedure}")


def _gating(procedure: str) -> str:
    """The words for power under the multiplicity procedure, in table headers and JSON notes."""
    return "after fixed-sequence gating" if procedure == "fixed-sequence" else (
        f"after {procedure} adjustment")


def _is_null(ep: Endpoint) -> bool:
    try:
        return ep.location_of("treatment") == ep.location_of("control")
    except (KeyError, AttributeError, TypeError):
        return False


def _role(ctx: Context, ep: Endpoint) -> str:
    if ep.id == ctx.primary.id:
        return "primary"
    if ep.kind == "safety":
        return "safety: no power target"
    if _is_null(ep):
        return "no effect planned: type I error"
    if ep.id == ctx.r["key_secondary"]:
        return "key secondary"
    return "secondary"


# ------------------------------------------------------------------------------ sections
def introduction(ctx: Context) -> list[Block]:
    """The lines under the title."""
    return [Paragraph(spans(
        "Scenario ", code(ctx.sc.name), f"; target power {_pct(ctx.r['target_power'], 0)} for "
        f"the primary endpoint. Generated by simtrial {__version__}; every number below is in ",
        code("results.json"), "."))]


def design(ctx: Context) -> list[Block]:
    """The design table."""
    r, ep = ctx.r, ctx.primary
    ss, d = r["sample_size"], r["design"]
    a_t, a_c = d["allocation"]
    t, c = ctx.t_arm, ctx.c_arm
    family = d["family"]
    joiner = " > " if d["multiplicity"] == "fixed-sequence" else ", "
    multiplicity = d["multiplicity"] + (f": {joiner.join(family)}" if family else "")
    rows = [
        ("source study", "; ".join(_registrations(r["evidence"])) or "not recorded"),
        ("arms", f"{t} (treatment), {c} (control)"),
        ("allocation", f"{a_t:g}:{a_c:g} ({t}:{c})"),
        ("randomised", f"n = {ss['n_total']}: {ss['n_per_arm']['treatment']} {t}, "
                       f"{ss['n_per_arm']['control']} {c}"),
        ("alpha", f"{d['alpha']:g}, {d['alternative']}"),
        ("primary endpoint", f"{_label(ep)} [{ep.id}] ({r['primary']['note']})"),
        ("test", _test_text(ep.test)),
        ("multiplicity", multiplicity + _cite(_procedure_refs(d["multiplicity"]))),
        ("missing data", "dropout missing completely at random (MCAR): each randomised patient "
                         "is unassessed with the stated probability, whatever the arm's outcome; "
                         "the analysis is complete-case (assessed patients only)"),
    ]
    return [Heading("Design"),
            Table(("item", "value"), tuple((spans(k), spans(v)) for k, v in rows))]


def evidence(ctx: Context) -> list[Block]:
    """Every number with its basis and source, derivations recomputed."""
    blocks: list[Block] = [Heading("Effect sizes and their evidence"), Paragraph(spans(
        "Basis: ", em("reported"), " (taken from a publication), ", em("derived"),
        " (computed from reported figures; the derivation is recomputed here by ",
        code("simtrial.evidence"), "), ", em("assumed"), " (a planning value, with the "
        "reason). Numbers not listed have no provenance in the scenario file."))]
    rows = ctx.r["evidence"]
    if not rows:
        return blocks + [Paragraph(spans("No number of this scenario records its provenance."))]
    return blocks + [Table(("number", "value", "basis", "source / reason",
                            "derivation (recomputed)"), tuple(_evidence_row(r) for r in rows))]


def _evidence_row(row: dict) -> tuple[Inline, ...]:
    source = row.get("source") or ""
    for key, prefix in (("quote", "quote: "), ("reason", ""), ("note", "note: ")):
        if row.get(key):
            source += ("; " if source else "") + prefix + row[key]
    derivation: Inline = ()
    if "recomputed" in row:
        rec = row["recomputed"]
        derivation = spans(code(rec["method"]), ": " + rec["explanation"]
                           + (f" ({rec['reference']})" if rec["reference"] else ""))
    return (spans(code(row["key"])), spans(_number(row["value"])), spans(row["basis"]),
            spans(source), derivation)


def sample_size(ctx: Context) -> list[Block]:
    """The chosen n, its Monte Carlo uncertainty, the closed form and dropout."""
    ss, t, c = ctx.r["sample_size"], ctx.t_arm, ctx.c_arm
    n_pa, assessed = ss["n_per_arm"], ss["expected_assessed"]
    items = [
        spans(strong(f"n = {ss['n_total']}"), f" randomised ({n_pa['treatment']} {t}, "
              f"{n_pa['control']} {c}): the smallest total whose simulated power for "
              f"{_label(ctx.primary)} reaches {_pct(ss['target_power'], 0)} on the search's "
              "fitted power curve (", code("simtrial.search.sample_size"), ")."),
        spans(f"Simulated again at n = {ss['n_total']} (an independent estimate, within Monte "
              f"Carlo error of the target): {ss['power']:.4f} (Monte Carlo standard error, "
              f"MCSE, {ss['mcse']:.4f}, 95% CI {ss['ci'][0]:.4f} to {ss['ci'][1]:.4f}; "
              f"{ss['reps']} simulated trials, seed {ss['seed']}; search: {ss['method']})."),
    ]
    if ss["n_minus_step"]:
        below = ss["n_minus_step"]
        items.append(spans(f"At n = {below['n_total']}: {below['power']:.4f} (MCSE "
                           f"{below['mcse']:.4f})."))
    precision = _precision_text(ctx.r)
    if precision:
        items.append(spans(precision))
    closed = CLOSED_FORMS.get(ctx.primary.test)
    found = "no closed form for this test."
    if ss["analytic_n"]:
        how = ""
        if closed:
            refs = method_references(closed[1])
            how = f" ({closed[0]}" + (f"; {'; '.join(refs)}" if refs else "") + ")"
        found = f"n = {ss['analytic_n']}{how}."
    items.append(spans("Closed-form cross-check (textbook formula, same dropout): " + found))
    items += [
        spans(f"Dropout (not assessed): {_pct(ss['dropout']['treatment'])} {t}, "
              f"{_pct(ss['dropout']['control'])} {c}, simulated per patient as missing "
              "completely at random (MCAR), analysed complete-case; expected evaluable patients "
              f"{assessed['treatment']:.1f} {t} and {assessed['control']:.1f} {c}."),
        spans("Naive inflation (closed-form n without dropout divided by 1 - average dropout): "
              + (f"n = {ss['naive_inflation_n']}." if ss["naive_inflation_n"]
                 else "not available.")),
    ]
    return [Heading("Sample size"), Bullets(tuple(items))]


def _precision_text(r: dict) -> str:
    rng = r.get("n_range")
    if not rng:
        return ""
    ss = r["sample_size"]
    at_least = "" if rng["complete"] else "at least "
    return (f"Monte Carlo uncertainty of n: {at_least}every total from n = {rng['n_low']} to "
            f"{rng['n_high']} has simulated power within {rng['band']:g} MCSE of "
            f"{_pct(ss['target_power'], 0)} (same seed and reps as the search), so the "
            "simulation cannot tell these totals apart; the chosen n is the smallest total that "
            "reaches the target on this seed.")


def power_at_n(ctx: Context) -> list[Block]:
    """The power of every endpoint at n, the family, safety and null endpoints, the curve."""
    r = ctx.r
    at_n, n = r["power_at_n"], r["sample_size"]["n_total"]
    gated = at_n["family"] is not None
    after = _gating(ctx.procedure) if gated else ""
    header = ("endpoint", "role", "test", f"effect ({ctx.t_arm} vs {ctx.c_arm})",
              f"power {after}".strip(), "MCSE", "95% CI",
              "test alone (unadjusted)" if gated else "unadjusted",
              "closed form (unadjusted)" if gated else "closed form",
              "exact (unadjusted)" if gated else "exact")
    rows = tuple(_power_row(ctx, e) for e in at_n["endpoints"])
    notes = [spans(
        f"Power: share of {at_n['reps']} simulated trials (seed {at_n['seed']}) whose test "
        "rejects H0 (the null hypothesis of no difference); MCSE = sqrt(p(1 - p)/reps) "
        "(Morris 2019); CI: Wilson 95% interval (Wilson 1927). ",
        *((f"For endpoints in the multiplicity family, power is {after}, that is the "
           f"probability that the {ctx.procedure} procedure rejects the endpoint's hypothesis; "
           "the last three columns are the test alone, unadjusted. ",) if gated else ()),
        em("Closed form"), ": textbook formula at the expected assessed numbers; ",
        em("exact"), ": enumeration of every 2x2 table (Fisher 1935 for the exact test).")]
    family = at_n["family"]
    if family:
        notes.append(spans(
            f"Family ({family['procedure']}: {', '.join(family['endpoints'])}): at least one "
            f"hypothesis rejected {family['power_any']:.4f} (MCSE {family['mcse_any']:.4f}); "
            f"all rejected {family['power_all']:.4f} (MCSE {family['mcse_all']:.4f})."))
    for e in at_n["endpoints"]:
        ep = ctx.sc.endpoint(e["id"])
        if e["safety"]:
            s = e["safety"]
            notes.append(spans(
                f"Safety [{e['id']}]: probability of observing at least one event, "
                f"{_probability(s['p_any_event']['treatment'])} ({ctx.t_arm}) and "
                f"{_probability(s['p_any_event']['control'])} ({ctx.c_arm}); with no events the "
                f"{s['level']:.0%} upper bound on the rate would be "
                f"{_probability(s['zero_event_upper_bound']['treatment'])} ({ctx.t_arm}, "
                f"{s['assessed']['treatment']} assessed; Clopper 1934). The rejection rate of "
                f"its test ({e['power']:.4f}) is shown for completeness: the trial is not sized "
                "for this endpoint and has no power target for it."))
        elif _is_null(ep) and ep.id != ctx.primary.id:
            notes.append(spans(
                f"No effect is planned for {_label(ep)} [{e['id']}]: its rejection rate "
                f"{e['power']:.4f} (MCSE {e['mcse']:.4f}) estimates the type I error, nominally "
                f"{_pct(r['design']['alpha'], 0)}; it is not a power."))
    return [Heading(f"Power of every endpoint at n = {n}"), Table(header, rows, tuple(notes)),
            Figure("power_curve.png",
                   "Power against the total sample size per endpoint, with the 95% Monte Carlo "
                   "band, the target (where the endpoint has one) and the chosen n; "
                   f"{r['power_curve']['reps']} simulated trials per point, seed "
                   f"{r['power_curve']['seed']}.")]


def _power_row(ctx: Context, e: dict) -> tuple[Inline, ...]:
    def opt(x):
        return "-" if x is None else f"{x:.4f}"

    ep = ctx.sc.endpoint(e["id"])
    return (spans(f"{e['label'] or e['id']} [{e['id']}]"), spans(_role(ctx, ep)),
            spans(e["test"]), spans(e["effect"]), spans(f"{e['power']:.4f}"),
            spans(f"{e['mcse']:.4f}"), spans(f"{e['ci'][0]:.4f} to {e['ci'][1]:.4f}"),
            spans(opt(e["power_unadjusted"])), spans(opt(e["analytic_power"])),
            spans(opt(e["exact_power"])))


def sensitivity(ctx: Context) -> list[Block]:
    """One-at-a-time sensitivity: the numbers that move power, the flat ones in one line."""
    sens = ctx.r["sensitivity"]
    shown = sens["endpoints"]
    moving = [i for i in sens["items"] if not i["flat"]]
    flat = [i for i in sens["items"] if i["flat"]]
    blocks: list[Block] = [Heading("Sensitivity"), Paragraph(spans(
        f"One number varied at a time at n = {sens['n_total']}, everything else as planned; "
        f"{sens['reps']} simulated trials per value, seed {sens['seed']} (the same random "
        "numbers for every value). Varied, for ",
        "each endpoint shown" if len(shown) > 1 else "the primary endpoint",
        ": the effect (0.5 to 1.5 times the planned one), the control level with the effect "
        "held, the spread in both arms (0.85 to 1.45 times the planned SD) and the dropout in "
        "both arms (0 to 0.4); then the assumed correlations involving a shown endpoint (they "
        "change no endpoint's own test, only what the multiplicity procedure does with several)"
        + (", and the allocation" if any(i["what"] == "allocation" for i in sens["items"])
           else "") + ", whatever the basis of the number."))]
    if moving:
        header = ("number varied", "planned", "values tried",
                  *(f"power {e}: low / high value" for e in shown))
        rows = []
        for item in moving:
            low, high = _ends(item)
            rows.append((spans(item["label"], " ", code(item["key"])),
                         spans(_planned(ctx, item)),
                         spans(f"{_number(low['value'])} to {_number(high['value'])}"),
                         *(spans(f"{low['power'][e]['power']:.3f} / "
                                 f"{high['power'][e]['power']:.3f}") for e in shown)))
        blocks.append(Table(header, tuple(rows), (spans(
            "Power (MCSE up to "
            f"{max(r['power'][e]['mcse'] for i in moving for r in i['rows'] for e in shown):.3f})"
            " at the lowest and the highest value tried; every value's power is in ",
            code("results.json"), "."),)))
    if flat:
        blocks.append(Paragraph(spans(
            "Varied, no effect on power beyond Monte Carlo error (within "
            "2 MCSE over the values tried): ", "; ".join(i["label"] for i in flat), ".")))
    if sens["not_varied"]:
        blocks.append(Paragraph(spans(
            "Assumed numbers not varied (design choices, or numbers of endpoints outside those "
            "shown): ", *_joined([code(k) for k in sens["not_varied"]]), ".")))
    if sens.get("not_variable"):
        blocks.append(Paragraph(spans(
            "Not varied, as the scenario gives them as a table rather than one number: ",
            *_joined([code(k) for k in sens["not_variable"]]), ".")))
    if has_sensitivity_figure(sens):
        blocks.append(Figure("sensitivity.png",
                             "Which numbers matter most: power at the chosen n at the lowest "
                             "and the highest value tried of each number, largest swing first "
                             "(tornado plot); the line marks the power as planned."))
    return blocks


def _planned(ctx: Context, item: dict) -> str:
    if item["planned"] is not None:
        return _number(item["planned"])
    if item["what"] == "dropout":
        d = ctx.sc.endpoint(item["endpoint"]).dropout
        return f"{d[0]:g} ({ctx.t_arm}), {d[1]:g} ({ctx.c_arm})"
    return _number(ctx.sc.trial.allocation) if item["what"] == "allocation" else "-"


def _ends(item: dict) -> tuple[dict, dict]:
    rows = sorted(item["rows"], key=lambda r: r["value"])
    return rows[0], rows[-1]


def _joined(parts: list) -> list:
    out: list = []
    for i, part in enumerate(parts):
        out += [", "] * (i > 0) + [part]
    return out


def _undocumented(ctx: Context) -> list[str]:
    """The primary endpoint's numbers with basis assumed or no provenance (keys)."""
    ep, prov = ctx.primary, ctx.sc.provenance
    keys = [f"endpoints.{ep.id}.{arm}.{param}" for arm in ("control", "treatment")
            for param in getattr(ep, arm)]
    keys += [f"endpoints.{ep.id}.dropout"]
    return [k for k in keys
            if (k in prov and prov[k].basis == "assumed")
            or (k not in prov and not any(p.startswith(k + ".") for p in prov))]


def assumptions(ctx: Context) -> list[Block]:
    """Every assumed number with its reason, and the limitations."""
    r = ctx.r
    items = tuple(spans(code(a["key"]), f" = {_number(a['value'])}: {a['reason']}")
                  for a in r["assumptions"])
    blocks: list[Block] = [Heading("Assumptions and limitations"), Paragraph(spans(
        "Every number with basis ", em("assumed"), " (planning values, not published "
        "figures):"))]
    blocks.append(Bullets(items or (spans("none is marked assumed; numbers without provenance "
                                          "are not listed"),)))
    if not ctx.sc.provenance:
        blocks.append(Paragraph(spans(
            "No number of this scenario records its source: every number behind the sample "
            "size is a planning value, and the sensitivity analysis varies them.")))
    ss = r["sample_size"]
    limits = [
        spans(f"Simulated powers carry Monte Carlo error: the MCSE of the primary power is "
              f"{ss['mcse']:.4f}; the curve and sensitivity use fewer trials "
              f"({r['sensitivity']['reps']}) and are less precise."),
        spans("Dropout is simulated as missing completely at random (MCAR) and the analysis is "
              "complete-case; if patients with worse outcomes drop out more often, the "
              "estimated effect and the power may differ."),
        spans("The sensitivity analysis varies one number at a time; combined departures (for "
              "example a smaller effect together with more dropout) lower the power further."),
        spans("Derived numbers rest on published summaries (intervals, proportions, p-values), "
              "not patient-level data; see the derivation column above."),
    ]
    if r["design"]["multiplicity"] == "none":
        limits.append(spans("Each endpoint is tested at the full alpha; no multiplicity "
                            "adjustment."))
    return blocks + [Paragraph(spans("Limitations:")), Bullets(tuple(limits))]


def justification(ctx: Context) -> list[Block]:
    """The paragraph to paste into a grant application."""
    r, ep, t, c = ctx.r, ctx.primary, ctx.t_arm, ctx.c_arm
    ss = r["sample_size"]
    a_t, a_c = r["design"]["allocation"]
    d_t, d_c = ss["dropout"]["treatment"], ss["dropout"]["control"]
    sided = "two-sided" if r["design"]["alternative"] == "two-sided" else "one-sided"
    effect = ep.model.effect_phrase(ep, _label(ep), ep.unit, t, c)
    text = (
        f"A total of {ss['n_total']} patients ({ss['n_per_arm']['treatment']} {t}, "
        f"{ss['n_per_arm']['control']} {c}) will be randomised {a_t:g}:{a_c:g}. "
        f"With {_label(ep)} as the primary endpoint, analysed by "
        f"{_test_text(ep.test)}, this provides {_pct(ss['power'])} power (Monte "
        f"Carlo SE {_pct(ss['mcse'])}, {ss['reps']} simulated trials) to detect "
        f"{effect} at a {sided} {_pct(r['design']['alpha'], 0)} "
        f"level, allowing for {_pct(d_t, 0)} dropout in the {t} arm and {_pct(d_c, 0)} "
        f"in the {c} arm (missing completely at random, complete-case analysis; about "
        f"{ss['expected_assessed']['treatment']:.0f} and "
        f"{ss['expected_assessed']['control']:.0f} evaluable patients).")
    rng = r.get("n_range")
    if rng:
        text += (f" Totals from {rng['n_low']} to {rng['n_high']} have simulated power within "
                 f"{rng['band']:g} Monte Carlo SE of the target.")
    if ss["analytic_n"]:
        text += (" The closed-form calculation (textbook formula at the expected evaluable "
                 f"numbers) gives n = {ss['analytic_n']}.")
    undocumented = _undocumented(ctx)
    if undocumented:
        values = [f"{_describe_key(ctx, k)} {_number(_value(ctx, k))}" for k in undocumented]
        text += (" The sample size rests on planning assumptions, not published figures: "
                 f"{_series(values)}.")
    secondary = r["key_secondary"]
    if secondary:
        e = next(e for e in r["power_at_n"]["endpoints"] if e["id"] == secondary)
        how = ("tested after the primary in a fixed sequence"
               if ctx.procedure == "fixed-sequence"
               else f"tested with the primary under the {ctx.procedure} procedure")
        text += (f" The key secondary endpoint, {e['label'] or secondary}, {how}, has "
                 f"{_pct(e['power'])} power at this sample size.")
    prim = [row["power"][ep.id]["power"] for item in r["sensitivity"]["items"]
            for row in item["rows"]]
    if prim:
        text += (" When the numbers in the sensitivity analysis are varied one at a time, the "
                 f"primary endpoint's power ranges from {_pct(min(prim), 0)} to "
                 f"{_pct(max(prim), 0)}.")
    bases = _distinct_bases(r["evidence"])
    if bases:
        text += (f" Of the {len(bases)} distinct numbers behind this design, "
                 f"{_count(bases, 'reported', 'is reported in a publication', 'are reported in publications')}, "  # noqa: E501
                 f"{_count(bases, 'derived', 'is derived from published figures', 'are derived from published figures')} and "  # noqa: E501
                 f"{_count(bases, 'assumed', 'is a planning assumption', 'are planning assumptions')}, "  # noqa: E501
                 "each listed with its source or reason.")
    return [Heading("Justification (ready to paste)"), Paragraph(spans(text))]


def _count(bases: list[str], basis: str, one: str, many: str) -> str:
    k = bases.count(basis)
    return f"{k} {one if k == 1 else many}"


def _series(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _describe_key(ctx: Context, key: str) -> str:
    parts = key.split(".")
    if parts[2] == "dropout":
        return "the dropout"
    arm = ctx.t_arm if parts[2] == "treatment" else ctx.c_arm
    word = {"p": "proportion", "mean": "mean", "sd": "SD", "gmean": "geometric mean",
            "gsd": "geometric SD"}.get(parts[3], parts[3])
    return f"the {arm} {word}"


def _value(ctx: Context, key: str):
    from simtrial.scenario.keys import value_of

    ep = ctx.primary
    if key.endswith(".dropout"):
        return ep.dropout[0] if ep.dropout[0] == ep.dropout[1] else list(ep.dropout)
    return value_of(ctx.sc, key)


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


def _registrations(rows: list[dict]) -> list[str]:
    """Trial registrations (NCT numbers) and PubMed ids named by the provenance sources."""
    text = " ".join(row.get("source", "") for row in rows)
    named = []
    for what, pattern in (("trial registration", r"NCT\d{8}"), ("publications", r"PMID \d+")):
        found = dict.fromkeys(re.findall(pattern, text))
        if found:
            named.append(f"{what} {', '.join(found)}")
    return named


def methods(ctx: Context) -> list[Block]:
    """Each test, closed form and procedure used, with its reference."""
    items = []
    for test in dict.fromkeys(ep.test for ep in ctx.sc.endpoints):
        users = ", ".join(ep.id for ep in ctx.sc.endpoints if ep.test == test)
        title = TESTS[test].title
        line = f"{title[:1].upper()}{title[1:]}, for {users}" + _cite(
            method_references(f"simtrial.stattests.{test}"))
        if test in CLOSED_FORMS:
            words, module = CLOSED_FORMS[test]
            line += f"; closed form: {words}" + _cite(method_references(module))
        items.append(spans(line + "."))
    if ctx.procedure != "none":
        items.append(spans(f"Multiplicity: {ctx.procedure} procedure"
                           + _cite(_procedure_refs(ctx.procedure)) + "."))
    items.append(spans("Monte Carlo standard error of a simulated power (Morris 2019); Wilson "
                       "score interval (Wilson 1927)."))
    return [Heading("Statistical methods"), Bullets(tuple(items))]


def reproducibility(ctx: Context) -> list[Block]:
    """The command, seed, reps, scenario hash and versions."""
    rep, scenario = ctx.r["reproducibility"], ctx.r["scenario"]
    versions = ", ".join(f"{k} {v}" for k, v in rep["versions"].items())
    if scenario["source"] is None:
        scenario_line = "scenario: a Scenario object changed in Python (no file to hash)"
    else:
        scenario_line = f"scenario: {scenario['source']} sha256 {scenario['sha256']}"
    return [Heading("Reproducibility"),
            Code((f"command: {rep['command'] or '(Python API, see scenario)'}",
                  f"seed: {rep['seed']}",
                  f"reps: {rep['reps']} (curve and sensitivity: {rep['sensitivity_reps']})",
                  scenario_line, f"versions: {versions}")),
            Paragraph(spans("The same command gives the same numbers with any --jobs."))]


#: The report's sections, in order (each returns its blocks, heading first).
SECTIONS: tuple[Callable[[Context], list[Block]], ...] = (
    introduction,
    design,
    evidence,
    sample_size,
    power_at_n,
    sensitivity,
    assumptions,
    justification,
    methods,
    reproducibility,
)

#: Abbreviations expanded in the report when its text uses them.
ABBREVIATIONS = {
    "6-MWD": "6-minute walk distance",
    "CI": "confidence interval",
    "COVID-19": "coronavirus disease 2019",
    "CT": "computed tomography",
    "H0": "null hypothesis (no difference between the arms)",
    "LLN": "lower limit of normal",
    "MCAR": "missing completely at random",
    "MCSE": "Monte Carlo standard error",
    "MSC": "mesenchymal stem (stromal) cells",
    "NCT": "ClinicalTrials.gov registration number",
    "OR": "odds ratio",
    "PMID": "PubMed identifier",
    "SD": "standard deviation",
    "SE": "standard error",
    "SF-36": "36-Item Short Form Health Survey",
    "UC-MSC": "umbilical cord-derived mesenchymal stem (stromal) cells",
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _provenance_text(r: dict) -> str:
    return " ".join(row.get(k) or "" for row in r["evidence"]
                    for k in ("source", "quote", "reason", "note"))


def abbreviations(blocks: list[Block]) -> list[Block]:
    """The abbreviations the blocks use, expanded."""
    text = " ".join(text_of(blocks))
    used = [a for a in ABBREVIATIONS
            if re.search(rf"(?<![\w-]){re.escape(a)}(?![\w-]|-\w)|(?<![\w-]){re.escape(a)}\d{{8}}",
                         text)]
    if not used:
        return []
    return [Heading("Abbreviations"),
            Bullets(tuple(spans(f"{a}: {ABBREVIATIONS[a]}") for a in used))]


def references_section(blocks: list[Block], provenance: str) -> list[Block]:
    """Every work the blocks cite, in full, in order of first citation.

    A ``Surname YEAR`` in the scenario's provenance that the references file does not hold
    is named as such (full citations quoted in the text, "Biometrika 1934;26...", are not).
    """
    cited = [k for k in cited_keys(" ".join(text_of(blocks))) if k.split()[0] not in _MONTHS]
    known = references()
    blocks_out: list[Block] = [Heading("References"),
                               References(tuple((k, known[k].citation()) for k in cited
                                                if k in known))]
    unknown = [k for k in cited_keys(provenance) if k not in known and k.split()[0] not in _MONTHS]
    if unknown:
        blocks_out.append(Paragraph(spans(
            "Cited in the scenario file but not in simtrial's references file (the scenario "
            "gives no full reference): " + ", ".join(unknown) + ".")))
    return blocks_out
