"""CSV loader: each row becomes "Header: value; ..." and rows are grouped into located sections."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePath

from ragbot.domain import LoadedDocument, Section
from ragbot.errors import CorruptFile, FileTooLarge
from ragbot.ingestion.loaders.common import TextBudget, decode_text, drop_invisible

FIELD_LIMIT = 1_000_000
# A table wider or with longer cells than this is not a table a question is answered from; each label is repeated
# into its cells, so without these limits a 2 MB file of 100,000 columns became 11,000 chunks to embed.
MAX_COLUMNS = 300
MAX_CELL_CHARS = 20_000
# A physical line longer than this is refused before the csv module splits it into a list of cells.
MAX_LINE_CHARS = FIELD_LIMIT
ROWS_PER_SECTION = 10
# Small enough that a section fits one default chunk (400 chars less the 40 of overlap), so a
# chunk's "rows a–b" location names exactly the rows it holds.
CHARS_PER_SECTION = 360
_HEADER_CHARS = 80
_DELIMITERS = ",;\t|"
# Lines as io.StringIO(text, newline="") hands them to csv, cut at CR LF, CR or LF and kept whole; StringIO would
# copy the text at 4 bytes a character first.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_LEADING_NEWLINES = re.compile(r"\n*")

# The csv module's limit is process-wide; only ever raise it (default 128 KiB) so other users
# keep at least what they had. The per-field check below enforces our own limit either way.
if csv.field_size_limit() < FIELD_LIMIT:
    csv.field_size_limit(FIELD_LIMIT)


def load_csv(data: bytes, name: str) -> LoadedDocument:
    """A CSV file: the first row names the columns; sections hold a few rows, located "rows a–b"."""
    # Invisible characters go before the cells are read: a row of them must not become "label:" text.
    text = drop_invisible(decode_text(data))
    rows = _rows(text, name)
    header = next(rows, None)
    sections = list(_sections(row_labels(header or []), rows, TextBudget(name)))
    return LoadedDocument(PurePath(name).stem, sections)


def _rows(text: str, name: str) -> Iterator[list[str]]:
    reader = csv.reader(_lines(text, name), delimiter=_delimiter(text))
    number = 0
    try:
        for row in reader:
            number += 1
            if len(row) > MAX_COLUMNS:
                raise FileTooLarge(
                    f"{name}: row {number} has {len(row):,} columns, over the limit of {MAX_COLUMNS} columns a "
                    "table may have; keep the columns people ask about and upload that."
                )
            if any(len(cell) > FIELD_LIMIT for cell in row):
                raise CorruptFile(_message(name, number, "field larger than field limit"))
            if any(len(cell) > MAX_CELL_CHARS for cell in row):
                raise FileTooLarge(
                    f"{name}: a value in row {number} is over the limit of {MAX_CELL_CHARS:,} characters a cell may "
                    "hold; put long text in a .txt or .md document instead."
                )
            yield row
    except csv.Error as exc:
        raise CorruptFile(_message(name, number + 1, str(exc))) from exc


def _lines(text: str, name: str) -> Iterator[str]:
    """The text's lines for the csv module; a line too long to be a sane row is refused before it is copied."""
    for number, match in enumerate(_LINE.finditer(text), start=1):
        if match.end() - match.start() > MAX_LINE_CHARS:
            # CorruptFile, as for a field past FIELD_LIMIT: such a line is an unclosed quote or not a table at all.
            raise CorruptFile(
                f"{name}: line {number} is over {MAX_LINE_CHARS // 1_000_000} MB, more than a row may hold (at most "
                f"{MAX_COLUMNS} columns of {MAX_CELL_CHARS:,} characters); fix the quoting or split the data."
            )
        yield match.group()


def _message(name: str, row: int, reason: str) -> str:
    if "field limit" in reason:
        return (
            f"{name}: a value in row {row} is over {FIELD_LIMIT // 1_000_000} MB, probably an unclosed quote; "
            "fix the quoting or split the data, then upload it again."
        )
    return f"{name}: the CSV could not be parsed at row {row} ({reason}); fix the file and upload it again."


def _delimiter(text: str) -> str:
    """The most frequent of , ; tab | in the first line (the header), comma when none appears."""
    leading = _LEADING_NEWLINES.match(text)  # finds where the header starts without copying the text
    start = leading.end() if leading else 0
    first = text[start : start + 65536].split("\n", 1)[0]
    best = max(_DELIMITERS, key=first.count)
    return best if first.count(best) else ","


def row_labels(header: list[str]) -> list[str]:
    """Column labels from a header row: whitespace folded, cut to a sane length, blanks named "column N"."""
    return [" ".join(h.split())[:_HEADER_CHARS] or f"column {i}" for i, h in enumerate(header, start=1)]


def row_line(labels: list[str], row: list[str]) -> str:
    """Header: value pairs for the non-empty cells; extra cells get "column N"."""
    pairs = []
    for i, cell in enumerate(row):
        value = " ".join(cell.split())
        if value:
            label = labels[i] if i < len(labels) else f"column {i + 1}"
            pairs.append(f"{label}: {value}")
    return "; ".join(pairs)


def group_rows(numbered: Iterable[tuple[int, str]]) -> Iterator[tuple[str, str]]:
    """(text, "rows a–b") of consecutive row lines, at most ROWS_PER_SECTION rows and CHARS_PER_SECTION characters
    each; shared by CSV and Excel so that both cite rows the same way."""
    lines: list[str] = []
    first = last = size = 0
    for number, line in numbered:
        if lines and (len(lines) >= ROWS_PER_SECTION or size + len(line) > CHARS_PER_SECTION):
            yield _grouped(lines, first, last)
            lines, size = [], 0
        if not lines:
            first = number
        lines.append(line)
        size, last = size + len(line) + 1, number
    if lines:
        yield _grouped(lines, first, last)


def _grouped(lines: list[str], first: int, last: int) -> tuple[str, str]:
    return "\n".join(lines), (f"row {first}" if first == last else f"rows {first}–{last}")


def _sections(labels: list[str], rows: Iterator[list[str]], budget: TextBudget) -> Iterator[Section]:
    """Group row lines; row numbers count the header as row 1, as a spreadsheet shows them."""
    def numbered() -> Iterator[tuple[int, str]]:
        for number, row in enumerate(rows, start=2):
            if line := row_line(labels, row):
                budget.spend(line)
                yield number, line

    for text, location in group_rows(numbered()):
        yield Section(text, location)
