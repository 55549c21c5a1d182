"""The report's Markdown: renders a :class:`~simtrial.reports.document.Document`, formats only.

Every text of a block is plain; it enters the Markdown only through :mod:`simtrial.text`:
``markdown_inline`` in text and table cells, ``markdown_code`` in a code span outside tables,
``terminal`` in the fenced code block. The markup (headings, tables, emphasis, images) is ours.
"""

from __future__ import annotations

import re

from simtrial.reports.document import (
    Bullets,
    Code,
    Document,
    Figure,
    Heading,
    Inline,
    Paragraph,
    References,
    Table,
)
from simtrial.text import markdown_code, markdown_inline, terminal

__all__ = ["render"]

_MARKS = {"": "", "em": "*", "strong": "**"}
_PLAIN_CODE = re.compile(r"[\w.:=/ -]+")


def render(doc: Document) -> str:
    r"""The Markdown of `doc`: GitHub-flavoured, images linked relative to the report.

    Examples
    --------
    >>> from simtrial.reports.document import Paragraph, spans, em
    >>> print(render(Document("T", (Heading("A"), Paragraph(spans("x ", em("y | z")))))))
    # T
    <BLANKLINE>
    ## A
    <BLANKLINE>
    x *y \| z*
    <BLANKLINE>
    """
    parts = [f"# {markdown_inline(doc.title)}", ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            parts += [f"{'#' * block.level} {markdown_inline(block.text)}", ""]
        elif isinstance(block, Paragraph):
            parts += [inline(block.spans), ""]
        elif isinstance(block, Bullets):
            parts += [f"- {inline(item)}" for item in block.items] + [""]
        elif isinstance(block, Table):
            parts += [_table(block), ""]
            for note in block.notes:
                parts += [inline(note), ""]
        elif isinstance(block, Figure):
            parts += [f"![{markdown_inline(block.caption)}]({block.file})", ""]
        elif isinstance(block, Code):
            parts += ["```text", *(terminal(line) for line in block.lines), "```", ""]
        elif isinstance(block, References):
            parts += [f"- {markdown_inline(key)}: {markdown_inline(citation)}"
                      for key, citation in block.entries] + [""]
    return "\n".join(parts)


def inline(spans: Inline, cell: bool = False) -> str:
    """Inline spans as Markdown; in a table `cell`, code spans that could break it are text.

    Only the first span of a paragraph can start a line; the others, and a cell's text, are
    escaped as text that follows a space (no escapes for block starts such as ``1.``).
    """
    out = []
    for i, span in enumerate(spans):
        text = span.text if i == 0 and not cell else None
        if span.style == "code":
            if _PLAIN_CODE.fullmatch(span.text):
                out.append(f"`{span.text}`")
            else:
                out.append(_after_space(span.text) if cell else markdown_code(span.text))
        else:
            mark = _MARKS[span.style]
            escaped = markdown_inline(text) if text is not None else _after_space(span.text)
            out.append(f"{mark}{escaped}{mark}")
    return "".join(out)


def _after_space(text: str) -> str:
    r"""`text` escaped as it stands after a space within a line.

    Examples
    --------
    >>> print(_after_space("0.9025"), _after_space(" randomised"), _after_space("*x*"))
    0.9025  randomised \*x\*
    """
    lead = len(text) - len(text.lstrip(" "))
    return " " * lead + markdown_inline("a " + text[lead:])[2:]


def _table(table: Table) -> str:
    lines = ["| " + " | ".join(markdown_inline(h) for h in table.header) + " |",
             "|" + "---|" * len(table.header)]
    lines += ["| " + " | ".join(inline(cell, cell=True) for cell in row) + " |"
              for row in table.rows]
    return "\n".join(lines)
