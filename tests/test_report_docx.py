"""Issue 22's Must-show list: honest evidence, full references, report.docx and its rendering.

The rendered check converts report.docx with LibreOffice (``soffice --headless``) and reads
the PDF with poppler (pdfinfo, pdftotext, pdfimages, pdftoppm); it is skipped, saying what is
missing, where those programs are not installed.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from simtrial.references import cited_keys, references
from simtrial.reports import report, sections
from simtrial.reports.precision import n_range
from simtrial.scenario import load_scenario
from tests.conftest import BINARY, NORMAL, scenario_text

docx = pytest.importorskip("docx", reason="python-docx is not installed (the docx extra)")

REPS = 1000


def section(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0].strip()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("docx") / "grant"
    return report("msc-covid19", 0.9, out, reps=REPS, jobs=1)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """A scenario that records no provenance at all."""
    where = tmp_path_factory.mktemp("plain")
    path = where / "plain.toml"
    path.write_text(scenario_text(BINARY + NORMAL))
    return report(str(path), 0.8, where / "out", reps=300, jobs=1)


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


# ------------------------------------------------------------------------ evidence honesty
def test_assumptions_name_the_weak_numbers(built):
    text = section(built.markdown, "Assumptions and limitations")
    assert "- `endpoints.walk_lln.treatment.p` = 0.15: " in text
    assert "- `endpoints.sf36_gh.control.mean` = 50: " in text
    paragraph = section(built.markdown, "Justification (ready to paste)")
    assert ("rests on planning assumptions, not published figures: the placebo proportion 0.3 "
            "and the UC-MSC proportion 0.15.") in paragraph


def test_no_internal_codes_or_foreign_paths_in_any_output(built):
    texts = {"report.md": built.markdown,
             "results.json": (built.out / "results.json").read_text(),
             "report.docx": docx_text(built.out / "report.docx")}
    repository = str(Path(__file__).parents[1])
    for name, text in texts.items():
        assert not re.search(r"\bE\d{1,2}\b", text), name
        assert "EVIDENCE.md" not in text, name
        without_out = text.replace(str(built.out), "OUT")
        for path in re.findall(r"(?<![\w.:/])/(?:[\w.-]+/)+[\w.-]*", without_out):  # not URLs
            assert path.startswith(repository), (name, path)


def test_every_cited_work_is_in_the_references_in_full(built):
    body, refs = built.markdown.split("\n## References\n", 1)
    known = references()
    cited = [k for k in cited_keys(body) if k in known]
    assert {"Shi 2021a", "Li 2023", "Yuan 2025", "Hays 1993", "Higgins 2023", "Agresti 2013",
            "Maurer 1995", "Westfall 2001", "Wilson 1927", "Morris 2019", "Fleiss 2003",
            "Borm 2007", "Cohen 1988"} <= set(cited)  # Borm: ANCOVA (was Mann: sf36_gh's rank test)
    for key in cited:
        assert f"- {key}: {known[key].citation()}".replace("]", "\\]") in refs, key
    # every 'Surname YEAR' in the scenario's provenance resolves
    provenance = " ".join(row.get(k) or "" for row in built.results["evidence"]
                          for k in ("source", "reason", "note", "quote"))
    assert [k for k in cited_keys(provenance) if k not in known] == []
    assert "not in simtrial's references file" not in refs


def test_methods_name_each_test_with_its_reference(built):
    text = section(built.markdown, "Statistical methods")
    assert "Pearson's chi-squared test, for walk_lln, ct_normal (Agresti 2013); closed form: " \
           "normal approximation for two proportions (Fleiss 2003)." in text
    assert "Multiplicity: fixed-sequence procedure (Maurer 1995; Westfall 2001)." in text
    abbreviations = section(built.markdown, "Abbreviations")
    for term in ("MCSE: Monte Carlo standard error", "LLN: lower limit of normal",
                 "6-MWD: 6-minute walk distance", "MCAR: missing completely at random"):
        assert f"- {term}" in abbreviations


# ------------------------------------------------------------- statements a reviewer checks
def test_n_comes_with_its_monte_carlo_range(built):
    r = built.results
    rng, n = r["n_range"], r["sample_size"]["n_total"]
    assert rng["n_low"] <= n <= rng["n_high"] and rng["complete"]
    points = {p["n_total"]: p for p in rng["points"]}
    for m in (rng["n_low"], rng["n_high"]):  # inside the band ...
        assert abs(points[m]["power"] - 0.9) <= 2 * points[m]["mcse"]
    for m in (rng["n_low"] - 1, rng["n_high"] + 1):  # ... and their outer neighbours outside
        assert abs(points[m]["power"] - 0.9) > 2 * points[m]["mcse"]
    assert (f"every total from n = {rng['n_low']} to {rng['n_high']} has simulated power within "
            "2 MCSE of 90%") in section(built.markdown, "Sample size")


def test_n_range_on_a_known_line():
    # slope 0.002 per patient, MCSE 0.0051: |0.002 (m - 300)| <= 0.0102 for m in 295..305
    r = n_range(lambda m: (0.8 + 0.002 * (m - 300), 0.0051), 300, 0.8, {}, 2)
    assert (r["n_low"], r["n_high"]) == (295, 305)


def test_gated_and_unadjusted_numbers_are_labelled(built):
    power = section(built.markdown, "Power of every endpoint at n = "
                    f"{built.results['sample_size']['n_total']}")
    assert "| power after fixed-sequence gating |" in power
    assert "| test alone (unadjusted) | closed form (unadjusted) | exact (unadjusted) |" in power
    endpoints = {e["id"]: e for e in built.results["power_at_n"]["endpoints"]}
    assert endpoints["walk_m"]["power_after"] == "fixed-sequence gating"
    assert endpoints["msc_ae"]["power_after"] is None
    assert endpoints["walk_m"]["analytic_power_is"] == "unadjusted closed form"


def test_null_and_safety_endpoints_are_not_called_powered(built):
    power = section(built.markdown, "Power of every endpoint at n = "
                    f"{built.results['sample_size']['n_total']}")
    assert "| no effect planned: type I error |" in power
    assert "| safety: no power target |" in power
    assert "estimates the type I error, nominally 5%; it is not a power." in power
    assert "probability of observing at least one event, > 0.9999 (UC-MSC)" in power
    assert "1.0000" not in power
    design = section(built.markdown, "Design")
    assert "missing completely at random (MCAR)" in design and "complete-case" in design


def test_provenance_free_scenario_reads_well_and_varies_its_numbers(plain):
    text = plain.markdown
    assert "0 numbers" not in text and "Of the 0" not in text
    assert not re.search(r"\ba (?=[aeiou])", section(text, "Justification (ready to paste)"))
    assert "No number of this scenario records its source" in text
    keys = [i["key"] for i in plain.results["sensitivity"]["items"]]
    assert keys[:3] == ["endpoints.b.treatment.p", "endpoints.b.control.p",
                        "endpoints.b.dropout"]
    control = plain.results["sensitivity"]["items"][1]
    assert len(control["rows"]) == 5 and not control["flat"]


def test_sensitivity_figure_has_no_dotted_keys(built):
    from simtrial.reports.figures import tornado_figure

    sens = built.results["sensitivity"]
    fig = tornado_figure(sens, {e: e for e in sens["endpoints"]}, 0.9, "")
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert labels and not any(re.search(r"\w\.\w+\.", label) for label in labels)


# ---------------------------------------------------------------------------------- docx
def test_docx_holds_the_paragraph_tables_and_both_figures(built):
    assert (built.out / "report.docx").is_file() and "report.docx" in built.files
    document = docx.Document(str(built.out / "report.docx"))
    paragraph = section(built.markdown, "Justification (ready to paste)")
    assert paragraph in [p.text for p in document.paragraphs]
    # 6 tables and 3 figures: the built-in scenario gained candidate primaries (a table) and
    # design priors (the probability-of-success table and its histogram, assurance.png), then
    # baseline adjustment of walk_m and sf36_gh (the analysis-model table and one table each)
    assert len(document.tables) == 9
    headers = [[c.text for c in t.rows[0].cells] for t in document.tables]
    assert headers[0] == ["item", "value"]
    assert headers[1][:3] == ["number", "value", "basis"]
    assert headers[2] == ["endpoint", "analysis model", "hypothesis", "baseline correlation"]
    assert [h[0] for h in headers[3:5]] == ["analysis", "analysis"]
    assert headers[5][:2] == ["endpoint", "role"] and "closed form n" in headers[5]
    assert "power after fixed-sequence gating" in headers[6]
    assert headers[7][:3] == ["endpoint", "power at the planned effect, n = "
                              f"{built.results['sample_size']['n_total']}", "assurance"]
    assert headers[8][:3] == ["number varied", "planned", "values tried"]
    assert len(document.inline_shapes) == 3
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert {"Design", "Sensitivity", "References"} <= set(headings)


def test_document_is_built_once_for_both_writers(built):
    sc = load_scenario("msc-covid19")
    document = sections.build(sc, built.results)
    from simtrial.reports import markdown

    assert markdown.render(document) == built.markdown


def test_docx_refused_without_python_docx(tmp_path, monkeypatch, capsys):
    from simtrial.cli import main
    from simtrial.reports import word

    monkeypatch.setattr(word, "available", lambda: False)
    with pytest.raises(SystemExit) as info:
        main(["report", "--power", "0.9", "--out", str(tmp_path / "x"), "--format", "docx"])
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith("Error: `docx`: report.docx needs python-docx")
    assert not (tmp_path / "x").exists()


# ------------------------------------------------------------------------ rendered pages
def _missing_tools() -> list[str]:
    return [t for t in ("soffice", "pdfinfo", "pdftotext", "pdfimages", "pdftoppm")
            if shutil.which(t) is None]


@pytest.mark.skipif(bool(_missing_tools()),
                    reason=f"rendering needs LibreOffice and poppler-utils: {_missing_tools()} "
                           "not found")
def test_rendered_pages(built, tmp_path):
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(built.out / "report.docx")], check=True, capture_output=True,
                   timeout=180)
    pdf = tmp_path / "report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 6 <= pages <= 30
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    for words in ("A total of", "will be randomised 65:35", "Effect sizes and their evidence",
                  "number varied", "References", "Figure 1.", "Figure 2."):
        assert words in flat, words
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True,
                            text=True).stdout.splitlines()[2:]
    # the power curve, the assurance histogram and the tornado plot
    assert len([line for line in images if line.split()[2] == "image"]) == 3
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    assert len(list(tmp_path.glob("page-*.png"))) == pages


def test_results_json_round_trips(built):
    assert json.loads((built.out / "results.json").read_text()) == json.loads(
        json.dumps(built.results))
