"""The report as a neutral document: blocks that the Markdown and the Word writers render.

A report's content is built once (:mod:`simtrial.reports.sections`) as a :class:`Document`, a
title and a sequence of blocks; :mod:`simtrial.reports.markdown` and
:mod:`simtrial.reports.word` render it. Text in blocks is plain: no Markdown markup, nothing
escaped. Inline styles are :class:`Span` objects, and each writer escapes or formats them for
its own output (scenario text reaches Markdown only through :mod:`simtrial.text`).

Examples
--------
>>> p = Paragraph(spans("Basis: ", em("assumed"), " for ", code("trial.alpha")))
>>> plain_text(p.spans)
'Basis: assumed for trial.alpha'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Block", "Bullets", "Code", "Document", "Figure", "Heading", "Inline", "Paragraph",
           "References", "Span", "Table", "code", "em", "plain_text", "spans", "strong",
           "text_of"]

#: Inline styles a writer must know.
STYLES = ("", "code", "em", "strong")


@dataclass(frozen=True)
class Span:
    """A run of plain text in one style: ``""`` (plain), ``code``, ``em`` or ``strong``."""

    text: str
    style: str = ""


Inline = tuple[Span, ...]


def spans(*parts: str | Span) -> Inline:
    """Inline text from plain strings and styled spans (empty strings dropped)."""
    return tuple(p if isinstance(p, Span) else Span(p) for p in parts if p != "")


def code(text: str) -> Span:
    """A code span (a key, a function name, a file name)."""
    return Span(text, "code")


def em(text: str) -> Span:
    """An emphasised span."""
    return Span(text, "em")


def strong(text: str) -> Span:
    """A strongly emphasised span."""
    return Span(text, "strong")


def plain_text(inline: Inline) -> str:
    """The text of inline spans, without styles."""
    return "".join(s.text for s in inline)


@dataclass(frozen=True)
class Heading:
    """A heading; level 1 is the document title, 2 a section, 3 a subsection."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of inline text."""

    spans: Inline


@dataclass(frozen=True)
class Bullets:
    """A bulleted list, one inline text per item."""

    items: tuple[Inline, ...]


@dataclass(frozen=True)
class Table:
    """A table: a header row of plain text, rows of inline cells, and notes printed under it."""

    header: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]
    notes: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class Figure:
    """A figure: an image file in the report's directory and its caption."""

    file: str
    caption: str


@dataclass(frozen=True)
class Code:
    """Preformatted lines (the command and versions that reproduce the report)."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class References:
    """The works cited, as ``(key, full citation)`` pairs in order of first citation."""

    entries: tuple[tuple[str, str], ...]


Block = Heading | Paragraph | Bullets | Table | Figure | Code | References


@dataclass(frozen=True)
class Document:
    """A title and the blocks under it."""

    title: str
    blocks: tuple[Block, ...]

    def figures(self) -> list[Figure]:
        """The figures, in order."""
        return [b for b in self.blocks if isinstance(b, Figure)]

    def tables(self) -> list[Table]:
        """The tables, in order."""
        return [b for b in self.blocks if isinstance(b, Table)]


def text_of(blocks: tuple[Block, ...] | list[Block]) -> Iterator[str]:
    """Every piece of text in `blocks` (for citation keys, checks of wording).

    Examples
    --------
    >>> list(text_of([Heading("Design"), Table(("a",), ((spans("b"),),))]))
    ['Design', 'a', 'b']
    """
    for block in blocks:
        if isinstance(block, Heading):
            yield block.text
        elif isinstance(block, Paragraph):
            yield plain_text(block.spans)
        elif isinstance(block, Bullets):
            yield from (plain_text(item) for item in block.items)
        elif isinstance(block, Table):
            yield from block.header
            yield from (plain_text(cell) for row in block.rows for cell in row)
            yield from (plain_text(note) for note in block.notes)
        elif isinstance(block, Figure):
            yield block.caption
        elif isinstance(block, Code):
            yield from block.lines
        elif isinstance(block, References):
            yield from (f"{key}: {citation}" for key, citation in block.entries)
