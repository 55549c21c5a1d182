"""`simtrial report` and `simtrial derive`: files, provenance, assumptions, determinism, errors."""

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from simtrial import evidence
from simtrial.cli import main
from simtrial.reports import report
from simtrial.scenario import load_scenario
from simtrial.search import sample_size
from simtrial.simulate import power
from tests.conftest import BINARY, NORMAL, scenario_text

PNG = b"\x89PNG\r\n\x1a\n"
EXAMPLES = Path(__file__).parents[1] / "scenarios" / "examples"
# small reps keep the default suite fast; the curve and sensitivity use max(100, reps // 5)
REPS = "1000"


def run(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def section(markdown: str, title: str) -> str:
    """The text of one `## title` section."""
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0].strip()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """`simtrial report --power 0.9 --out DIR` on the built-in scenario (small reps)."""
    out = tmp_path_factory.mktemp("report") / "grant"
    with pytest.raises(SystemExit) as info:
        main(["report", "--power", "0.9", "--out", str(out), "--reps", REPS, "--jobs", "1"])
    assert info.value.code == 0
    return out


# ------------------------------------------------------------------------------------ derive
def test_derive_prints_value_explanation_and_reference(capsys):
    code, out, err = run(capsys, "derive", "sd_from_ci", "lower=0", "upper=57", "n1=65", "n2=35")
    assert code == 0 and err == ""
    # Cochrane Handbook 6.5.2.3: SD = sqrt(N) x (upper - lower) / 3.92 for one group; for a
    # difference (57 - 0) / 3.92 / sqrt(1/65 + 1/35) = 69.36 (EVIDENCE.md E3, walk_m sd)
    lines = out.splitlines()
    assert lines[0] == "sd_from_ci = 69.3565"
    assert lines[1] == "SD = (57.0 - 0.0) / (2 x 1.960) / sqrt(1/65 + 1/35) = 69.36"
    assert lines[2].startswith("reference: Higgins JPT")


def test_derive_interval_and_json_match_the_library(capsys):
    # EVIDENCE.md E12: normal CT at month 36, MSC 23/49 vs placebo 10/29, OR 1.68 (0.65 to 4.34)
    args = ["odds_ratio_ci", "x1=23", "n1=49", "x2=10", "n2=29"]
    code, out, _ = run(capsys, "derive", *args)
    assert code == 0 and "interval: 0.650503 to 4.34277" in out
    code, out, _ = run(capsys, "derive", *args, "--format", "json")
    assert code == 0
    expected = evidence.odds_ratio_ci(x1=23, n1=49, x2=10, n2=29).to_dict()
    data = json.loads(out)
    assert data.pop("versions")["numpy"]  # the command line adds them
    assert data == expected
    assert round(expected["value"], 2) == 1.68


def test_derive_string_and_negative_inputs(capsys):
    code, out, _ = run(capsys, "derive", "effect_from_p_value", "p_value=0.075", "n1=65",
                       "n2=35", "p_control=0.3", "direction=-1", "--format", "json")
    assert code == 0
    # the built-in scenario's walk_lln treatment p (scenarios/msc-covid19.toml)
    assert round(json.loads(out)["value"], 4) == 0.15


@pytest.mark.parametrize("args, message", [
    (["nope", "a=1"], "`method` must be one of ["),
    (["sd_from_ci", "lower=0", "upper=57", "n1=65"], "missing a required argument: 'n2'"),
    (["sd_from_ci", "lower=0", "upper=57", "n1=65", "n2=35", "nx=1"], "it takes ['lower'"),
    (["sd_from_ci", "lower"], "derive input 'lower': expected KEY=VALUE"),
    (["sd_from_ci", "lower=x", "upper=57", "n1=65", "n2=35"], "`lower` must be a finite"),
])
def test_derive_bad_input_is_one_error_line(capsys, args, message):
    code, out, err = run(capsys, "derive", *args)
    assert code == 2 and out == ""
    assert err.startswith("Error: ") and err.count("\n") == 1 and message in err


# ------------------------------------------------------------------------------------ report
def test_report_writes_the_files(written):
    # assurance.png: the built-in scenario has design priors (the probability of success)
    assert sorted(p.name for p in written.iterdir()) == [
        "assurance.png", "power_curve.png", "report.docx", "report.md", "results.json",
        "sensitivity.png"]
    for figure in ("power_curve.png", "sensitivity.png", "assurance.png"):
        assert (written / figure).read_bytes()[:8] == PNG
    assert not list(written.parent.glob(".grant-*")), "staging directories left behind"


def test_report_names_the_source_study_and_design(written):
    text = (written / "report.md").read_text()
    design = section(text, "Design")
    assert "trial registration NCT04288102" in design
    assert "65:35 (UC-MSC:placebo)" in design
    assert "0.05, two-sided" in design
    assert "fixed-sequence: walk_lln > sf36_gh > walk_m > ct_normal" in design


def test_report_lists_every_assumption_with_its_reason(written):
    text = section((written / "report.md").read_text(), "Assumptions and limitations")
    assumed = {k: p for k, p in load_scenario("msc-covid19").provenance.items()
               if p.basis == "assumed"}
    # incl. the SF-36 grid step (the trial does not report its scoring), walk_lln's treatment
    # proportion (a reading of "marginally smaller") and the SF-36 placebo mean (a month-36 median),
    # and the 9 numbers of the clinical secondaries clin_status (3) and death_walk (6), and the
    # 4 numbers of the design prior on walk_lln's effect (mean, sd, lower, upper), and the 2
    # baseline correlations of the ANCOVA endpoints walk_m and sf36_gh (no published value)
    assert len(assumed) == 32
    assert {"endpoints.walk_m.baseline.rho", "endpoints.sf36_gh.baseline.rho"} <= set(assumed)
    for key, prov in assumed.items():
        assert f"- `{key}` = " in text and prov.reason in text, key
    results = json.loads((written / "results.json").read_text())
    assert [a["key"] for a in results["assumptions"]] == list(assumed)


def test_report_recomputes_every_derivation(written):
    results = json.loads((written / "results.json").read_text())
    table = section((written / "report.md").read_text(), "Effect sizes and their evidence")
    sc = load_scenario("msc-covid19")
    # the priors' numbers do not enter power: they are shown, with their sources, under
    # "Probability of success" instead (each source's text is there)
    behind_power = [k for k in sc.provenance if not k.startswith("priors[")]
    assert [row["key"] for row in results["evidence"]] == behind_power
    priors = section((written / "report.md").read_text(), "Probability of success")
    for key, prov in sc.provenance.items():
        if key.startswith("priors["):
            assert (prov.source or prov.reason) in priors.replace("\\", ""), key
    for row in results["evidence"]:
        assert f"| `{row['key']}` | " in table
        if row["basis"] == "derived":
            again = evidence.derive(**row["derivation"])
            assert row["recomputed"]["value"] == again.value
            assert again.explanation.replace("|", "\\|") in table
            # the scenario's stated value is the derivation rounded to 4 significant digits
            assert row["value"] == pytest.approx(again.value, rel=5e-4)


def test_report_numbers_come_from_the_library(written):
    results = json.loads((written / "results.json").read_text())
    reps = int(REPS)
    found = sample_size("msc-covid19", "walk_lln", 0.9, reps=reps, seed=1, jobs=1)
    assert results["sample_size"] == json.loads(json.dumps(found.to_dict()))
    at_n = power("msc-covid19", found.n_total, reps=reps, seed=1, jobs=1)
    assert results["power_at_n"] == json.loads(json.dumps(at_n.to_dict()))
    text = (written / "report.md").read_text()
    n_t, n_c = found.n_per_arm["treatment"], found.n_per_arm["control"]
    paragraph = section(text, "Justification (ready to paste)")
    assert paragraph.startswith(f"A total of {found.n_total} patients ({n_t} UC-MSC, {n_c} "
                                "placebo) will be randomised 65:35.")
    assert f"{100 * found.power:.1f}% power (Monte Carlo SE {100 * found.mcse:.1f}%" in paragraph
    assert "from 30.0% (placebo) to 15.0% (UC-MSC)" in paragraph
    assert "two-sided 5% level" in paragraph and "dropout" in paragraph
    assert f"numbers) gives n = {found.analytic_n}." in paragraph
    # the sensitivity row at the planned value is power() at n with the scenario unchanged
    small = results["sensitivity"]["reps"]
    assert small == max(100, reps // 5)
    planned = power("msc-covid19", found.n_total, reps=small, seed=1, jobs=1,
                    endpoints=["walk_lln", "sf36_gh"])
    item = next(i for i in results["sensitivity"]["items"]
                if i["key"] == "endpoints.walk_lln.control.p")
    row = next(r for r in item["rows"] if r["value"] == item["planned"])
    assert row["power"]["walk_lln"]["power"] == planned.endpoint("walk_lln").power


def test_report_sensitivity_varies_the_assumed_numbers(written):
    results = json.loads((written / "results.json").read_text())
    keys = [item["key"] for item in results["sensitivity"]["items"]]
    # every endpoint of the fixed sequence: effect, control level (effect held), spread, the
    # baseline correlation of an ANCOVA endpoint, dropout
    assert keys == ["endpoints.walk_lln.treatment.p", "endpoints.walk_lln.control.p",
                    "endpoints.walk_lln.dropout",
                    "endpoints.sf36_gh.treatment.mean", "endpoints.sf36_gh.control.mean",
                    "endpoints.sf36_gh.sd", "endpoints.sf36_gh.baseline.rho",
                    "endpoints.sf36_gh.dropout",
                    "endpoints.walk_m.treatment.mean", "endpoints.walk_m.control.mean",
                    "endpoints.walk_m.sd", "endpoints.walk_m.baseline.rho",
                    "endpoints.walk_m.dropout",
                    "endpoints.ct_normal.treatment.p", "endpoints.ct_normal.control.p",
                    "endpoints.ct_normal.dropout", "correlations.walk_lln.walk_m",
                    "correlations.sf36_gh.walk_m", "correlations.walk_lln.sf36_gh"]
    assert results["sensitivity"]["endpoints"] == ["walk_lln", "sf36_gh", "walk_m", "ct_normal"]
    # the 6-minute walk SD reaches what post-COVID cohorts show (about 80 to 100 m)
    sd = next(i for i in results["sensitivity"]["items"] if i["key"] == "endpoints.walk_m.sd")
    values = [r["value"] for r in sd["rows"]]
    assert min(values) < 69.36 < 80 and max(values) >= 100
    walk_m = [r["power"]["walk_m"]["power"] for r in sorted(sd["rows"], key=lambda r: r["value"])]
    assert walk_m[0] > walk_m[-1]  # a wider spread, less power
    # the control level moves with the effect held: the treatment proportion moves with it
    control = next(i for i in results["sensitivity"]["items"]
                   if i["key"] == "endpoints.walk_lln.control.p")
    assert control["keys"] == ["endpoints.walk_lln.control.p", "endpoints.walk_lln.treatment.p"]
    dropout = next(i for i in results["sensitivity"]["items"]
                   if i["key"] == "endpoints.walk_lln.dropout")
    powers = [r["power"]["walk_lln"]["power"] for r in dropout["rows"]]
    assert powers == sorted(powers, reverse=True)  # more dropout, less power (0 to 0.4)
    # the assumed baseline correlation of an ANCOVA endpoint: 0.3 to 0.7 around 0.5; a higher
    # correlation, a smaller residual SD, more power for the endpoint's own test
    baseline = next(i for i in results["sensitivity"]["items"]
                    if i["key"] == "endpoints.walk_m.baseline.rho")
    assert [r["value"] for r in baseline["rows"]] == [0.3, 0.4, 0.5, 0.6, 0.7]
    assert baseline["what"] == "baseline" and baseline["planned"] == 0.5
    assert "assumed correlation of baseline and follow-up (rho)" in baseline["label"]
    rho = next(i for i in results["sensitivity"]["items"]
               if i["key"] == "correlations.walk_lln.sf36_gh")
    assert [r["value"] for r in rho["rows"]] == [0.0, -0.125, -0.25, -0.375]
    # a correlation changes no endpoint's own test: the primary's power stays put (same draws)
    assert len({r["power"]["walk_lln"]["power"] for r in rho["rows"]}) == 1
    assert rho["flat"]
    flat = section((written / "report.md").read_text(), "Sensitivity")
    assert "Varied, no effect on power beyond Monte Carlo error" in flat
    assert "| latent correlation of 6-MWD below LLN, month 24 and SF-36" not in flat


def test_report_is_github_markdown(written):
    text = (written / "report.md").read_text()
    tables = re.findall(r"^(\|.*\|)\n(\|(?:---\|)+)$", text, flags=re.MULTILINE)
    # design, evidence, the analysis model and one adjustment table for each of the two
    # baseline-adjusted endpoints (walk_m, sf36_gh, ANCOVA), choice of the primary, power,
    # probability of success, sensitivity
    assert len(tables) == 9
    for header, rule in tables:
        assert header.count(" | ") + 1 == rule.count("---")
    assert "](power_curve.png)" in text and "](sensitivity.png)" in text
    assert str(written) not in text.replace(f"--out {written}", "")  # image links relative
    repro = section(text, "Reproducibility")
    for word in ("simtrial", "numpy", "numba", "scipy", "python", "seed: 1", f"reps: {REPS}",
                 "sha256 ", f"command: simtrial report --scenario msc-covid19 --power 0.9 "
                            f"--out {written} --reps {REPS} --seed 1"):
        assert word in repro


def test_report_again_gives_the_same_bytes(written, capsys):
    before = {name: (written / name).read_bytes() for name in ("results.json", "report.md")}
    code, _, err = run(capsys, "report", "--power", "0.9", "--out", str(written), "--reps",
                       REPS, "--jobs", "2", "--force")
    assert code == 0, err
    for name, data in before.items():
        assert (written / name).read_bytes() == data, name


def test_report_directory_has_the_usual_permissions(written):
    # It is written in a temporary directory (owner-only, 0700) and renamed: it must get the
    # permissions any new directory gets under the umask, readable by the group as usual.
    umask = os.umask(0)
    os.umask(umask)
    assert written.stat().st_mode & 0o777 == 0o777 & ~umask


def test_report_refuses_a_non_empty_directory(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    code, out, err = run(capsys, "report", "--power", "0.9", "--out", str(tmp_path))
    assert code == 2 and out == ""
    assert err == f"Error: `out` {tmp_path}: the directory is not empty; use --force to " \
                  "replace the report's files in it.\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_a_failed_report_leaves_the_directory_as_it_was(tmp_path, monkeypatch):
    import simtrial.reports.figures

    def broken(*args):
        raise RuntimeError("figure failed")

    out = tmp_path / "grant"
    out.mkdir()
    (out / "old.txt").write_text("old")
    monkeypatch.setattr(simtrial.reports.figures, "draw", broken)
    with pytest.raises(RuntimeError, match="figure failed"):
        report("msc-covid19", 0.9, out, reps=500, jobs=1, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grant"]
    assert [p.name for p in out.iterdir()] == ["old.txt"]


@pytest.mark.parametrize("kwargs, message", [
    ({"target_power": 1.0}, "`target_power` must be a number in (0, 1)"),
    ({"reps": 0}, "`reps` must be an integer >= 1"),
    ({"seed": -1}, "`seed` must be an integer >= 0"),
])
def test_report_checks_its_arguments(tmp_path, kwargs, message):
    args = {"target_power": 0.9, "reps": 100, "seed": 1, **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        report("msc-covid19", args.pop("target_power"), tmp_path / "x", **args)
    assert not (tmp_path / "x").exists()


def test_without_a_named_primary_the_first_endpoint_is_used(tmp_path):
    path = tmp_path / "plain.toml"
    path.write_text(scenario_text(BINARY + NORMAL))
    rep = report(str(path), 0.8, tmp_path / "out", reps=300, jobs=1)
    assert rep.results["primary"]["endpoint"] == "b"
    assert "names no primary endpoint" in rep.results["primary"]["note"]
    assert "names no primary endpoint" in section(rep.markdown, "Design")
    assert rep.results["key_secondary"] is None
    assert "Each endpoint is tested at the full alpha" in rep.markdown
    assert "not recorded" in section(rep.markdown, "Design")  # no provenance, no registration
    assert section(rep.markdown, "Effect sizes and their evidence").endswith(
        "No number of this scenario records its provenance.")
    assert rep.results["scenario"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_default_report_on_the_builtin_scenario(tmp_path, capsys):
    """The report as a user runs it (10000 reps): the primary reaches the target."""
    code, out, err = run(capsys, "report", "--power", "0.9", "--out", str(tmp_path / "r"))
    assert code == 0, err
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    ss = results["sample_size"]
    # the answer is within Monte Carlo error of the target (4 MCSE either side)
    assert abs(ss["power"] - 0.9) < 4 * ss["mcse"]
    assert abs(ss["n_total"] - ss["analytic_n"]) / ss["analytic_n"] < 0.1
    assert f"(n = {ss['n_total']})" in out


def test_a_changed_scenario_object_has_no_file_hash(tmp_path):
    sc = load_scenario("msc-covid19")
    same = report(sc, 0.9, tmp_path / "same", reps=500, jobs=1)
    assert same.results["scenario"]["sha256"] == report(
        "msc-covid19", 0.9, tmp_path / "name", reps=500, jobs=1).results["scenario"]["sha256"]
    changed = report(sc.with_values({"endpoints.walk_lln.control.p": 0.35}), 0.9,
                     tmp_path / "changed", reps=500, jobs=1)
    assert changed.results["scenario"]["sha256"] is None
    assert changed.results["reproducibility"]["command"] is None
    assert "a Scenario object changed in Python (no file to hash)" in changed.markdown


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_report_on_every_example_scenario(tmp_path, example):
    path = EXAMPLES / example
    sc = load_scenario(str(path))
    rep = report(str(path), 0.8, tmp_path / "out", reps=1000, jobs=1)
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"report.md", "results.json",
                                                               "power_curve.png"}
    assert rep.results["primary"]["endpoint"] == (sc.analysis.primary or sc.endpoints[0].id)
    assumptions = section(rep.markdown, "Assumptions and limitations")
    for key, prov in sc.provenance.items():
        if prov.basis == "assumed":
            assert f"- `{key}` = " in assumptions and prov.reason in assumptions
    varied = [item["key"] for item in rep.results["sensitivity"]["items"]]
    dropout = f"endpoints.{rep.results['primary']['endpoint']}.dropout"
    if dropout in rep.results["sensitivity"]["not_variable"]:  # a table-valued dropout
        assert sc.endpoint(rep.results["primary"]["endpoint"]).kind == "time-to-event"
        assert f"`{dropout}`" in section(rep.markdown, "Sensitivity")
    else:
        assert dropout in varied and all(len(i["rows"]) >= 2
                                         for i in rep.results["sensitivity"]["items"])


def test_public_api_exports_the_function_not_the_module():
    import simtrial
    import simtrial.reports

    # the package is called reports: a subpackage named report would replace the function
    # attribute on the package as soon as it is imported
    assert simtrial.report is simtrial.reports.report
    assert "report" in dir(simtrial)
