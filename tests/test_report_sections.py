"""The report's planning sections: interim plan, probability of success, choice of the primary,
time to event. Each number is the library's (same call, same seed), each section appears only
where it applies, and each cites works that the references file holds."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from scipy.special import ndtr, ndtri

from simtrial.assurance import assurance
from simtrial.design.plan import interim_plan
from simtrial.events import freedman_events, schoenfeld_events
from simtrial.references import cited_keys, references
from simtrial.reports import report
from simtrial.reports.planning import assurance_sizes
from simtrial.scenario import Analysis, ScenarioError, load_scenario, parse_scenario
from simtrial.search import sample_size
from simtrial.simulate import power
from tests.conftest import BINARY, NORMAL, scenario_text

EXAMPLES = Path(__file__).parents[1] / "scenarios" / "examples"
REPS = 1000
PNG = b"\x89PNG\r\n\x1a\n"
PLANNING = ("Choice of the primary endpoint", "Interim analysis plan", "Time to event",
            "Probability of success")


def section(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0].strip()


def json_of(x):
    return json.loads(json.dumps(x))


@pytest.fixture(scope="module")
def builtin(tmp_path_factory):
    return report("msc-covid19", 0.9, tmp_path_factory.mktemp("b") / "r", reps=REPS, jobs=1)


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    path = str(EXAMPLES / "group-sequential.toml")
    return report(path, 0.8, tmp_path_factory.mktemp("g") / "r", reps=REPS, jobs=1)


@pytest.fixture(scope="module")
def survival(tmp_path_factory):
    path = str(EXAMPLES / "time-to-event.toml")
    return report(path, 0.8, tmp_path_factory.mktemp("t") / "r", reps=REPS, jobs=1)


def test_each_section_appears_only_where_it_applies(builtin, sequential, survival):
    shown = {name: [t for t in PLANNING if f"\n## {t}\n" in rep.markdown]
             for name, rep in (("builtin", builtin), ("sequential", sequential),
                               ("survival", survival))}
    assert shown == {"builtin": ["Choice of the primary endpoint", "Probability of success"],
                     "sequential": ["Interim analysis plan"], "survival": ["Time to event"]}
    for rep in (builtin, sequential, survival):
        for key in ("interim_plan", "primary_choice", "time_to_event", "assurance"):
            assert key in rep.results  # null where the section does not apply


def test_every_planning_citation_is_a_full_reference(builtin, sequential, survival):
    known = references()
    for rep in (builtin, sequential, survival):
        for title in PLANNING:
            if f"\n## {title}\n" in rep.markdown:
                keys = cited_keys(section(rep.markdown, title))
                assert keys and all(k in known for k in keys), (title, keys)
                refs = section(rep.markdown, "References")
                assert all(f"- {k}: " in refs for k in keys)


# ------------------------------------------------------------------ interim analysis plan
def test_interim_plan_is_the_library_s(sequential):
    n = sequential.results["sample_size"]["n_total"]
    plan = interim_plan(str(EXAMPLES / "group-sequential.toml"), n, reps=REPS, seed=1, jobs=1)
    assert sequential.results["interim_plan"] == json_of(plan)
    text = section(sequential.markdown, "Interim analysis plan")
    for row in plan["looks"]:
        assert (f"| {row['look']} | {row['information']:g} | {row['n']} "
                f"({row['n_per_arm']['treatment']} / {row['n_per_arm']['control']}) | "
                f"{row['efficacy_z']:.3f} |") in text
        assert f"{row['h1']['reject']:.4f} (MCSE {row['h1']['reject_mcse']:.4f})" in text
    error = plan["type_one_error"]
    assert (f"Type I error (simulated under H0): {error['value']:.4f} (MCSE "
            f"{error['mcse']:.4f}), nominal alpha 0.025.") in text
    assert f"{plan['expected_n']['h1']['value']:.1f} (MCSE" in text
    assert f"Inflation factor {plan['inflation_factor']['value']:.4f}" in text
    assert "Lan 1983; O'Brien 1979" in text and "futility stop, H0" in text


def test_interim_plan_names_the_secondary_rule(tmp_path):
    path = str(EXAMPLES / "group-sequential-family.toml")
    rep = report(path, 0.8, tmp_path / "r", reps=300, jobs=1)
    text = section(rep.markdown, "Interim analysis plan")
    secondary = rep.results["interim_plan"]["secondary"]
    assert secondary["rule"] == "ld-pocock"
    assert "Lan-DeMets spending of Pocock type (Lan 1983; Pocock 1977)" in text
    assert "futility stop" not in text  # the example has no futility rule


# ------------------------------------------------------------------ probability of success
def test_builtin_states_power_and_assurance_with_the_prior_s_source(builtin):
    n = builtin.results["sample_size"]["n_total"]
    draws, trials = assurance_sizes(REPS)
    entries = builtin.results["assurance"]
    assert [e["endpoint"] for e in entries] == ["walk_lln", "walk_m"]  # the primary first
    sc = load_scenario("msc-covid19")
    for e in entries:
        again = assurance(sc, n, draws=draws, reps=trials, seed=1, endpoint=e["endpoint"],
                          jobs=1)
        assert {k: v for k, v in e.items() if k != "exact_benefit_probability"} == \
            json_of(again.to_dict())
    text = section(builtin.markdown, "Probability of success")
    at_n = {e["id"]: e for e in builtin.results["power_at_n"]["endpoints"]}
    for e in entries:
        p = at_n[e["endpoint"]]
        assert (f"| {p['power']:.4f} (MCSE {p['mcse']:.4f}) | {e['assurance']:.4f} (MCSE "
                f"{e['mcse']:.4f};") in text
    # the phase 2 interval behind walk_m's prior, and the assumed reading behind walk_lln's
    assert "Shi 2021a (phase 2), abstract: 6-minute walk distance at day 28" in text
    assert "sd: assumed, the standard error of the phase 2 difference" in text
    assert "O'Hagan 2005" in text and "![" in builtin.markdown
    assert (builtin.out / "assurance.png").read_bytes()[:8] == PNG
    justification = section(builtin.markdown, "Justification (ready to paste)")
    primary = entries[0]
    assert f"the probability of success (assurance) is {100 * primary['assurance']:.1f}%" \
        in justification


def test_exact_benefit_probability_bounds_assurance(builtin):
    walk_lln, walk_m = builtin.results["assurance"]
    # P(N(-0.15, 0.0843) < 0 | -0.30 < effect < 0.70), and P(N(28.5, 57 / 3.92) > 0)
    def phi(upper):
        return ndtr((upper + 0.15) / 0.0843)

    truncated = (phi(0.0) - phi(-0.30)) / (phi(0.70) - phi(-0.30))
    assert walk_lln["exact_benefit_probability"] == pytest.approx(truncated, abs=1e-12)
    assert walk_m["exact_benefit_probability"] == pytest.approx(
        ndtr(28.5 / (57 / (2 * ndtri(0.975)))), abs=1e-12)
    for e in (walk_lln, walk_m):
        assert e["assurance"] < e["exact_benefit_probability"] + 4 * e["mcse"]


def test_priors_do_not_change_the_builtin_powers():
    sc = load_scenario("msc-covid19")
    assert sc.priors
    with_priors = power(sc, 431, reps=2000, seed=1, jobs=1).to_dict()
    assert with_priors == power(replace(sc, priors=()), 431, reps=2000, seed=1,
                                jobs=1).to_dict()


# ------------------------------------------------------------------ choice of the primary
def test_primary_choice_is_the_search_for_each_candidate(builtin):
    choice = builtin.results["primary_choice"]
    sc = load_scenario("msc-covid19")
    assert [r["endpoint"] for r in choice["rows"]] == ["walk_lln", "clin_status", "death_walk"]
    assert choice["rows"][0]["n_total"] == builtin.results["sample_size"]["n_total"]
    text = section(builtin.markdown, "Choice of the primary endpoint")
    for row in choice["rows"][1:]:
        alone = replace(sc, analysis=Analysis(primary=row["endpoint"]))
        found = sample_size(alone, row["endpoint"], 0.9, reps=REPS, seed=1, jobs=1)
        assert row["n_total"] == found.n_total and row["power"] == found.power
        # outside the family its power at n is the test alone
        at_n = next(e for e in builtin.results["power_at_n"]["endpoints"]
                    if e["id"] == row["endpoint"])
        assert row["power_at_n"] == at_n["power"] == at_n["power_unadjusted"]
        assert f"| {found.n_total} ({found.n_per_arm['treatment']} / " in text
    assert "proportional odds" in text and "win ratio" in text
    assert text.count("Basis of its planned effect: ") == 3


def test_candidates_are_checked_when_the_file_is_read():
    def read(extra):
        return parse_scenario(scenario_text(BINARY + NORMAL) + extra, "s.toml")

    assert read('[analysis]\ncandidates = ["y"]\n').analysis.candidates == ("y",)
    with pytest.raises(ScenarioError, match=r"analysis\.candidates.*names the primary"):
        read('[analysis]\ncandidates = ["b"]\n')
    with pytest.raises(ScenarioError, match=r"analysis\.candidates\[0\].*not allowed"):
        read('[analysis]\ncandidates = ["nope"]\n')


# ------------------------------------------------------------------ time to event
def test_time_to_event_shows_events_beside_simulated_power(survival):
    row, = survival.results["time_to_event"]
    n = survival.results["sample_size"]["n_total"]
    at_n = power(str(EXAMPLES / "time-to-event.toml"), n, reps=REPS, seed=1, jobs=1)
    e = at_n.endpoint("death")
    assert (row["events"], row["duration"], row["n"], row["analytic_events"]) == (
        e.events, e.duration, e.n, e.analytic_events)
    ratio = at_n.n_per_arm["treatment"] / at_n.n_per_arm["control"]
    args = (0.7, 0.025, 0.8, ratio, "one-sided")
    assert row["events_needed"] == {"schoenfeld": schoenfeld_events(*args),
                                    "freedman": freedman_events(*args)}
    text = section(survival.markdown, "Time to event")
    assert f"| {row['events']:.1f} / {row['analytic_events']:.1f} |" in text
    assert f"| {schoenfeld_events(*args):.1f} / {freedman_events(*args):.1f} |" in text
    assert "364 events or month 48, whichever comes first" in text


# ------------------------------------------------- analysis model and baseline adjustment
ADJUSTMENT = "Analysis model and baseline adjustment"


def test_adjustment_numbers_are_the_library_s(builtin):
    from simtrial.adjustment import adjustment_comparison
    from simtrial.scenario.keys import endpoint_alone

    sc = load_scenario("msc-covid19")
    entries = builtin.results["baseline_adjustment"]
    assert [e["endpoint"] for e in entries] == ["sf36_gh", "walk_m"]
    for entry in entries:
        # each endpoint on its own, at the report's target, reps and seed
        alone = adjustment_comparison(endpoint_alone(sc, entry["endpoint"]), entry["endpoint"],
                                      0.9, reps=REPS, seed=1, jobs=1)
        assert [(a["test"], a["n_closed_form"], a["n_simulated"]) for a in entry["analyses"]] \
            == [(a["test"], a["n_closed_form"], a["n_simulated"]) for a in alone["analyses"]]
        assert entry["rho"] == 0.5 and entry["provenance"]["basis"] == "assumed"
        assert entry["ratio_expected"] == pytest.approx(0.75)
        ttest = entry["analyses"][2]
        assert entry["ratio_simulated"] == entry["analyses"][0]["n_simulated"] / ttest[
            "n_simulated"]
    walk = entries[1]["analyses"]
    # closed forms: the t test at sd 69.36, ANCOVA at sd sqrt(1 - 0.5^2) times it (Borm 2007);
    # at rho = 0.5 and equal sds the change score's sd equals the follow-up sd
    assert [round(a["residual_sd"], 4) for a in walk] == [round(69.36 * 0.75 ** 0.5, 4),
                                                          69.36, 69.36]
    assert [a["n_closed_form"] for a in walk] == [288, 384, 384]
    assert entries[1]["ratio_closed_form"] == 0.75
    # the score has no normal closed form; its simulated saving is below the normal one
    score = entries[0]["analyses"]
    assert [a["n_closed_form"] for a in score] == [None, None, None]
    assert score[0]["n_simulated"] < score[2]["n_simulated"]


def test_adjustment_section_in_markdown(builtin):
    text = section(builtin.markdown, ADJUSTMENT)
    assert ("| 6-minute walk distance, month 24 [walk_m\\] | analysis of covariance adjusted "
            "for baseline (ANCOVA) (Borm 2007) | superiority (two-sided); H0: no difference | "
            "rho = 0.5 |") in text
    assert "| Pearson's chi-squared test (Agresti 2013) |" in text
    for entry in builtin.results["baseline_adjustment"]:
        a, _, t = entry["analyses"]
        closed = "-" if a["n_closed_form"] is None else str(a["n_closed_form"])
        ratio = "-" if a["ratio_closed_form"] is None else f"{a['ratio_closed_form']:.3f}"
        assert (f"| Analysis of covariance adjusted for baseline (ANCOVA) | "
                f"{'-' if a['residual_sd'] is None else format(a['residual_sd'], '.2f')} | "
                f"{closed} | {a['n_simulated']} | {ratio} / {a['ratio_simulated']:.3f} |") in text
        assert "| The two-sample t test | " in text and f"| {t['n_simulated']} | " in text
        assert "correlation rho = 0.5 (basis assumed;" in text
        assert f"endpoints.{entry['endpoint']}.baseline.rho" in text
    assert "ANCOVA needs about 1 - rho^2 = 0.750 times the t test's patients" in text
    assert "The score is discrete and bounded: the linear model is a planning approximation" \
        in text
    # the sweep of the assumed correlation, read from the sensitivity analysis
    item = next(i for i in builtin.results["sensitivity"]["items"]
                if i["key"] == "endpoints.walk_m.baseline.rho")
    low, high = item["rows"][0], item["rows"][-1]
    assert (f"power of walk_m after fixed-sequence gating is "
            f"{low['power']['walk_m']['power']:.3f} at rho = 0.3 and "
            f"{high['power']['walk_m']['power']:.3f} at rho = 0.7.") in text
    keys = cited_keys(text)
    assert "Borm 2007" in keys and all(k in references() for k in keys)
    assert "- Borm 2007: Borm GF, Fransen J, Lemmens WA." in section(builtin.markdown,
                                                                    "References")
    assert "- ANCOVA: analysis of covariance" in section(builtin.markdown, "Abbreviations")


def test_adjustment_section_in_docx(builtin):
    docx = pytest.importorskip("docx", reason="python-docx is not installed (the docx extra)")
    document = docx.Document(str(builtin.out / "report.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings.index(ADJUSTMENT) == headings.index("Sample size") + 1
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    model = next(t for t in tables if t[0] == ["endpoint", "analysis model", "hypothesis",
                                                "baseline correlation"])
    assert len(model) == 1 + len(load_scenario("msc-covid19").endpoints)
    adjusted = [t for t in tables if t[0][0] == "analysis"]
    assert len(adjusted) == 2
    for table, entry in zip(adjusted, builtin.results["baseline_adjustment"], strict=True):
        assert [row[3] for row in table[1:]] == [str(a["n_simulated"])
                                                 for a in entry["analyses"]]


def test_no_adjustment_section_without_baseline_or_margin(sequential, survival):
    for rep in (sequential, survival):
        assert f"\n## {ADJUSTMENT}\n" not in rep.markdown
        assert rep.results["baseline_adjustment"] is None


def test_assurance_figure_keeps_a_two_line_panel_title():
    # "(success after ... gating)" goes on its own line; joined, the right panel's title was
    # clipped at the figure's edge
    from simtrial.reports.figures import assurance_figure

    entry = {"endpoint": "y", "draws": 10, "assurance": 0.7,
             "histogram": {"edges": [0, 0.5, 1], "counts": [3, 7]}}
    figure = assurance_figure([entry], {"y": "Outcome\n(after gating)"}, {"y": 0.9}, "")
    assert figure.axes[0].get_title() == "Outcome\n(after gating)"
