"""DOCX loader: headings become sections, tables are kept, hidden text is dropped."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from ragbot.domain import LoadedDocument
from ragbot.errors import CorruptFile, IngestError
from ragbot.ingestion.loaders.common import Outline, SectionBuilder, TextBudget, one_line
from ragbot.ingestion.loaders.ziptools import check_docx_container

# Runs directly in the paragraph or wrapped by links, tracked insertions, fields, content controls.
_RUN_PATHS = (
    "./w:r | ./w:hyperlink/w:r | ./w:ins/w:r | ./w:smartTag/w:r | ./w:fldSimple/w:r"
    " | ./w:sdt/w:sdtContent/w:r | ./w:customXml/w:r"
)
_MAX_TABLE_DEPTH = 4
_TINY_PT = 1.0


@dataclass(frozen=True)
class _Font:
    """The font properties that can hide text; None means inherited."""

    hidden: bool | None = None
    size_pt: float | None = None
    white: bool | None = None

    def under(self, base: _Font) -> _Font:
        """These properties, falling back to base's where unset."""
        return _Font(
            self.hidden if self.hidden is not None else base.hidden,
            self.size_pt if self.size_pt is not None else base.size_pt,
            self.white if self.white is not None else base.white,
        )

    @property
    def invisible(self) -> bool:
        """Hidden, tiny (<= 1 pt) or white: text a reader of the document would not see."""
        return bool(self.hidden or self.white or (self.size_pt is not None and self.size_pt <= _TINY_PT))


def _font_of(font: Any) -> _Font:
    try:
        size = font.size.pt if font.size is not None else None
        rgb = font.color.rgb if font.color is not None else None
        return _Font(font.hidden, size, None if rgb is None else str(rgb).upper() == "FFFFFF")
    except Exception:  # an odd attribute value must not sink the document; treat as unset
        return _Font()


class _Styles:
    """Heading levels and inherited font properties of styles, cached by style id."""

    def __init__(self, document: Any) -> None:
        self._part = document.part
        self._fonts: dict[tuple[Any, str | None], _Font] = {}
        self._levels: dict[str | None, int] = {}

    def font(self, kind: Any, style_id: str | None) -> _Font:
        """The font a style gives its text, following base styles."""
        key = (kind, style_id)
        if key not in self._fonts:
            self._fonts[key] = self._resolve(self._part.get_style(style_id, kind)) if style_id else _Font()
        return self._fonts[key]

    def level(self, style_id: str | None) -> int:
        """1-9 for Title and Heading N paragraph styles, 0 otherwise."""
        if style_id not in self._levels:
            name = (self._part.get_style(style_id, WD_STYLE_TYPE.PARAGRAPH).name or "") if style_id else ""
            self._levels[style_id] = _heading_level(name)
        return self._levels[style_id]

    @staticmethod
    def _resolve(style: Any) -> _Font:
        font, seen = _Font(), 0
        while style is not None and seen < 20:  # base-style chains can be cyclic in broken files
            font = font.under(_font_of(style.font))
            style, seen = style.base_style, seen + 1
        return font


def _heading_level(style_name: str) -> int:
    if style_name == "Title":
        return 1
    head, _, number = style_name.partition(" ")
    return int(number) if head == "Heading" and number.isdigit() and 1 <= int(number) <= 9 else 0


def load_docx(data: bytes, name: str) -> LoadedDocument:
    """A Word .docx: sections at Title/Heading styles located by heading path; table cells included."""
    check_docx_container(data, name)
    try:
        document = docx.Document(io.BytesIO(data))
        return _extract(document, name)
    except IngestError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on malformed parts; all mean "corrupt"
        reason = one_line(str(exc), 120) or type(exc).__name__
        raise CorruptFile(f"{name}: the Word document could not be read ({reason}); save it again as .docx.") from exc


def _extract(document: Any, name: str) -> LoadedDocument:
    styles, budget = _Styles(document), TextBudget(name)
    builder, outline = SectionBuilder(), Outline()
    first_heading = ""
    for level, text in _blocks(document, styles):
        budget.spend(text)
        if level and text.strip():
            first_heading = first_heading or (text if level == 1 else "")
            builder.heading(outline.enter(level, text), text)
        else:
            builder.add(text + "\n")
    title = one_line(document.core_properties.title or "") or one_line(first_heading) or PurePath(name).stem
    return LoadedDocument(title, builder.sections())


def _blocks(container: Any, styles: _Styles, depth: int = 0) -> Iterator[tuple[int, str]]:
    """(heading level or 0, text) for each paragraph and table row, in document order."""
    for item in container.iter_inner_content():
        if isinstance(item, Paragraph):
            yield styles.level(item._p.style), _paragraph_text(item, styles)
        elif isinstance(item, Table) and depth < _MAX_TABLE_DEPTH:
            for row in _table_rows(item, styles, depth):
                yield 0, row


def _paragraph_text(paragraph: Paragraph, styles: _Styles) -> str:
    para_font = styles.font(WD_STYLE_TYPE.PARAGRAPH, paragraph._p.style)
    parts = []
    for r in paragraph._p.xpath(_RUN_PATHS):
        run = Run(r, paragraph)
        font = _font_of(run.font).under(styles.font(WD_STYLE_TYPE.CHARACTER, r.style).under(para_font))
        if not font.invisible:
            parts.append(run.text)
    return "".join(parts)


def _table_rows(table: Table, styles: _Styles, depth: int) -> Iterator[str]:
    """One line per row, cells joined by " | "; raw rows avoid python-docx's span maths on odd grids."""
    for tr in table._tbl.tr_lst:
        cells = [_cell_text(_Cell(tc, table), styles, depth) for tc in tr.tc_lst]
        line = " | ".join(cell for cell in cells if cell)
        if line:
            yield line


def _cell_text(cell: _Cell, styles: _Styles, depth: int) -> str:
    lines = (text for _, text in _blocks(cell, styles, depth + 1))
    return " ".join(" ".join(line.split()) for line in lines if line.strip())

