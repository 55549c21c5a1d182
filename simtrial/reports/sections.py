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
from simtrial.text import probability

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
    "ancova": ("noncentral t at the residual SD, SD x sqrt(1 - rho^2), one degree of freedom "
               "fewer", "simtrial.analytic.power_ttest"),
    "change": ("noncentral t at the SD of the change from baseline",
               "simtrial.analytic.power_ttest"),
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


# ----------------------------------------------------------- analysis model and adjustment
def _hypothesis(ctx: Context, ep: Endpoint) -> str:
    """The hypothesis an endpoint's test shows, with its margins, in words."""
    if ep.equivalence is not None:
        low, high = ep.equivalence
        return (f"equivalence within {low:g} to {high:g} ({ep.model.effect_scale} scale), two "
                "one-sided tests")
    if ep.margin is None:
        return f"superiority ({ctx.r['design']['alternative']}); H0: no difference"
    return (f"{ep.hypothesis} (one-sided); H0: the {ep.model.effect_scale} is "
            f"{'at most' if ep.benefit_sign > 0 else 'at least'} the margin {ep.margin:+g}")


def _baseline_text(ep: Endpoint) -> str:
    baseline = ep.extra.get("baseline")
    if baseline is None:
        return "-"
    used = "" if ep.test in ("ancova", "change") else " (declared; this test ignores it)"
    return f"rho = {baseline['rho']:g}{used}"


def analysis_model(ctx: Context) -> list[Block]:
    """Each endpoint's analysis model and hypothesis; the gain of every baseline adjustment."""
    adjusted = ctx.r.get("baseline_adjustment") or []
    if not adjusted and not any("baseline" in ep.extra or ep.margin is not None
                                or ep.equivalence is not None for ep in ctx.sc.endpoints):
        return []
    blocks: list[Block] = [
        Heading("Analysis model and baseline adjustment"),
        Paragraph(spans(f"Alpha {ctx.r['design']['alpha']:g}; each endpoint's test and the "
                        "hypothesis it shows (the power of an endpoint is the chance that this "
                        "test rejects H0):")),
        Table(("endpoint", "analysis model", "hypothesis", "baseline correlation"),
              tuple((spans(f"{_label(ep)} [{ep.id}]"), spans(_test_text(ep.test)),
                     spans(_hypothesis(ctx, ep)), spans(_baseline_text(ep)))
                    for ep in ctx.sc.endpoints))]
    for entry in adjusted:
        blocks += _adjustment_blocks(ctx, entry)
    return blocks


def _adjustment_blocks(ctx: Context, entry: dict) -> list[Block]:
    ep = ctx.sc.endpoint(entry["endpoint"])
    target = _pct(entry["target_power"], 0)
    baseline, prov = entry["baseline"], entry["provenance"]
    key = f"endpoints.{ep.id}.baseline.rho"
    origin = ("no provenance recorded" if prov is None else
              f"basis {prov['basis']}" + (f", {prov['source']}" if prov.get("source") else "")
              + "; its reason and source are listed with " + key
              + " under Effect sizes and their evidence")
    mean = (f"mean {_number(baseline['mean'])}" if "mean" in baseline
            else f"the {ctx.c_arm} arm's mean")
    sd = f"SD {_number(baseline['sd'])}" if "sd" in baseline else f"the {ctx.c_arm} arm's SD"
    words = [f"{_label(ep)} [{ep.id}] is analysed by {TESTS[ep.test].title}"
             f"{_cite(method_references(f'simtrial.stattests.{ep.test}'))}: the follow-up "
             "value on arm and baseline value. Each patient's baseline is drawn jointly with "
             f"the follow-up value, correlation rho = {entry['rho']:g} ({origin}), with {mean} "
             f"and {sd} in both arms."]
    if ep.kind == "score":
        words.append(" The score is discrete and bounded: the linear model is a planning "
                     "approximation. The simulation keeps the grid, floor and ceiling (rho is "
                     "the correlation of the latent normals), so the simulated n includes what "
                     "they cost; no closed form is given for it.")
    rows = tuple((spans(a["title"][:1].upper() + a["title"][1:]),
                  spans("-" if a["residual_sd"] is None else f"{a['residual_sd']:.2f}"),
                  spans("-" if a["n_closed_form"] is None else str(a["n_closed_form"])),
                  spans(str(a["n_simulated"])),
                  spans(" / ".join("-" if a[k] is None else f"{a[k]:.3f}"
                                   for k in ("ratio_closed_form", "ratio_simulated"))))
                 for a in entry["analyses"])
    table = Table(
        ("analysis", f"residual SD ({ep.unit or 'units'})", f"closed-form n for {target}",
         f"simulated n for {target}", "n relative to the t test: closed form / simulated"),
        rows,
        (spans(f"Sample size of {ep.id} on its own (its test at the full alpha, not after "
               "the multiplicity procedure), with its dropout. Closed form: the t test's "
               "power at the residual SD, SD x sqrt(1 - rho^2) with one degree of freedom "
               "fewer for ANCOVA (Borm 2007), the SD of the change for the change score; "
               "'-' where the endpoint has no normal closed form. Simulated: the smallest "
               f"total reaching {target} ({entry['reps']} simulated trials per point, seed "
               f"{entry['seed']}). ANCOVA needs about 1 - rho^2 = "
               f"{entry['ratio_expected']:.3f} times the t test's patients and never more "
               "than the change score, which gains only when rho is above about 0.5 (with "
               "equal SDs at baseline and follow-up)."),))
    blocks: list[Block] = [Paragraph(spans("".join(words))), table]
    swept = [i for i in ctx.r["sensitivity"]["items"]
             if i["what"] == "baseline" and i["endpoint"] == ep.id]
    n = ctx.r["sensitivity"]["n_total"]
    gated = (f" {_gating(ctx.procedure)}" if ep.id in ctx.r["design"]["family"]
             and ctx.procedure != "none" else "")
    for item in swept:
        low, high = _ends(item)
        blocks.append(Paragraph(spans(
            f"The assumed rho is swept in the sensitivity analysis (below): at n = {n}, the "
            f"power of {ep.id}{gated} is {low['power'][ep.id]['power']:.3f} at rho = "
            f"{_number(low['value'])} and {high['power'][ep.id]['power']:.3f} at rho = "
            f"{_number(high['value'])}.")))
    if not swept:
        blocks.append(Paragraph(spans(
            f"The sensitivity analysis does not show {ep.id}; vary rho with ",
            code(f"simtrial sweep --vary endpoints.{ep.id}.baseline.rho=0.3,0.5,0.7"), ".")))
    return blocks


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
                f"{probability(s['p_any_event']['treatment'])} ({ctx.t_arm}) and "
                f"{probability(s['p_any_event']['control'])} ({ctx.c_arm}); with no events the "
                f"{s['level']:.0%} upper bound on the rate would be "
                f"{probability(s['zero_event_upper_bound']['treatment'])} ({ctx.t_arm}, "
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
    def opt(x):  # a simulated power of exactly 1 (every trial rejects) reads "1", not "1.0000"
        return "-" if x is None else probability(x)

    ep = ctx.sc.endpoint(e["id"])
    return (spans(f"{e['label'] or e['id']} [{e['id']}]"), spans(_role(ctx, ep)),
            spans(e["test"]), spans(e["effect"]), spans(probability(e["power"])),
            spans(f"{e['mcse']:.4f}"), spans(f"{e['ci'][0]:.4f} to {e['ci'][1]:.4f}"),
            spans(opt(e["power_unadjusted"])), spans(opt(e["analytic_power"])),
            spans(opt(e["exact_power"])))


# ------------------------------------------------------------------ planning sections
#: Spending functions and boundary families in words, with the works they come from.
RULES = {
    "obf": ("O'Brien-Fleming boundaries", "O'Brien 1979"),
    "pocock": ("Pocock boundaries", "Pocock 1977"),
    "ld-obf": ("Lan-DeMets spending of O'Brien-Fleming type", "Lan 1983; O'Brien 1979"),
    "ld-pocock": ("Lan-DeMets spending of Pocock type", "Lan 1983; Pocock 1977"),
    "hsd": ("Hwang-Shih-DeCani spending", "Hwang 1990"),
    "kd": ("Kim-DeMets power spending", "Kim 1987"),
}


def _rule(rule: str) -> str:
    """A boundary rule in words with its reference (``ld-obf``, ``hsd:-4``, fixed z...).

    Examples
    --------
    >>> _rule("hsd:-4")
    'Hwang-Shih-DeCani spending, gamma = -4 (Hwang 1990)'
    >>> _rule("none")
    'none'
    """
    name, _, parameter = rule.partition(":")
    if name not in RULES:
        return rule
    words, refs = RULES[name]
    symbol = {"hsd": "gamma", "kd": "rho"}.get(name)
    return f"{words}{f', {symbol} = {parameter}' if parameter else ''} ({refs})"


def _z(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _sim(value: float, mcse: float, closed: float | None = None) -> str:
    text = f"{value:.4f} (MCSE {mcse:.4f})"
    return text + ("" if closed is None else f"; closed form {closed:.4f}")


def _expected_n(e: dict) -> str:
    closed = "" if e["closed_form"] is None else f"; closed form {e['closed_form']:.1f}"
    return f"{e['value']:.1f} (MCSE {e['mcse']:.1f}{closed})"


def interim_plan(ctx: Context) -> list[Block]:
    """Boundaries per look, stopping probabilities under H1 and H0, expected n, inflation."""
    plan = ctx.r.get("interim_plan")
    if not plan:
        return []
    t, c = ctx.t_arm, ctx.c_arm
    ep = ctx.sc.endpoint(plan["endpoint"])
    sided = "two-sided" if plan["sided"] == 2 else "one-sided"
    futility = plan["futility"]
    futility_text = ("none" if futility in ("none", None) else
                     f"{_rule(futility)} of beta {plan['beta']:g}" if futility.split(":")[0]
                     in RULES else f"fixed z bounds {futility}")
    binding = "binding" if plan["binding"] else (
        "non-binding (the efficacy bounds hold whether or not the trial stops for futility)")
    intro = Paragraph(spans(
        f"{len(plan['looks'])} analyses of {_label(ep)} [{ep.id}], the last at the maximum "
        f"n = {plan['n_max']} ({plan['n_per_arm']['treatment']} {t}, "
        f"{plan['n_per_arm']['control']} {c}); {sided} alpha {plan['alpha']:g}. Efficacy "
        f"bounds: {_rule(plan['efficacy'])}; futility: {futility_text}"
        + (f", {binding}" if futility not in ("none", None) else "") + ". Bounds and "
        "closed-form probabilities by recursive numerical integration under the canonical "
        "normal model (Jennison 2000); the trials are simulated look by look, "
        f"{plan['reps']} per hypothesis (seed {plan['seed']})."))
    bounds = Table(
        ("look", "information", f"n ({t} / {c})", "efficacy z", "nominal p (one-sided)",
         "cumulative alpha spent", "futility z"),
        tuple((spans(str(row["look"])), spans(f"{row['information']:g}"),
               spans(f"{row['n']} ({row['n_per_arm']['treatment']} / "
                     f"{row['n_per_arm']['control']})"),
               spans(_z(row["efficacy_z"])), spans(probability(row["nominal_p"])),
               spans(probability(row["alpha_spent"])), spans(_z(row["futility_z"])))
              for row in plan["looks"]),
        (spans("z > 0 favours ", t, "; the trial stops for efficacy when z reaches the "
               "efficacy bound" + (" in either direction" if plan["sided"] == 2 else "")
               + ", for futility when z is at or below the futility bound; '-' means no "
               "bound at that look."),))

    def stop(row: dict, hypothesis: str, what: str) -> Inline:
        closed = row["closed_form"][hypothesis][what] if row["closed_form"] else None
        return spans(_sim(row[hypothesis][what], row[hypothesis][f"{what}_mcse"], closed))

    whats = ("reject", "stop_futility") if futility not in ("none", None) else ("reject",)
    words = {"reject": "efficacy stop", "stop_futility": "futility stop"}
    stopping = Table(
        ("look", *(f"{words[w]}, {h.upper()}" for h in ("h1", "h0") for w in whats)),
        tuple((spans(str(row["look"])), *(stop(row, h, w) for h in ("h1", "h0")
                                           for w in whats)) for row in plan["looks"]),
        (spans("Probability of stopping at each look under H1 (the planned effect, ",
               ep.describe(), ") and under H0 (no effect): simulated (MCSE) and the "
               "canonical model's closed form where the test has one."),))
    power, error, e_n = plan["power"], plan["type_one_error"], plan["expected_n"]
    items = [
        spans(f"Overall power: {_sim(power['value'], power['mcse'], power['closed_form'])}."),
        spans(f"Type I error (simulated under H0): {error['value']:.4f} (MCSE "
              f"{error['mcse']:.4f}), nominal alpha {error['nominal']:g}."),
        spans("Expected number randomised: under H1 " + _expected_n(e_n["h1"])
              + "; under H0 " + _expected_n(e_n["h0"]) + f"; maximum {plan['n_max']}.")]
    inflation = plan["inflation_factor"]
    if inflation["value"] is not None:
        items.append(spans(
            f"Inflation factor {inflation['value']:.4f}: the maximum n is that much larger "
            f"than a single analysis with the same power ({inflation['power']:.4f}) would "
            f"need, n = {inflation['fixed_n']}; at the design's own power "
            f"{1 - plan['beta']:g} the factor is {plan['design_inflation_factor']:.4f}."))
    secondary = plan.get("secondary")
    if secondary:
        items.append(spans(
            f"Secondary endpoints ({', '.join(secondary['endpoints'])}, "
            f"{secondary['procedure']}): tested only at the look where the primary stops for "
            f"efficacy, on the boundaries of {_rule(secondary['rule'])}: efficacy z "
            f"{', '.join(_z(z) for z in secondary['efficacy_z'])} at the looks."))
    return [Heading("Interim analysis plan"), intro, bounds, stopping, Bullets(tuple(items))]


#: What each test compares and assumes, for the choice of a primary endpoint.
ASSUMES = {
    "chisq": "a difference in the proportion of patients with the outcome, compared by the "
             "chi-squared test (large-sample normal approximation)",
    "fisher": "a difference in the proportion of patients with the outcome, compared by "
              "Fisher's exact test",
    "ttest": "a difference in means; assumes a normal outcome with the same SD in both arms",
    "welch": "a difference in means; assumes a normal outcome, SDs may differ",
    "mannwhitney": "a shift of the whole distribution (rank test); no distribution shape "
                   "assumed, ties handled",
    "po": "a common odds ratio of a worse level at every cut-off of the ordered scale "
          "(proportional odds); the control arm's distribution over the levels matters",
    "winratio": "the win ratio over all treatment-control pairs, compared on each component "
                "in order of priority (a difference within the margin is a tie passed on to "
                "the next); patients who die are scored, not dropped; the order, the margin "
                "and the correlation of the components are assumptions",
    "logrank": "a hazard ratio; assumes proportional hazards",
}


def _effect_bases(ctx: Context, ep_id: str) -> str:
    """The bases (assumed, derived, reported) of an endpoint's treatment-arm numbers."""
    prefix = f"endpoints.{ep_id}."
    bases = [p.basis for k, p in ctx.sc.provenance.items()
             if k.startswith(prefix) and ".treatment" in k]
    return ", ".join(dict.fromkeys(bases)) or "no provenance recorded"


def primary_choice(ctx: Context) -> list[Block]:
    """The sample size each candidate primary endpoint would need, and what each assumes."""
    choice = ctx.r.get("primary_choice")
    if not choice:
        return []
    n = ctx.r["sample_size"]["n_total"]
    t, c = ctx.t_arm, ctx.c_arm
    effects = {e["id"]: e["effect"] for e in ctx.r["power_at_n"]["endpoints"]}
    rows, items = [], []
    for row in choice["rows"]:
        ep = ctx.sc.endpoint(row["endpoint"])
        role = "primary (chosen)" if ep.id == choice["primary"] else "candidate"
        if row["n_total"] is None:
            needed = spans("not reached: " + row["note"])
        else:
            needed = spans(f"{row['n_total']} ({row['n_per_arm']['treatment']} / "
                           f"{row['n_per_arm']['control']}); power {row['power']:.4f} (MCSE "
                           f"{row['mcse']:.4f})")
        rows.append((spans(f"{_label(ep)} [{ep.id}]"), spans(role), spans(effects[ep.id]),
                     needed, spans("-" if row.get("analytic_n") is None
                                   else str(row["analytic_n"])),
                     spans(f"{row['power_at_n']:.4f} (MCSE {row['power_at_n_mcse']:.4f})")))
        items.append(spans(strong(_label(ep)), f" [{ep.id}] measures "
                           f"{ASSUMES.get(ep.test, TESTS[ep.test].title)}"
                           + _cite(method_references(f"simtrial.stattests.{ep.test}"))
                           + f". Basis of its planned effect: {_effect_bases(ctx, ep.id)}."))
    return [Heading("Choice of the primary endpoint"), Paragraph(spans(
        "Which endpoint is primary is a planning choice, and every effect below is a planning "
        "value, not a finding: the sample size rests on it. For each endpoint considered, the "
        f"total n it would need for {_pct(choice['target_power'], 0)} power as the primary "
        "(its own test at the full alpha, as the first endpoint of a fixed sequence is "
        f"tested; the same search, {choice['reps']} simulated trials, seed {choice['seed']}) "
        f"and its power at the chosen n = {n}.")),
        Table(("endpoint", "role", f"planned effect ({t} vs {c})",
               f"n for {_pct(choice['target_power'], 0)} power ({t} / {c})", "closed form n",
               f"power at n = {n} (test alone)"), tuple(rows)),
        Bullets(tuple(items))]


def time_to_event(ctx: Context) -> list[Block]:
    """Events, analysis time and the closed-form events beside the simulated power."""
    rows = ctx.r.get("time_to_event")
    if not rows:
        return []
    target = ctx.r["target_power"]

    def opt(x, fmt: str) -> str:
        return "-" if x is None else format(x, fmt)

    table = Table(
        ("endpoint", "hazard ratio", "analysis at", "events: simulated / expected",
         "month of analysis: simulated / expected", "randomised by then",
         "power (MCSE)", "Schoenfeld / Freedman power",
         f"events for {_pct(target, 0)} power: Schoenfeld / Freedman"),
        tuple((spans(f"{_label(ctx.sc.endpoint(r['endpoint']))} [{r['endpoint']}]"),
               spans(opt(r["hazard_ratio"], ".4g")),
               spans(" or ".join(part for part in (
                   r["planned_events"] and f"{r['planned_events']} events",
                   r["planned_months"] and f"month {r['planned_months']:g}") if part)
                     + (", whichever comes first"
                        if r["planned_events"] and r["planned_months"] else "")),
               spans(f"{opt(r['events'], '.1f')} / {opt(r['analytic_events'], '.1f')}"),
               spans(f"{opt(r['duration'], '.1f')} / {opt(r['analytic_duration'], '.1f')}"),
               spans(opt(r["n"], ".1f")),
               spans(f"{r['power']:.4f} ({r['mcse']:.4f})"),
               spans(f"{opt(r['analytic_power'], '.4f')} / "
                     f"{opt(r['analytic_power_freedman'], '.4f')}"),
               spans(f"{opt(r['events_needed']['schoenfeld'], '.1f')} / "
                     f"{opt(r['events_needed']['freedman'], '.1f')}"))
              for r in rows),
        (spans("The analysis is event-driven: its time and the number randomised by then are "
               "means over the simulated trials; expected events and month by Lachin 1986 "
               "(accrual, dropout and the survival curves). Closed forms of the log-rank "
               "test at the expected events: Schoenfeld 1981 and Freedman 1982, both "
               "approximations (neither is exact at unequal allocation); the simulated "
               "power decides."),))
    return [Heading("Time to event"), table]


def _prior_text(prior: dict) -> str:
    """A prior in words: its distribution, its parameters, what it is of.

    Examples
    --------
    >>> _prior_text({"key": "endpoints.y.treatment.mean", "distribution": "normal",
    ...              "mean": 28.5, "sd": 14.54, "of": "effect", "null_mass": 0.0})
    'normal prior on the effect at endpoints.y.treatment.mean (mean 28.5, sd 14.54)'
    """
    names = {"mean", "sd", "lower", "upper", "median", "sd_log", "a", "b", "value"}
    params = ", ".join(f"{k} {v:g}" for k, v in prior.items() if k in names)
    of = "the effect at" if prior.get("of") == "effect" else ""
    null = f"; no effect with probability {prior['null_mass']:g}" if prior.get("null_mass") \
        else ""
    return (f"{prior['distribution'].replace('-', ' ')} prior on {of} {prior['key']} "
            f"({params}{null})").replace("  ", " ")


def _prior_item(prior: dict) -> Inline:
    """A prior in words, then where each of its numbers comes from."""
    sources = []
    for name, record in prior.get("provenance", {}).items():
        words = "; ".join(record[k] for k in ("source", "quote", "reason", "note")
                          if record.get(k))
        sources.append(f"{name}: {record['basis']}" + (f", {words}" if words else ""))
    return spans(strong(_prior_text(prior)), ". " + (
        " | ".join(sources) if sources else "No provenance recorded for this prior."))


def probability_of_success(ctx: Context) -> list[Block]:
    """Assurance beside power, the priors with their sources, quantiles, the histogram."""
    entries = ctx.r.get("assurance")
    if not entries:
        return []
    at_n = {e["id"]: e for e in ctx.r["power_at_n"]["endpoints"]}
    done = [e for e in entries if "assurance" in e]
    rep = ctx.r["reproducibility"]
    blocks: list[Block] = [Heading("Probability of success"), Paragraph(spans(
        "Power assumes the planned effect is true. Assurance (O'Hagan 2005) is the "
        "probability of success averaged over a design prior for the effect: a significant "
        "result in the direction of benefit (for an endpoint in the multiplicity family, "
        f"its rejection {_gating(ctx.procedure)}). Two-level simulation: "
        f"{rep['assurance_draws']} values drawn from the priors, the same "
        f"{rep['assurance_reps']} simulated trials at each (seed {rep['seed']}); its MCSE "
        "counts both levels. As n grows, assurance tends to the prior's probability of a "
        "beneficial effect, its bound."))]
    rows = []
    for e in done:
        ep = ctx.sc.endpoint(e["endpoint"])
        p = at_n[ep.id]
        q = e["power_quantiles"]
        benefit = e["exact_benefit_probability"]
        rows.append((
            spans(f"{_label(ep)} [{ep.id}]"),
            spans(f"{p['power']:.4f} (MCSE {p['mcse']:.4f})"),
            spans(f"{e['assurance']:.4f} (MCSE {e['mcse']:.4f}; 95% CI {e['ci'][0]:.4f} to "
                  f"{e['ci'][1]:.4f})"),
            spans("-" if e["closed_form"] is None else f"{e['closed_form']:.4f}"),
            spans(f"{e['benefit_probability']:.4f}" if benefit is None
                  else f"{benefit:.4f} (draws: {e['benefit_probability']:.4f})"),
            spans(f"{q['0.1']:.2f} / {q['0.5']:.2f} / {q['0.9']:.2f}")))
    if rows:
        blocks.append(Table(
            ("endpoint", f"power at the planned effect, n = {ctx.r['sample_size']['n_total']}",
             "assurance", "closed form (O'Hagan 2005)", "prior probability of benefit (bound)",
             "power over the prior: 10% / 50% / 90% quantiles"), tuple(rows),
            (spans("Closed form: for a normal endpoint with one normal prior on its mean, "
                   "outside a multiplicity family ('-' elsewhere). Prior probability of "
                   "benefit: exact for the endpoint's own prior, with the share of beneficial "
                   "draws beside it. Quantiles of the per-draw power, each estimated from "
                   f"{rep['assurance_reps']} trials (their binomial noise widens the spread a "
                   "little)."),)))
    for e in done:
        family = e.get("family")
        if family and e["endpoint"] == done[0]["endpoint"]:
            blocks.append(Paragraph(spans(
                f"Family ({family['procedure']}: {', '.join(family['endpoints'])}), averaged "
                f"over the priors: at least one hypothesis rejected in the direction of "
                f"benefit {family['assurance_any']:.4f} (MCSE {family['mcse_any']:.4f}); all "
                f"rejected {family['assurance_all']:.4f} (MCSE {family['mcse_all']:.4f}).")))
        design = e.get("design")
        if design:
            blocks.append(Paragraph(spans(
                f"Probability of stopping for efficacy at each look, averaged over the "
                f"priors ({e['endpoint']}): " + "; ".join(
                    f"look {k + 1} (n = {s['n']}) {s['efficacy']:.4f} (MCSE {s['mcse']:.4f})"
                    for k, s in enumerate(design["stages"])) + ".")))
    priors = {p["key"]: p for e in done for p in e["priors"]}
    blocks += [Paragraph(spans("The priors and the sources of their numbers:")),
               Bullets(tuple(_prior_item(prior) for prior in priors.values()))]
    for e in entries:
        if "note" in e:
            blocks.append(Paragraph(spans(f"No assurance for {e['endpoint']}: {e['note']}")))
    if done:
        blocks.append(Figure(
            "assurance.png",
            "Distribution of the power at the chosen n over the design prior: share of the "
            f"{rep['assurance_draws']} prior draws per band of power (each draw's power from "
            f"{rep['assurance_reps']} trials); solid line: assurance, dashed: power at the "
            "planned effect."))
    return blocks


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
        "both arms (0 to 0.4)"
        + (", the assumed correlation of a baseline-adjusted endpoint with its baseline "
           "(planned -/+ 0.2)" if any(i["what"] == "baseline" for i in sens["items"])
           else "")
        + "; then the assumed correlations involving a shown endpoint (they "
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
    pos = next((e for e in r.get("assurance") or () if e["endpoint"] == ep.id
                and "assurance" in e), None)
    if pos:
        text += (" Averaged over a design prior for its effect ("
                 + "; ".join(_prior_text(p) for p in pos["priors"]
                             if p["key"].startswith(f"endpoints.{ep.id}."))
                 + ", its sources listed under Probability of success), the probability of "
                 f"success (assurance) is {_pct(pos['assurance'])} (Monte Carlo SE "
                 f"{_pct(pos['mcse'])}); the prior gives a beneficial effect a probability of "
                 f"{_pct(pos['exact_benefit_probability'] or pos['benefit_probability'])}.")
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
    analysis_model,
    primary_choice,
    interim_plan,
    time_to_event,
    power_at_n,
    probability_of_success,
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
    "ANCOVA": "analysis of covariance",
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
