"""Untrusted text stays text (issue 15, item 8): hostile scenario text through every output.

A scenario whose name, title, arm names, label, unit and provenance hold Markdown, HTML, table
pipes, mathtext, links and bidirectional overrides is accepted (it is printable text) and run
through ``validate``, ``scenarios``, ``power`` (table, JSON, CSV) and ``report``: the terminal
gets no control character and keeps its lines, the report's Markdown keeps its own structure
(checked with a CommonMark parser), figures draw, JSON and CSV carry the exact text. Control
characters are refused at load with one ``Error:`` line (tests/catalogue.py).
"""

import csv
import io
import json
import re

import pytest
from catalogue import expect_error
from markdown_it import MarkdownIt

from simtrial.cli import main
from simtrial.text import markdown_code, terminal

RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
HOSTILE = {
    "name": "<b>bold</b> | $x$ `tick` [link](javascript:alert(1)) \u202eevil\u202c",
    "title": "# not a heading *em* _em_ ~~strike~~ &amp; ![img](http://x.example/y.png)",
    "arm_t": "<script>alert(1)</script>",
    "arm_c": "pla|cebo $\\frac{$",
    "label": "- list 1. | col $\\frac{1}{$ `x` \u2066isolate\u2069",
    "unit": "$ per <i>m</i> |",
    "source": "study\n# heading\n- item\n| a | b |\n<div>html</div>\n[l](javascript:x)\ttab",
    "quote": "a ``` fence and \u202eright to left",
    "reason": "because\n\n> quote\n---\n[x]: http://evil.example",
}
HEADINGS = ["Design", "Effect sizes and their evidence", "Sample size",
            "Power of every endpoint at n = {n}", "Sensitivity", "Assumptions and limitations",
            "Justification (ready to paste)", "Statistical methods", "Reproducibility",
            "Abbreviations", "References"]


def toml_string(text: str) -> str:
    """A TOML basic string holding `text` exactly (JSON escapes are TOML escapes)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def scenario(**texts) -> str:
    t = {key: toml_string(value) for key, value in {**HOSTILE, **texts}.items()}
    return f"""schema_version = 1
name = {t["name"]}
title = {t["title"]}
description = "one\\n# two\\n<script>three</script>"

[trial]
allocation = [1, 1]
arms = [{t["arm_t"]}, {t["arm_c"]}]

[[endpoints]]
id = "walk"
label = {t["label"]}
unit = {t["unit"]}
kind = "continuous"
test = "ttest"
better = "higher"
control = {{ mean = 0.0, sd = 1.0 }}
treatment.mean = {{ value = 0.5, basis = "reported", source = {t["source"]}, quote = {t["quote"]} }}
treatment.sd = {{ value = 1.0, basis = "assumed", reason = {t["reason"]} }}
"""


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.toml"
    path.write_text(scenario(), encoding="utf-8")
    return path


def run(capsys, *args) -> str:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert info.value.code == 0 and err == "", err
    return out


def shown(inline) -> str:
    """The text a Markdown inline token shows (its literal text and code spans)."""
    return "".join(c.content for c in inline.children if c.type in ("text", "code_inline"))


def assert_terminal_safe(out: str) -> None:
    assert not RAW_CONTROL.search(out), repr(RAW_CONTROL.search(out))


# -------------------------------------------------------------------------- the terminal
def test_validate_prints_one_safe_line(capsys, hostile_file):
    out = run(capsys, "validate", hostile_file)
    assert_terminal_safe(out)
    assert out.startswith("OK: ") and out.count("\n") == 1


def test_scenarios_shows_each_value_on_its_own_line(capsys, hostile_file):
    out = run(capsys, "scenarios", hostile_file)
    assert_terminal_safe(out)
    lines = out.splitlines()
    assert lines[0] == terminal(f"{HOSTILE['name']}: {HOSTILE['title']}")
    assert lines[2].startswith(f"arms: {HOSTILE['arm_t']} (treatment) vs pla|cebo")
    provenance = lines[lines.index("provenance:") + 1:]
    assert provenance == [
        f"  endpoints.walk.treatment.mean: reported: {terminal(HOSTILE['source'])}",
        f"  endpoints.walk.treatment.sd: assumed: {terminal(HOSTILE['reason'])}"]


def test_scenarios_shows_bidirectional_overrides_visibly(capsys, hostile_file):
    out = run(capsys, "scenarios", hostile_file)
    assert "\\u202eevil\\u202c" in out and "\\u2066isolate\\u2069" in out


def test_power_table_keeps_its_layout(capsys, hostile_file, tmp_path):
    plain = tmp_path / "plain.toml"
    plain.write_text(scenario(**{key: "plain" for key in ("name", "title", "label", "unit")},
                              arm_t="MSC", arm_c="placebo"), encoding="utf-8")
    out = run(capsys, "power", "--scenario", hostile_file, "--n", 60, "--reps", 200)
    expected = run(capsys, "power", "--scenario", plain, "--n", 60, "--reps", 200)
    assert_terminal_safe(out)
    assert len(out.splitlines()) == len(expected.splitlines())
    row = next(line for line in out.splitlines() if "[walk]" in line)
    assert row.startswith(terminal(HOSTILE["label"]) + " [walk]")


def test_power_json_carries_the_exact_text(capsys, hostile_file):
    out = run(capsys, "power", "--scenario", hostile_file, "--n", 60, "--reps", 200,
              "--format", "json")
    result = json.loads(out)
    assert result["scenario"] == HOSTILE["name"]
    assert result["endpoints"][0]["label"] == HOSTILE["label"]


def test_power_csv_carries_the_exact_text(capsys, hostile_file):
    out = run(capsys, "power", "--scenario", hostile_file, "--n", 60, "--reps", 200,
              "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1
    assert rows[0]["scenario"] == HOSTILE["name"] and rows[0]["label"] == HOSTILE["label"]


# -------------------------------------------------------------------------- the report
@pytest.fixture(scope="module")
def written(hostile_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "grant"
    with pytest.raises(SystemExit) as info:
        main(["report", "--scenario", str(hostile_file), "--power", "0.8", "--reps", "200",
              "--out", str(out), "--jobs", "1"])
    assert info.value.code == 0
    return out


@pytest.fixture(scope="module")
def tokens(written):
    return MARKDOWN.parse((written / "report.md").read_text(encoding="utf-8"))


def test_report_draws_its_figures_despite_mathtext_in_labels(written):
    """An unescaped `$\\frac{$` in a legend or axis label makes matplotlib raise."""
    names = sorted(p.name for p in written.iterdir())
    assert names == ["power_curve.png", "report.docx", "report.md", "results.json",
                     "sensitivity.png"]


def test_report_has_no_control_characters(written):
    text = (written / "report.md").read_text(encoding="utf-8")
    assert_terminal_safe(text.replace("\n", ""))
    assert "\\u202eevil\\u202c" in text


def test_report_has_no_raw_html(tokens):
    def walk(ts):
        for t in ts:
            yield t
            yield from walk(t.children or [])

    kinds = {t.type for t in walk(tokens)}
    assert not kinds & {"html_block", "html_inline"}, kinds


def test_report_keeps_its_own_headings(tokens, written):
    n = json.loads((written / "results.json").read_text())["sample_size"]["n_total"]
    headings = [(t.tag, shown(tokens[i + 1])) for i, t in enumerate(tokens)
                if t.type == "heading_open"]
    assert headings[0] == ("h1", f"Sample-size justification: {HOSTILE['title']}")
    assert headings[1:] == [("h2", h.format(n=n)) for h in HEADINGS]


def test_report_has_only_its_two_figures_as_links(tokens):
    links = [c for t in tokens if t.type == "inline" for c in t.children
             if c.type in ("link_open", "image")]
    assert [c.attrs.get("src") for c in links] == ["power_curve.png", "sensitivity.png"]


def test_report_tables_keep_their_columns(tokens):
    row, widths, tables = None, [], 0
    for t in tokens:
        if t.type == "tr_open":
            row = 0
        elif t.type in ("th_open", "td_open"):
            row += 1
        elif t.type == "tr_close":
            widths.append(row)
        elif t.type == "table_close":
            assert len(set(widths)) == 1, widths
            widths, tables = [], tables + 1
    assert tables == 4  # design, evidence, power, sensitivity


def test_report_shows_the_text_as_written(tokens):
    text = " ".join(shown(t) for t in tokens if t.type == "inline")
    for key in ("name", "title", "arm_t", "arm_c", "label", "unit", "source", "quote", "reason"):
        assert terminal(HOSTILE[key]) in text, key


def test_report_names_the_scenario_in_one_code_span(tokens):
    codes = [c.content for t in tokens if t.type == "inline" for c in t.children
             if c.type == "code_inline"]
    assert terminal(HOSTILE["name"]) in codes


def test_report_has_no_github_math(written):
    """GitHub renders $...$ as math: every dollar sign outside code is escaped."""
    text = (written / "report.md").read_text(encoding="utf-8")
    text = text.replace(markdown_code(HOSTILE["name"]), "")  # a code span: no math there
    assert text.count("$") == text.count("\\$") > 0


def test_report_json_carries_the_exact_text(written):
    results = json.loads((written / "results.json").read_text(encoding="utf-8"))
    assert results["scenario"]["name"] == HOSTILE["name"]
    assert results["scenario"]["title"] == HOSTILE["title"]
    assert results["design"]["arms"] == {"treatment": HOSTILE["arm_t"],
                                         "control": HOSTILE["arm_c"]}
    sources = {row["key"]: row for row in results["evidence"]}
    assert sources["endpoints.walk.treatment.mean"]["source"] == HOSTILE["source"]


# -------------------------------------------------------------------- refused at load
@pytest.mark.parametrize(("field", "value", "where", "code"), [
    ("name", "red\x1b[31m", "name", "U+001B"),
    ("title", "two\nlines", "title", "U+000A"),
    ("label", "over\rwrite", "endpoints[0].label", "U+000D"),
    ("unit", "nul\x00", "endpoints[0].unit", "U+0000"),
    ("label", "del\x7f", "endpoints[0].label", "U+007F"),
    ("label", "csi\x9b2J", "endpoints[0].label", "U+009B"),
    ("label", "line\u2028separator", "endpoints[0].label", "U+2028"),
    ("label", "tab\there", "endpoints[0].label", "U+0009"),
    ("source", "study\x1b[2J", "endpoints[0].treatment.mean.source", "U+001B"),
    ("reason", "because\r", "endpoints[0].treatment.sd.reason", "U+000D"),
])
def test_control_characters_are_refused_at_load(capsys, tmp_path, field, value, where, code):
    path = tmp_path / "bad.toml"
    path.write_text(scenario(**{field: value}), encoding="utf-8")
    for command in (["validate", path], ["power", "--scenario", path, "--n", 60],
                    ["scenarios", path]):
        line = expect_error(capsys, command, 2, str(path), where, code)
        assert not RAW_CONTROL.search(line)


@pytest.mark.parametrize("arm", ["two\nlines", "\x1b[31mred", "nul\x00"])
def test_arm_names_with_control_characters_are_refused(capsys, tmp_path, arm):
    path = tmp_path / "bad.toml"
    path.write_text(scenario(arm_t=arm), encoding="utf-8")
    expect_error(capsys, ["validate", path], 2, "trial.arms", "without control characters")


def test_an_unknown_key_is_quoted_on_one_line_without_escapes(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('"\\u001b[2J\\nkey" = 1\n' + scenario(), encoding="utf-8")
    line = expect_error(capsys, ["validate", path], 2, "\\u001b[2J key", "unknown key")
    assert not RAW_CONTROL.search(line)


def test_a_derivation_input_is_quoted_on_one_line_without_escapes(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(scenario().replace(
        'basis = "assumed", reason',
        'basis = "assumed", derivation = { method = "sd_from_ci", "\\u001b[2J\\r" = 1 }, reason'),
        encoding="utf-8")
    line = expect_error(capsys, ["validate", path], 2, "endpoints[0].treatment.sd.derivation")
    assert not RAW_CONTROL.search(line)
