"""simtrial.text: untrusted text escaped for terminals, Markdown and figures.

The Markdown properties are checked with a real CommonMark parser (markdown-it-py, with raw
HTML on and GitHub's tables and strikethrough): the escaped text must parse as literal text
equal to what the terminal would show, in every place the report puts text.
"""

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from simtrial.text import markdown_code, markdown_inline, plot_label, terminal

MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
#: Characters that terminals or Markdown treat specially, so that Hypothesis meets them often.
SPECIAL = "\\`*_[]()<>!&#;|~$-+=.:0123456789 \t\n\r\x00\x1b\x7f\x85\u2028\u202e\u2066ax"
TEXTS = st.text(alphabet=st.sampled_from(SPECIAL), max_size=30) | st.text(max_size=30)
BAD_FOR_TERMINALS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
HOSTILE = ["# heading\n", "<script>alert(1)</script>", "a | b", "\x1b[31mred", "over\rwrite",
           "\u202eevil\u202c", "$x$", "`code`", "[link](javascript:alert(1))",
           "![img](http://x/y.png)", "*em* _em_ **strong** ~~strike~~", "&amp; &#60; &lt;",
           "1. one", "- item", "> quote", "===", "    code", "\\*", "<http://x.y>", "a\\",
           "line\u2028separator", "tab\there", "nul\x00", "c1\x9b31m", "[x]: http://e.f",
           "[^1]", "[[wiki]]", "x]"]


def shown_as(source: str) -> str:
    """The text Markdown shows for `source` (a table: its first body cell), all literal."""
    tokens = MARKDOWN.parse(source)
    types = [t.type for t in tokens]
    if "td_open" in types:
        assert types.count("td_open") == 2, source  # the row keeps its two columns
        inline = [tokens[types.index("td_open") + 1]]
    else:
        inline = [t for t in tokens if t.type == "inline"]
        assert len(inline) == 1, source  # one block: no new heading, list item or paragraph
    children = inline[0].children
    assert {c.type for c in children} <= {"text", "softbreak"}, source
    return "".join("\n" if c.type == "softbreak" else c.content for c in children)


def markdown_contexts(escaped: str) -> list[tuple[str, str]]:
    """The places the report puts text: (Markdown source, the text shown before `escaped`)."""
    return [
        (f"a {escaped} z", "a "),                                     # a paragraph
        (f"{escaped} z", ""),                                         # the start of a line
        (f"first line\n{escaped} z", "first line\n"),                 # a continuation line
        (f"# a {escaped} z", "a "),                                   # a heading
        (f"- a {escaped} z", "a "),                                   # a list item
        (f"| h | i |\n|---|---|\n| a {escaped} z | b |", "a "),       # a table cell
    ]


def assert_literal(text: str) -> None:
    """Escaped, `text` is literal text equal to terminal(text) in every context."""
    escaped = markdown_inline(text)
    assert "\n" not in escaped and "\r" not in escaped
    for source, before in markdown_contexts(escaped):
        if not escaped and before in ("", "first line\n"):
            continue  # nothing escaped at a line start: Markdown drops the space before "z"
        assert shown_as(source) == before + terminal(text) + " z", source


@pytest.mark.parametrize("text", HOSTILE)
def test_terminal_leaves_no_control_character(text):
    shown = terminal(text)
    assert not BAD_FOR_TERMINALS.search(shown)
    assert "\n" not in shown and "\r" not in shown


@given(TEXTS)
def test_terminal_is_one_line_without_control_characters(text):
    shown = terminal(text)
    assert not BAD_FOR_TERMINALS.search(shown)
    assert len(shown.splitlines()) <= 1


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Zl", "Zp", "Cs")),
               max_size=40).filter(lambda t: not BAD_FOR_TERMINALS.search(t)))
def test_terminal_keeps_ordinary_text(text):
    assert terminal(text) == text


def test_terminal_shows_what_the_file_wrote():
    assert terminal("a\x1b[31mb") == "a\\u001b[31mb"
    assert terminal("quote\nspanning\tlines") == "quote spanning lines"
    assert terminal("\u202eabc\u2069") == "\\u202eabc\\u2069"


@pytest.mark.parametrize("text", ["Six-minute walk distance (m)", "6-MWD below LLN, month 24",
                                  "p < 0.05 and q > 1", "UC-MSC", "AE's: 3/65 = 0.046",
                                  "snake_case_name", "Smith & Jones (2021), 95% CI 1.4 to 24.3",
                                  "the testing sequence in [analysis] keeps the error"])
def test_markdown_keeps_ordinary_prose(text):
    assert markdown_inline(text) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_hostile_text_stays_text(text):
    assert_literal(text)


@given(TEXTS)
@example("1) x")
@example("  \t    x")
@example("&#x27;")
def test_markdown_any_text_renders_as_itself(text):
    """Escaped, any text is one run of literal text in every context, equal to terminal()."""
    assert_literal(text)


@given(TEXTS)
def test_markdown_has_no_github_math(text):
    """GitHub renders $...$ as math; every dollar sign of the text is escaped."""
    escaped = markdown_inline(text)
    # each $ after an odd run of backslashes: the last one escapes it
    assert all(len(run) % 2 == 1 for run in re.findall(r"(\\*)\$", escaped))


@given(TEXTS)
def test_markdown_code_shows_the_text(text):
    tokens = MARKDOWN.parse(f"a {markdown_code(text)} z")
    children = tokens[1].children
    assert [c.type for c in children] == ["text", "code_inline", "text"]
    assert children[1].content.strip(" ") == terminal(text).strip(" ")


@settings(deadline=None)  # the first Text loads matplotlib's fonts
@given(TEXTS)
def test_plot_label_is_never_mathtext(text):
    """matplotlib draws the label as plain text (not mathtext) showing terminal(text)."""
    from matplotlib.text import Text

    shown = plot_label(text)
    assert not BAD_FOR_TERMINALS.search(shown)
    # _preprocess_math is where matplotlib decides between mathtext and plain text.
    assert Text(text=shown)._preprocess_math(shown) == (terminal(text), False)
