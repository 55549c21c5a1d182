"""Plain-text tables and CSV for the command line; formatting only, no computation.

Text from the scenario file (names, labels, units, arm names, provenance) reaches a terminal
only through :func:`simtrial.text.terminal`: every table cell, and every line around a table,
is made one line without control characters (the functions ``table`` and ``_lines``). CSV keeps the
exact text: it is data (see :mod:`simtrial.text`).
"""

from __future__ import annotations

import csv
import io

from simtrial.text import probability, terminal

__all__ = ["assurance_table", "detectable_table", "power_csv", "power_table", "sample_size_table",
           "scenario_text", "table"]


def table(header: list[str], rows: list[list[str]]) -> str:
    r"""Left-aligned text columns separated by two spaces; each cell made one safe line.

    Examples
    --------
    >>> print(table(["a", "bb"], [["1", "2"], ["333", "4"]]))
    a    bb
    1    2
    333  4
    >>> print(table(["label"], [["two\nlines \x1b[2J"]]))
    label
    two lines \u001b[2J
    """
    header, rows = [terminal(c) for c in header], [[terminal(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    return "\n".join(lines)


def _lines(texts: list[str]) -> str:
    r"""Join one-line texts, each made a safe terminal line (a newline in a value is a space).

    Examples
    --------
    >>> print(_lines(["Scenario x: a\nb", "", "done"]))
    Scenario x: a b
    <BLANKLINE>
    done
    """
    return "\n".join(terminal(text) for text in texts)


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
             "-" if e.analytic_power is None else f"{e.analytic_power:.4f}",
             "-" if e.exact_power is None else f"{e.exact_power:.4f}"]
            for e in result.endpoints]
    header = ["endpoint", "test", f"effect ({t} vs {c})", "assessed", "power", "MCSE",
              "95% CI", "analytic", "exact"]
    if result.family is not None:
        header.insert(5, "unadjusted")
        for row, e in zip(rows, result.endpoints, strict=True):
            row.insert(5, f"{e.power_unadjusted:.4f}")
    sides = "either direction" if result.alternative == "two-sided" else "direction of benefit"
    notes = ["", f"power: share of simulated trials whose test rejects H0 ({sides}); "
             "MCSE: Monte Carlo standard error; CI: Wilson 95% interval;",
             "assessed: expected patients assessed per arm after dropout; "
             "analytic: textbook closed form at the expected assessed numbers; "
             "exact: power of the binary test by enumerating every 2x2 table.",
             *_family_lines(result), *_safety_lines(result), *_event_lines(result)]
    if result.design is not None:
        notes[2] = ("assessed: expected patients assessed per arm after dropout, if the trial "
                    "runs to its last look; analytic: the design's canonical normal model.")
    return (_lines(head) + "\n" + table(header, rows) + "\n" + _lines(notes)
            + _sequential_lines(result.design))


def design_table(design) -> str:
    """The output of ``simtrial design``: a group-sequential design's boundaries per look.

    Examples
    --------
    >>> from simtrial.design import group_sequential_design
    >>> print(design_table(group_sequential_design([0.5, 1.0], efficacy="obf")))
    Group-sequential design: 2 looks, one-sided alpha 0.025, efficacy obf, futility none
    look  information  efficacy z  nominal p  alpha spent  futility z
    1     0.5          2.797       0.00258    0.00258      -
    2     1            1.977       0.02400    0.02500      -
    inflation factor 1.008 (maximum over fixed-design information)
    expected information at 80% power: 0.8952 of the maximum (H1), 0.9987 (H0)

    A conditional-power futility rule adds the conditional power at each futility bound:

    >>> print(design_table(group_sequential_design([0.5, 1.0], futility="cp:0.1")))
    Group-sequential design: 2 looks, one-sided alpha 0.025, efficacy ld-obf, futility cp:0.1 (non-binding)
    look  information  efficacy z  nominal p  alpha spent  futility z  futility CP
    1     0.5          2.963       0.00153    0.00153      -0.483      0.1000
    2     1            1.969       0.02450    0.02500      -           -
    inflation factor 1.005 (maximum over fixed-design information)
    expected information at 80% power: 0.9145 of the maximum (H1), 0.8420 (H0)
    """  # noqa: E501
    data = design.to_dict()

    def z(value):
        return "-" if value is None else f"{value:.3f}"

    rows = [[str(k + 1), f"{s['information']:.4g}", z(s["efficacy_z"]), f"{s['nominal_p']:.5f}",
             f"{s['alpha_spent']:.5f}", z(s["futility_z"])]
            for k, s in enumerate(data["stages"])]
    header = ["look", "information", "efficacy z", "nominal p", "alpha spent", "futility z"]
    if design.futility_cp is not None:   # a conditional-power rule: the CP at each bound
        header.append("futility CP")
        for row, s in zip(rows, data["stages"], strict=True):
            row.append("-" if s["futility_cp"] is None else f"{s['futility_cp']:.4f}")
    sides = "two-sided" if data["sided"] == 2 else "one-sided"
    binding = "" if data["futility"] == "none" else (
        " (binding)" if data["binding"] else " (non-binding)")
    head = (f"Group-sequential design: {len(rows)} looks, {sides} alpha {data['alpha']:g}, "
            f"efficacy {data['efficacy']}, futility {data['futility']}{binding}")
    expected = data["expected_information"]
    tail = (f"inflation factor {data['inflation_factor']:.4g} (maximum over fixed-design "
            f"information)\nexpected information at {100 * (1 - data['beta']):.0f}% power: "
            f"{expected['h1']:.4f} of the maximum (H1), {expected['h0']:.4f} (H0)")
    return "\n".join([head, table(header, rows), tail])


def _sequential_lines(design: dict | None) -> str:
    """The looks of a group-sequential design: bounds, stopping probabilities, expected n."""
    if design is None:
        return ""
    h0 = design["h0"]

    def z(value):
        return "-" if value is None else f"{value:.3f}"

    rows = [[str(k + 1), f"{s['information']:.3g}", str(s["n"]), z(s["efficacy_z"]),
             f"{s['nominal_p']:.5f}", z(s["futility_z"]), f"{s['reject']:.4f}",
             f"{s['stop_futility']:.4f}", f"{h0['stages'][k]['reject']:.4f}"]
            for k, s in enumerate(design["stages"])]
    header = ["look", "information", "n", "efficacy z", "nominal p", "futility z", "reject",
              "stop futility", "reject under H0"]
    binding = "binding" if design["binding"] else "non-binding"
    closed = design["closed_form"]
    lines = ["", f"Group-sequential design: efficacy {design['efficacy']}, futility "
             f"{design['futility']} ({binding}); the primary endpoint decides at each look.",
             table(header, rows),
             f"expected n randomised: {design['expected_n']['value']:.1f} (MCSE "
             f"{design['expected_n']['mcse']:.1f}) under H1, {h0['expected_n']['value']:.1f} "
             f"under H0; simulated type I error {h0['power']:.4f} (MCSE {h0['mcse']:.4f}) "
             f"against alpha {design['alpha']:g}"
             + ("" if closed is None else f"; canonical normal model: power "
                f"{closed['h1']['power']:.4f}, expected n {closed['h1']['expected_n']:.1f}")]
    for row in design.get("family", {}).get("endpoints", ()):  # simtrial.design.family
        gate = ("if every endpoint before it rejected" if design["family"]["procedure"]
                == "fixed-sequence" else "unadjusted")
        lines.append(f"{row['id']}: tested at the stopping look ({gate}) on "
                     f"{design['family']['secondary']} bounds "
                     f"{', '.join(z(b) for b in row['efficacy_z'])}; rejected at each look "
                     f"{', '.join(f'{p:.4f}' for p in row['reject'])}")
    return "\n" + "\n".join(lines) + "\n"


def _family_lines(result) -> list[str]:
    """The multiplicity family: procedure, and power to reject any / all of its hypotheses."""
    family = result.family
    if family is None:
        return []
    joiner = " > " if family.procedure == "fixed-sequence" else ", "
    if family.procedure == "none":  # co-primary endpoints, each at the full alpha
        lines = ["", f"family (none: {joiner.join(family.endpoints)}); no adjustment, each test "
                 "at the full alpha; all rejected is the co-primary power:"]
    else:
        lines = ["", f"family ({family.procedure}: {joiner.join(family.endpoints)}); power of "
                 "family endpoints is after adjustment, 'unadjusted' is each test alone:"]
    for name, p, se, ci in (("at least one rejected", family.power_any, family.mcse_any,
                             family.ci_any),
                            ("all rejected", family.power_all, family.mcse_all, family.ci_all)):
        lines.append(f"  {name:22} {p:.4f}  MCSE {se:.4f}  95% CI {ci[0]:.4f} to {ci[1]:.4f}")
    return lines


def _safety_lines(result) -> list[str]:
    """Per safety endpoint: chance of seeing an event, and the bound a clean record gives."""
    lines = []
    for e in result.endpoints:
        if e.safety is None:
            continue
        level = f"{e.safety['level']:.0%}"
        for arm, name in zip(("treatment", "control"), result.arms, strict=True):
            bound = e.safety["zero_event_upper_bound"][arm]
            p_any = probability(e.safety["p_any_event"][arm])
            lines.append(
                f"safety [{e.id}] {name}: P(at least one event) "
                f"{p_any if p_any[0] in '<>' else '= ' + p_any}; with 0 events in "
                f"{e.safety['assessed'][arm]} assessed, the {level} upper bound is "
                + ("-" if bound is None else f"{bound:.4f}"))
    return [""] + lines if lines else []


def _event_lines(result) -> list[str]:
    """Per time-to-event endpoint: events, month and patients at the analysis; Freedman."""
    lines = []
    for e in result.endpoints:
        if e.events is None:
            continue
        month = "-" if e.analytic_duration is None else f"{e.analytic_duration:.2f}"
        freedman = ("-" if e.analytic_power_freedman is None
                    else f"{e.analytic_power_freedman:.4f}")
        lines.append(
            f"time to event [{e.id}]: at the analysis (means over trials) {e.events:.1f} events "
            f"(expected {e.analytic_events:.1f}), month {e.duration:.2f} (expected {month}), "
            f"{e.n:.1f} randomised; analytic: Schoenfeld at the expected events, Freedman "
            f"{freedman}" + ("" if e.hazard_ratio_median is None else
                             f"; Cox hazard ratio estimate: median {e.hazard_ratio_median:.3f}, "
                             f"mean {e.hazard_ratio_mean:.3f}"))
    return [""] + lines if lines else []


def power_csv(result) -> str:
    """One CSV row per endpoint, with the design repeated on each row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["scenario", "n_total", "n_treatment", "n_control", "alpha", "alternative",
                     "reps", "seed", "endpoint", "label", "test", "effect", "power", "mcse",
                     "ci_low", "ci_high", "power_unadjusted", "analytic_power", "exact_power"])
    for e in result.endpoints:
        writer.writerow([result.scenario, result.n_total, result.n_per_arm["treatment"],
                         result.n_per_arm["control"], result.alpha, result.alternative,
                         result.reps, result.seed, e.id, e.label, e.test, e.effect, e.power,
                         e.mcse, e.ci[0], e.ci[1], e.power_unadjusted,
                         "" if e.analytic_power is None else e.analytic_power,
                         "" if e.exact_power is None else e.exact_power])
    return buf.getvalue()


def scenario_text(scenario) -> str:
    """A readable summary of a scenario, with every number's provenance."""
    trial = scenario.trial
    texts = [f"{scenario.name}: {scenario.title}" if scenario.title else scenario.name,
             f"source: {scenario.source}",
             f"arms: {trial.arms[0]} (treatment) vs {trial.arms[1]} (control), allocation "
             f"{trial.allocation[0]:g}:{trial.allocation[1]:g}",
             f"alpha = {trial.alpha:g} {trial.alternative}", ""]
    for ep in scenario.endpoints:
        drop = ep.dropout
        texts.append(f"[{ep.id}] {ep.label}: {ep.kind} ({ep.distribution}), test {ep.test}, "
                     f"{ep.better} is better, dropout {drop[0]:g} / {drop[1]:g}")
        texts.append(f"    {ep.describe()}" + (f" {ep.unit}" if ep.unit else ""))
    if scenario.provenance:
        texts += ["", "provenance:"]
        for key, prov in scenario.provenance.items():
            text = prov.source or prov.reason
            texts.append(f"  {key}: {prov.basis}: {text}")
    return _lines(texts)


def sample_size_table(result) -> str:
    """The default output of ``simtrial samplesize``."""
    t, c = result.arms
    head = [f"Sample size: {result.label} [{result.endpoint}]; test {result.test}; "
            f"{result.effect}, {t} vs {c}",
            f"target power {result.target_power:g}; scenario {result.scenario}",
            *_design_lines(result)]
    below = result.n_minus_step
    drop_t, drop_c = result.dropout
    assessed = result.expected_assessed
    rows = [["power at n", f"{result.power:.4f} (MCSE {result.mcse:.4f}; 95% CI "
                           f"{result.ci[0]:.4f} to {result.ci[1]:.4f})"]]
    if below is not None:
        rows.append([f"power at n - 1 = {below['n_total']}",
                     f"{below['power']:.4f} (MCSE {below['mcse']:.4f})"])
    rows += [["closed-form n", "-" if result.analytic_n is None else str(result.analytic_n)],
             ["dropout", f"{drop_t:.1%} {t}, {drop_c:.1%} {c}: expected assessed "
                         f"{assessed['treatment']:.0f} + {assessed['control']:.0f}"],
             ["naive inflation", "-" if result.naive_inflation_n is None
              else f"{result.naive_inflation_n} (closed-form n without dropout / "
                   "(1 - mean dropout))"],
             ["search", f"{result.method}; {len(result.trace)} simulated points"]]
    trace = [[p["stage"], str(p["n_total"]), f"{p['power']:.4f}", f"{p['mcse']:.4f}",
              str(p["reps"])] for p in result.trace]
    notes = ["n: smallest total n at which the line through probit(simulated power) against "
             "sqrt(n) of the search points reaches the target;",
             "power at n and n - 1: `simtrial power` with the same reps and seed, an independent "
             "estimate within Monte Carlo error of the target."]
    if result.design is not None:
        rows[2:3], more = _sample_size_design_lines(result)
        notes = [notes[0].replace("total n", "maximum n").replace("simulated power",
                                                                    "the design's power"),
                 notes[1], *more]
    header = ["stage", "n", "power", "MCSE", "reps"]
    if result.events is not None:
        rows, notes = _sample_size_events_lines(result)
        header[1:1] = ["events"]
        for row, point in zip(trace, result.trace, strict=True):
            row[1:1] = [str(point["events"])]
    return "\n".join([_lines(head), table(["", ""], rows), "", "trace",
                      table(header, trace), "", *notes])


def _sample_size_events_lines(result) -> tuple[list[list[str]], list[str]]:
    """The samplesize table's rows and notes for an event-driven time-to-event analysis."""
    e = result.events
    below = e["events_minus_one"]
    rows = [["events", f"{e['events']} (power {result.power:.4f}, MCSE {result.mcse:.4f}; 95% CI "
                       f"{result.ci[0]:.4f} to {result.ci[1]:.4f}); MCSE of the events "
                       + ("-" if e["events_mcse"] is None else f"{e['events_mcse']:.1f}")]]
    if below is not None:
        rows.append([f"events - 1 = {below['events']}",
                     f"power {below['power']:.4f} (MCSE {below['mcse']:.4f})"])
    if e["schoenfeld_events"] is not None:
        rows.append(["closed forms", f"Schoenfeld {e['schoenfeld_events']:.2f}, Freedman "
                                     f"{e['freedman_events']:.2f} events; the simulation is "
                                     f"closer to {e['closer'].capitalize()}"])
    plan = ("accrual as written" if e["follow_up"] is None else
            f"follow-up {e['follow_up']:g} months after the last patient, accrual "
            + ("rates kept" if e["keep"] == "rate" else "duration kept (rates scaled)"))
    rates = ", ".join(f"{r:.4g}" for r in e["accrual"]["per_month"])
    rows += [["patients", f"n = {result.n_total} randomised ({plan}): {rates} a month over "
                          f"{e['accrual_duration']:.2f} months"],
             ["analysis", f"month {e['analysis_time']:.2f} expected (Lachin-Foulkes), "
                          f"{e['simulated_duration']:.2f} simulated"],
             ["closed-form n", "-" if result.analytic_n is None else
              f"{result.analytic_n} (the plan for Schoenfeld's events)"],
             ["search", f"{result.method}; {len(result.trace)} simulated points"]]
    notes = ["events: smallest number of events at which the simulated log-rank power reaches "
             "the target (and events - 1 does not), simulated as `simtrial power --n N` with "
             "analysis.events set to it;",
             "n: the patients the plan randomises for that many events (the accrual as "
             "written, or solved for the follow-up)."]
    return rows, notes


def _sample_size_design_lines(result) -> tuple[list[list[str]], list[str]]:
    """The samplesize table's rows and notes for a group-sequential design."""
    d = result.design
    looks = ", ".join(str(stage["n"]) for stage in d["stages"])
    binding = "" if d["futility"] == "none" else (
        " (binding)" if d["binding"] else " (non-binding)")
    rows = [["closed-form n", "-" if result.analytic_n is None
             else f"{result.analytic_n} (canonical normal model of the design)"],
            ["design", f"{d['efficacy']} efficacy, futility {d['futility']}{binding}; looks "
                       f"at n = {looks}"],
            ["expected n", f"{d['expected_n']['value']:.1f} under H1 (MCSE "
                           f"{d['expected_n']['mcse']:.1f}), {d['h0']['expected_n']['value']:.1f} "
                           "under H0"],
            ["type I error", f"{d['h0']['power']:.4f} (MCSE {d['h0']['mcse']:.4f}; nominal "
                             f"{d['alpha']:g})"],
            ["fixed-design n", f"{d['fixed_n']} (power {d['fixed_power']:.4f}, MCSE "
                               f"{d['fixed_mcse']:.4f})"],
            ["inflation factor", f"{d['inflation_factor_simulated']:.4f} simulated (n / "
                                 f"fixed-design n); {d['inflation_factor_design']:.4f} of the "
                                 f"boundaries at power {1 - d['design_beta']:g}, "
                                 f"{d['inflation_factor_at_target']:.4f} at the target"]]
    notes = ["fixed-design n: the same search without the [design] table; the boundaries' "
             "inflation factor: (drift / (z_alpha + z_power))^2 of the canonical normal model "
             "(rpact's inflationFactor), free of Monte Carlo error; the simulated one carries the "
             "Monte Carlo error of both searches."]
    return rows, notes


def family_sample_size_table(result) -> str:
    """The output of ``simtrial samplesize --criterion any|all``."""
    what = {"any": "at least one rejected", "all": "all rejected"}[result.criterion]
    joiner = " > " if result.procedure == "fixed-sequence" else ", "
    head = [f"Sample size: family ({result.procedure}: {joiner.join(result.family)}), "
            f"{what}", f"target power {result.target_power:g}; scenario {result.scenario}",
            *_design_lines(result)]
    below = result.n_minus_step
    rows = [["power at n", f"{result.power:.4f} (MCSE {result.mcse:.4f}; 95% CI "
                           f"{result.ci[0]:.4f} to {result.ci[1]:.4f})"]]
    if below is not None:
        rows.append([f"power at n - 1 = {below['n_total']}",
                     f"{below['power']:.4f} (MCSE {below['mcse']:.4f})"])
    rows.append(["search", f"{result.method}; {len(result.trace)} simulated points"])
    trace = [[p["stage"], str(p["n_total"]), f"{p['power']:.4f}", f"{p['mcse']:.4f}",
              str(p["reps"])] for p in result.trace]
    return "\n".join([_lines(head), table(["", ""], rows), "", "trace",
                      table(["stage", "n", "power", "MCSE", "reps"], trace)])


def detectable_table(result) -> str:
    """The default output of ``simtrial detectable``."""
    t, c = result.arms
    n = result.n_per_arm
    unit = f" {result.unit}" if result.unit else ""
    d = "" if result.standardized is None else f" (d = {result.standardized:.2f})"
    head = [f"Detectable effect: {result.label} [{result.endpoint}]; test {result.test}; "
            f"{result.better} is better",
            f"n = {result.n_total} randomised: {n['treatment']} {t} + {n['control']} {c}; "
            f"alpha = {result.alpha:g} {result.alternative}; target power "
            f"{result.target_power:g}",
            f"{result.reps} simulated trials per effect; seed {result.seed}; "
            f"simtrial {result.version}", "",
            f"With {result.n_total} patients the trial detects a {result.effect_scale} in "
            f"{result.location} of {result.effect:.4g}"
            f"{'' if result.effect_scale == 'ratio' else unit}{d}: {result.location} "
            f"{result.treatment_value:.4g} ({t}) vs {result.control_value:.4g} ({c}),",
            f"with power {result.power:.4f} (MCSE {result.mcse:.4f}; 95% CI "
            f"{result.ci[0]:.4f} to {result.ci[1]:.4f}).",
            "closed form (the endpoint's test alone, at the expected numbers assessed): "
            + ("-" if result.analytic_effect is None else f"{result.analytic_effect:.4g}"
               + ("" if result.effect_scale == "ratio" else unit)), "", "trace"]
    trace = [[f"{p['effect']:.6g}", f"{p['treatment_value']:.6g}", f"{p['power']:.4f}",
              f"{p['mcse']:.4f}"] for p in result.trace]
    return _lines(head) + "\n" + table(["effect", f"{result.location} ({t})", "power", "MCSE"],
                                       trace)


def assurance_table(result, target: float | None = None) -> str:
    """An assurance result (:mod:`simtrial.assurance`) as text to read."""
    n = result.n_per_arm
    lines = [f"Assurance of {result.endpoint} at n = {result.n_total} ({n['treatment']} "
             f"treatment + {n['control']} control)"
             + (f": smallest n reaching {target:g}" if target is not None else ""),
             f"{result.draws} prior draws x {result.reps} trials (the same trials at every "
             f"draw); seed {result.seed}; simtrial {result.version}", "",
             *(f"prior: {p['key']}: {p['of']} ~ {p['distribution']}("
               + ", ".join(f"{k} {p[k]:.6g}" for k in p if isinstance(p[k], float)
                           and k != "null_mass")
               + f"), P(no effect) = {p['null_mass']:g}" for p in result.priors), ""]
    rows = [["assurance", f"{result.assurance:.4f}", f"{result.mcse:.4f}",
             f"{result.ci[0]:.4f} to {result.ci[1]:.4f}"],
            ["expected power (either direction)", f"{result.expected_power:.4f}",
             f"{result.expected_power_mcse:.4f}", ""]]
    if result.closed_form is not None:
        rows.append(["closed form (O'Hagan et al. 2005)", f"{result.closed_form:.4f}", "", ""])
    rows.append([f"P(beneficial effect) ({result.benefit_method})",
                 f"{result.benefit_probability:.4f}", "", ""])
    rows.append(["bound as n grows", f"{result.bound:.4f}", "", ""])
    for criterion in ("any", "all"):
        if result.family is not None:
            rows.append([f"family ({result.family['procedure']}), {criterion}",
                         f"{result.family[f'assurance_{criterion}']:.4f}",
                         f"{result.family[f'mcse_{criterion}']:.4f}", ""])
    for k, stage in enumerate((result.design or {}).get("stages", [])):
        rows.append([f"efficacy stop at look {k + 1} (n = {stage['n']})",
                     f"{stage['efficacy']:.4f}", f"{stage['mcse']:.4f}", ""])
    quantiles = ", ".join(f"{q}: {v:.3f}" for q, v in result.power_quantiles.items())
    return "\n".join([*(terminal(t) for t in lines), table(["", "value", "mcse", "95% CI"], rows),
                      "", terminal(f"power across draws (quantiles; each from {result.reps} "
                                   f"trials, so slightly spread by their binomial noise): "
                                   f"{quantiles}")])
