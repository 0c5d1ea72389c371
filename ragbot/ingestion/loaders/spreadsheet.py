"""XLSX loader: each visible sheet is a part of the document, its rows rendered "Header: value; ..." in sections."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import openpyxl

from ragbot.domain import LoadedDocument, Section
from ragbot.errors import CorruptFile, FileTooLarge, IngestError
from ragbot.ingestion.loaders.common import TextBudget, one_line
from ragbot.ingestion.loaders.table import group_rows, row_labels, row_line
from ragbot.ingestion.loaders.ziptools import check_office_container

# The same limits as CSV: a wider table, or longer cells, is not one a question is answered from.
MAX_COLUMNS = 300
MAX_CELL_CHARS = 20_000
# openpyxl parses about 50,000 short rows a second here: past this many filled cells a workbook would hold a worker
# for many seconds (a 10,000-row table of 10 columns is still read).
MAX_CELLS = 100_000
# openpyxl reads the shared-string table whole, whatever read-only mode does for the rows; past this it is a bomb.
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
_SHARED_STRINGS = "sharedstrings.xml"


def load_xlsx(data: bytes, name: str) -> LoadedDocument:
    """An Excel .xlsx workbook: formulas are never evaluated (their last saved value is read, if any)."""
    check_office_container(data, name, what="Excel workbook", app="Excel", suffix=".xlsx")
    _check_shared_strings(data, name)
    try:
        # read_only streams rows instead of building every cell; data_only reads cached values, not formula text.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, TypeError... on malformed parts
        raise _corrupt(name, exc) from exc
    try:
        budget, sections = _Budget(name), list[Section]()
        for sheet in book.worksheets:
            # Hidden sheets are not what a reader of the workbook sees, as hidden text in a Word file.
            if getattr(sheet, "sheet_state", "visible") != "visible":
                continue
            sections.extend(_sheet_sections(sheet, name, budget))
        title = one_line(book.properties.title or "") or PurePath(name).stem
    except IngestError:
        raise
    except Exception as exc:
        raise _corrupt(name, exc) from exc
    finally:
        book.close()
    return LoadedDocument(title, sections)


def _corrupt(name: str, exc: Exception) -> CorruptFile:
    reason = one_line(str(exc), 120) or type(exc).__name__
    return CorruptFile(f"{name}: the Excel workbook could not be read ({reason}); save it again as .xlsx.")


def _check_shared_strings(data: bytes, name: str) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # Matched by name: the workbook's relationships may put the table anywhere, but Excel always calls it so.
        size = max((i.file_size for i in archive.infolist() if i.filename.lower().endswith(_SHARED_STRINGS)), default=0)
    if size > MAX_SHARED_STRINGS_BYTES:
        raise FileTooLarge(
            f"{name}: the workbook's text table unpacks to {size / 1048576:,.1f} MB, over the "
            f"{MAX_SHARED_STRINGS_BYTES // 1048576} MB Ragbot reads; split it into smaller workbooks and upload those."
        )


def _sheet_sections(sheet: Any, name: str, budget: _Budget) -> Iterator[Section]:
    """Rows grouped into sections located "Sheet, rows a–b"; the first non-empty row names the columns."""
    # A declared size of A1:XFD1048576 would pad every row to 16,384 cells and add a million empty rows: without
    # it, openpyxl hands each row up to its last cell and a gap as one shared empty list.
    sheet.reset_dimensions()
    header: list[list[str]] = []  # the column labels, once the first non-empty row is read

    def numbered() -> Iterator[tuple[int, str]]:
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if not row:
                continue
            if len(row) > MAX_COLUMNS and any(value is not None for value in row[MAX_COLUMNS:]):
                raise FileTooLarge(
                    f"{name}: sheet {sheet.title!r} has more than {MAX_COLUMNS} columns, more than a table may "
                    "have; keep the columns people ask about and upload that."
                )
            cells = [_cell_text(value, name, sheet.title, number) for value in row[:MAX_COLUMNS]]
            budget.count_cells(sum(1 for cell in cells if cell))
            if not any(cells):
                continue
            if not header:
                header.append(row_labels(cells))
                continue
            line = row_line(header[0], cells)
            budget.spend(line)
            yield number, line

    found = False
    for text, rows in group_rows(numbered()):
        found = True
        yield Section(text, f"{one_line(sheet.title, 60)}, {rows}")
    if not found and header:
        # A sheet of one row (a list of names, a single note) is still worth its words.
        yield Section("; ".join(label for label in header[0] if not label.startswith("column ")),
                      one_line(sheet.title))


@dataclass
class _Budget(TextBudget):
    """TextBudget plus a count of filled cells across the workbook."""

    cells: int = 0

    def count_cells(self, filled: int) -> None:
        """Count filled cells and stop a workbook past MAX_CELLS."""
        self.cells += filled
        if self.cells > MAX_CELLS:
            raise FileTooLarge(
                f"{self.name}: the workbook has more than {MAX_CELLS:,} filled cells, more than Ragbot reads from "
                "one file; split it into smaller workbooks (or keep the sheets people ask about) and upload those."
            )


def _cell_text(value: Any, name: str, sheet: str, row: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dt.datetime) and value.time() == dt.time():
        text = value.date().isoformat()
    else:
        text = str(value)
    if len(text) > MAX_CELL_CHARS:
        raise FileTooLarge(
            f"{name}: a cell in sheet {sheet!r}, row {row} is over the limit of {MAX_CELL_CHARS:,} characters a cell "
            "may hold; put long text in a .txt or .md document instead."
        )
    return " ".join(text.split())


