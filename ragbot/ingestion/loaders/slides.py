"""PPTX loader: each shown slide is a section with its title, text boxes, tables and speaker notes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

import pptx
from pptx.shapes.group import GroupShape

from ragbot.domain import LoadedDocument, Section
from ragbot.errors import CorruptFile, IngestError
from ragbot.ingestion.loaders.common import TextBudget, one_line
from ragbot.ingestion.loaders.ziptools import check_office_container

# Groups nest; a hostile file can nest them deeper than any real deck, so the walk stops here.
_MAX_GROUP_DEPTH = 8


def load_pptx(data: bytes, name: str) -> LoadedDocument:
    """A PowerPoint .pptx: slides hidden in the slide show are left out, as a reader of the deck never sees them."""
    check_office_container(data, name, what="PowerPoint presentation", app="PowerPoint", suffix=".pptx")
    try:
        deck = pptx.Presentation(io.BytesIO(data))
        budget = TextBudget(name)
        sections = [section for number, slide in enumerate(deck.slides, start=1)
                    if (section := _slide_section(slide, number, budget)) is not None]
        first_title = next((s.location.partition(": ")[2] for s in sections if ": " in s.location), "")
        title = one_line(deck.core_properties.title or "") or one_line(first_title) or PurePath(name).stem
    except IngestError:
        raise
    except Exception as exc:  # python-pptx and lxml raise many types on malformed parts; all mean "corrupt"
        reason = one_line(str(exc), 120) or type(exc).__name__
        raise CorruptFile(
            f"{name}: the PowerPoint presentation could not be read ({reason}); save it again as .pptx."
        ) from exc
    return LoadedDocument(title, sections)


def _slide_section(slide: Any, number: int, budget: TextBudget) -> Section | None:
    if slide._element.get("show") in ("0", "false"):
        return None
    title_shape = slide.shapes.title
    title = one_line(title_shape.text_frame.text, 80) if title_shape is not None else ""
    parts = [budget.spend(text) for text in _shape_texts(slide.shapes, title_shape, 0)]
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None and notes.text.strip():
            parts.append(budget.spend("Notes: " + notes.text.strip()))
    body = "\n".join(part for part in parts if part.strip())
    if not body.strip() and not title:
        return None
    text = f"{title}\n{body}" if title else body
    return Section(text, f"slide {number}: {title}" if title else f"slide {number}")


def _shape_texts(shapes: Any, title_shape: Any, depth: int) -> Iterator[str]:
    """Text of each shape in order: text frames, tables one line per row, groups walked into."""
    for shape in shapes:
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue  # the title opens the section already
        if isinstance(shape, GroupShape):
            if depth < _MAX_GROUP_DEPTH:
                yield from _shape_texts(shape.shapes, None, depth + 1)
        elif getattr(shape, "has_table", False) and shape.has_table:
            yield from _table_rows(shape.table)
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield shape.text_frame.text


def _table_rows(table: Any) -> Iterator[str]:
    """One line per row, cells joined by " | "; the first row reads as the header it usually is."""
    for row in table.rows:
        cells = [" ".join(cell.text.split()) for cell in row.cells]
        line = " | ".join(cell for cell in cells if cell)
        if line:
            yield line
