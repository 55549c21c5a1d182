"""The report as ``report.docx``: renders a :class:`~simtrial.reports.document.Document`.

python-docx is optional (``pip install python-docx``, or the ``docx`` extra);
:func:`available` says whether it is installed. Headings are Word headings, tables real Word
tables (header row repeated on each page), figures embedded at the text width with a caption,
the references a numbered list. Text is written through :func:`simtrial.text.terminal`, so a
control character in a scenario's text is shown as its escape rather than breaking the XML.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

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
    plain_text,
)
from simtrial.text import terminal

__all__ = ["available", "write"]

_CODE_FONT = "Consolas"
_TABLE_POINTS = 7.5
_TEXT_WIDTH_CM = 17.0


def available() -> bool:
    """Whether python-docx is installed (``report.docx`` can be written).

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return importlib.util.find_spec("docx") is not None


def write(doc: Document, where: Path, name: str = "report.docx") -> Path:
    """Write `doc` as a Word file in directory `where`, whose figures it embeds.

    Returns
    -------
    Path
        The file written.
    """
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    word = docx.Document()
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin = section.bottom_margin = Cm(2.0)
    word.styles["Normal"].font.size = Pt(10)
    word.core_properties.title = terminal(doc.title)
    word.add_heading(terminal(doc.title), level=0)
    figure_number = 0
    for block in doc.blocks:
        if isinstance(block, Heading):
            word.add_heading(terminal(block.text), level=min(block.level - 1, 9) or 1)
        elif isinstance(block, Paragraph):
            _runs(word.add_paragraph(), block.spans)
        elif isinstance(block, Bullets):
            for item in block.items:
                _runs(word.add_paragraph(style="List Bullet"), item)
        elif isinstance(block, Table):
            _table(word, block)
        elif isinstance(block, Figure):
            figure_number += 1
            word.add_picture(str(where / block.file), width=Cm(_TEXT_WIDTH_CM))
            word.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption = word.add_paragraph(style="Caption")
            caption.add_run(f"Figure {figure_number}. ").bold = True
            caption.add_run(terminal(block.caption))
        elif isinstance(block, Code):
            for line in block.lines:
                paragraph = word.add_paragraph()
                paragraph.paragraph_format.space_after = Pt(0)
                run = paragraph.add_run(terminal(line))
                run.font.name, run.font.size = _CODE_FONT, Pt(8)
        elif isinstance(block, References):
            for key, citation in block.entries:
                paragraph = word.add_paragraph(style="List Number")
                paragraph.add_run(terminal(key) + ". ").bold = True
                paragraph.add_run(terminal(citation))
    path = where / name
    word.save(str(path))
    return path


def _runs(paragraph, spans: Inline, size=None) -> None:
    from docx.shared import Pt

    for span in spans:
        run = paragraph.add_run(terminal(span.text))
        run.bold = span.style == "strong" or None
        run.italic = span.style == "em" or None
        if span.style == "code":
            run.font.name = _CODE_FONT
        if size is not None:
            run.font.size = Pt(size)


def _widths(block: Table) -> list[float]:
    """Column widths (cm) filling the text width, numbers never broken across lines.

    Each column is at least as wide as its longest word; the rest of the width is shared in
    proportion to the columns' average text length.

    Examples
    --------
    >>> from simtrial.reports.document import spans
    >>> t = Table(("a", "b"), ((spans("0.8887 to 0.9147"), spans("a long text " * 10)),))
    >>> [round(w, 1) for w in _widths(t)]
    [4.5, 12.5]
    """
    columns = list(zip(*block.rows, strict=True)) if block.rows else [()] * len(block.header)
    floors, weights = [], []
    for header, cells in zip(block.header, columns, strict=True):
        texts = [plain_text(c) for c in cells]
        longest = max((len(w) for t in [header, *texts] for w in t.split()), default=1)
        floors.append(min(0.17 * longest + 0.3, 4.0))
        weights.append(min(80, sum(map(len, texts)) / max(1, len(texts))) ** 0.8)
    spare = max(0.0, _TEXT_WIDTH_CM - sum(floors))
    total = sum(weights) or 1.0
    widths = [f + spare * w / total for f, w in zip(floors, weights, strict=True)]
    scale = _TEXT_WIDTH_CM / sum(widths)
    return [w * scale for w in widths]


def _table(word, block: Table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    table = word.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, block.header, strict=True):
        run = cell.paragraphs[0].add_run(terminal(text))
        run.bold, run.font.size = True, Pt(_TABLE_POINTS)
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), "D9D9D9")
        cell._tc.get_or_add_tcPr().append(shading)
    header = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    for row, cells in zip(table.rows[1:], block.rows, strict=True):
        for cell, spans in zip(row.cells, cells, strict=True):
            _runs(cell.paragraphs[0], spans, size=_TABLE_POINTS)
    table.autofit = False
    for j, width in enumerate(_widths(block)):
        table.columns[j].width = Cm(width)
        for row in table.rows:
            row.cells[j].width = Cm(width)
    for note in block.notes:
        paragraph = word.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(4)
        _runs(paragraph, note, size=9)
