r"""Text from a scenario file, made safe for each place it is shown.

Names, titles, labels, units, arm names and provenance texts (source, quote, reason, note) come
from a scenario file that simtrial did not write. The scenario keeps them exactly as written,
and each output escapes them for itself, at the point where they are written:

- **terminal** (tables of :mod:`simtrial.display`, ``simtrial scenarios NAME``, error messages):
  :func:`terminal` makes a value one line of plain text. A newline or tab (allowed in the
  multi-line provenance texts) becomes a space; any other control character (C0, DEL, C1,
  line and paragraph separators) and the bidirectional embeddings, overrides and isolates
  (U+202A-U+202E, U+2066-U+2069) become a visible ``\uXXXX``, as the file would write them, so
  nothing can move the cursor, recolour the screen, clear a line or reorder what is shown.
- **Markdown** (the grant report): :func:`markdown_inline` makes a value one run of literal
  text in a paragraph, list item, heading or table cell: no raw HTML, links, images, emphasis,
  code, math, headings, lists or table columns. :func:`markdown_code` gives a code span. A
  fenced code block needs only :func:`terminal` when each of its lines starts with fixed text
  (a closing fence cannot then appear).
- **figures**: :func:`plot_label` makes a value one line of matplotlib text, not mathtext.
- **JSON and CSV** carry the exact text: they are data, read by programs that parse them
  (``json`` escapes every control character; ``csv`` quotes newlines, commas and quotes).

The scenario loader also refuses control characters where no one needs them (see
``simtrial.scenario``), so the escaping here is the second line, not the only one: it also
covers text that reaches an output some other way (a Scenario built in Python, a file name).
"""

from __future__ import annotations

import re

__all__ = ["markdown_code", "markdown_inline", "plot_label", "probability", "terminal"]

#: Characters a terminal must not receive raw: C0 (with tab and newline), DEL, C1, the line and
#: paragraph separators, and the bidirectional embeddings, overrides and isolates.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: What Markdown could read as markup anywhere in a line of text (see markdown_inline).
_MARKUP = re.compile(r"""
      [\\`*|~$\#]                # escapes, code, emphasis, table cells, strikethrough, math
    | \[(?=[\[^]) | \](?=[(\[:]|\Z)  # links, images, definitions, footnotes, wiki links
    | (?<![^\W_])_ | _(?![^\W_])   # underscore emphasis (not between two letters or digits)
    | <(?=[A-Za-z/!?])            # raw HTML, comments, autolinks
    | &(?=\#?[A-Za-z0-9]+;)       # entity and numeric character references
    """, re.VERBOSE)
#: Where a backslash goes at the start of a line: before a block quote, list or setext
#: underline marker, or after the number of an ordered-list item.
_BLOCK_START = re.compile(r"\A(?:\d{1,9}(?=[.)])|(?=[>+=-]))")


def terminal(text: str) -> str:
    r"""One line of plain text that is safe to print on a terminal.

    Parameters
    ----------
    text : str
        Any text, for example a label from a scenario file.

    Returns
    -------
    str
        `text` with each newline and tab replaced by a space and every other control
        character (see the module docstring) by its visible escape ``\uXXXX``; text without
        them is returned unchanged.

    Examples
    --------
    >>> terminal("Six-minute walk (m)")
    'Six-minute walk (m)'
    >>> print(terminal("red\x1b[31m alert\rX\nsecond line \u202eevil"))
    red\u001b[31m alert\u000dX second line \u202eevil
    """
    return _CONTROL.sub(_visible, text)


def markdown_inline(text: str) -> str:
    r"""Text that Markdown renders literally, as one run of inline text.

    The result can stand anywhere in a line: in a paragraph, a list item, a heading or a
    GitHub table cell, and at the start of a line too. It renders as :func:`terminal` of
    `text`, character for character, in CommonMark and GitHub Flavored Markdown (with its
    tables, strikethrough and math).

    Parameters
    ----------
    text : str
        Any text, for example an endpoint label from a scenario file.

    Returns
    -------
    str
        :func:`terminal` of `text` with a backslash before each character that could start
        markup there, and a leading space written as a character reference such as ``&#32;``
        (indentation at the start of a line would open a code block). Ordinary prose comes
        back unchanged.

    Notes
    -----
    Always escaped: backslash, backtick, ``*``, ``_`` (except between two letters or digits,
    where it cannot emphasise), ``|``, ``~``, ``$`` and ``#``. Escaped where they would start
    markup: ``]`` before ``(``, ``[`` or ``:`` and at the end (the text that follows is not
    known), ``[`` before ``[`` or ``^``, ``<`` before a letter, ``/``, ``!`` or ``?`` (HTML,
    autolinks), ``&`` before an entity, and at the very start ``>``, ``+``, ``=``, ``-`` and the
    ``.`` or ``)`` of an ordered-list number. A backslash before ASCII punctuation is the
    CommonMark escape, and ``\|`` is GitHub's escape of a pipe in a table cell.

    Brackets alone (``see [analysis]``) stay as written: without ``](`` they link only to a
    link reference definition, which escaped text cannot write (it would need ``]:``), so a
    document must not define any of its own.

    Examples
    --------
    >>> markdown_inline("6-MWD below LLN, month 24 (p < 0.05)")
    '6-MWD below LLN, month 24 (p < 0.05)'
    >>> print(markdown_inline("# heading\n<script>alert(1)</script> | [x](javascript:y)"))
    \# heading \<script>alert(1)\</script> \| [x\](javascript:y)
    >>> print(markdown_inline("- $x$ *and* snake_case `code`"))
    \- \$x\$ \*and\* snake_case \`code\`
    """
    escaped = _MARKUP.sub(lambda m: "\\" + m.group(), terminal(text))
    escaped = _BLOCK_START.sub(lambda m: m.group() + "\\", escaped, count=1)
    if escaped[:1].isspace():  # indentation at the start of a line: a code block
        escaped = f"&#{ord(escaped[0])};{escaped[1:]}"
    return escaped


def markdown_code(text: str) -> str:
    r"""A Markdown code span showing `text` literally (not for table cells).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        :func:`terminal` of `text` between backtick fences longer than any run of backticks
        in it, padded with a space where CommonMark would otherwise strip one or join a
        backtick to the fence.

    Examples
    --------
    >>> markdown_code("msc-covid19")
    '`msc-covid19`'
    >>> markdown_code("a `b` c")
    '``a `b` c``'
    >>> markdown_code("`x")
    '`` `x ``'
    """
    text = terminal(text)
    fence = "`" * (1 + max((len(run) for run in re.findall("`+", text)), default=0))
    pad = text[:1] == "`" or text[-1:] == "`" or (
        text[:1] == " " and text[-1:] == " " and text.strip(" ") != "") or not text
    return fence + (f" {text} " if pad else text) + fence


def probability(p: float) -> str:
    """A probability to four decimals, never a rounded 0 or 1 for one strictly between them.

    Examples
    --------
    >>> probability(0.99999), probability(1.0), probability(0.78081), probability(2e-6)
    ('> 0.9999', '1', '0.7808', '< 0.0001')
    """
    if 0 < p < 1 and f"{p:.4f}" in ("1.0000", "0.0000"):
        return "> 0.9999" if p > 0.5 else "< 0.0001"
    return f"{p:g}" if p in (0, 1) else f"{p:.4f}"


def plot_label(text: str) -> str:
    r"""One line of matplotlib text that shows `text` as written, never as mathtext.

    Parameters
    ----------
    text : str
        Any text, for example a figure title with the scenario's name.

    Returns
    -------
    str
        :func:`terminal` of `text` with each ``$`` written ``\$`` (matplotlib shows it as a
        dollar sign instead of switching to mathtext, which would raise or draw math).

    Examples
    --------
    >>> print(plot_label("cost in $ ($x$)"))
    cost in \$ (\$x\$)
    """
    return terminal(text).replace("$", "\\$")


def _visible(match: re.Match) -> str:
    char = match.group()
    return " " if char in "\t\n" else f"\\u{ord(char):04x}"
