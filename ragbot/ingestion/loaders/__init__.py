"""Loaders: turn an uploaded file's bytes into a titled series of located text sections."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath

from ragbot.domain import LoadedDocument, LoadedStream, Section
from ragbot.errors import CorruptFile, EmptyDocument, FileTooLarge, UnsupportedFile
from ragbot.ingestion.loaders.common import CLEAN_STEPS, Sniffed, has_text, one_line, sniff

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".csv", ".xlsx", ".pptx")

# Text formats stream their sections; the others get them whole from their parsing libraries.
Loader = Callable[[bytes, str], LoadedDocument | LoadedStream]

__all__ = ["SUPPORTED_SUFFIXES", "iter_files", "load_bytes", "not_regular", "stream_bytes"]


def load_bytes(data: bytes, filename: str, *, max_bytes: int) -> LoadedDocument:
    """Extract a document from a file's bytes; raises an IngestError subclass with a one-line reason."""
    stream = stream_bytes(data, filename, max_bytes=max_bytes)
    sections = list(stream.sections)
    return LoadedDocument(stream.title(), sections)


def stream_bytes(data: bytes, filename: str, *, max_bytes: int) -> LoadedStream:
    """load_bytes for the pipeline: text formats cut and clean their sections as they are read, so drop data before
    reading them and a large file is held as its text plus one section. Reading raises EmptyDocument if none has text.
    """
    name = PurePath(filename).name or filename
    if len(data) > max_bytes:
        raise FileTooLarge.upload(name, size=len(data), max_bytes=max_bytes)
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFile(
            f"{name}: Ragbot cannot read {suffix or 'files without an extension'}; "
            f"upload one of {', '.join(SUPPORTED_SUFFIXES)} instead."
        )
    if not has_text(data):
        raise EmptyDocument(f"{name}: the file is empty; add some text and upload it again.")
    sniffed = sniff(data)
    if suffix == ".pdf" and sniffed.kind != "pdf" and b"%PDF-" in data[:1024]:
        # PDF readers accept junk before the header within the first KiB; so do we when the name says PDF.
        sniffed = Sniffed("pdf", "a PDF document")
    loaded = _choose(sniffed, suffix, name)(data, name)
    return _finish(loaded, sniffed, name)


def _choose(sniffed: Sniffed, suffix: str, name: str) -> Loader:
    """Pick a loader by what the bytes are; the extension only decides among text formats."""
    if sniffed.kind == "pdf":
        from ragbot.ingestion.loaders.pdf import load_pdf  # lazy: keeps pypdf out of quick CLI paths

        return load_pdf
    if sniffed.kind == "docx":
        from ragbot.ingestion.loaders.word import load_docx  # lazy: python-docx and lxml are slow to import

        return load_docx
    if sniffed.kind in _OFFICE:
        return _office_loader(sniffed.kind)
    if suffix in _OLD_OFFICE and sniffed.kind == "ole":
        old, app, new = _OLD_OFFICE[suffix]
        raise UnsupportedFile(f"{name}: this is an old {app} {old} file; open it in {app}, save it as {new} "
                              "and upload that.")
    if suffix in (".pdf", ".docx", ".xlsx", ".pptx"):
        kind = {".pdf": "PDF", ".docx": "Word .docx", ".xlsx": "Excel .xlsx", ".pptx": "PowerPoint .pptx"}[suffix]
        raise CorruptFile(
            f"{name}: the content is {sniffed.what}, not a valid {kind} file; export it again or upload the original."
        )
    if sniffed.kind != "text":
        raise UnsupportedFile(
            f"{name}: the content is {sniffed.what}, not text; upload one of {', '.join(SUPPORTED_SUFFIXES)} instead."
        )
    return _text_loader(suffix)


_OFFICE = ("xlsx", "pptx")
_OLD_OFFICE = {".docx": (".doc", "Word", ".docx"), ".xlsx": (".xls", "Excel", ".xlsx"),
               ".pptx": (".ppt", "PowerPoint", ".pptx")}


def _office_loader(kind: str) -> Loader:
    # Lazy: openpyxl and python-pptx are slow to import and only needed for their own files.
    if kind == "xlsx":
        from ragbot.ingestion.loaders.spreadsheet import load_xlsx

        return load_xlsx
    from ragbot.ingestion.loaders.slides import load_pptx

    return load_pptx


def _text_loader(suffix: str) -> Loader:
    from ragbot.ingestion.loaders.text import load_markdown, load_text

    if suffix in (".md", ".markdown"):
        return load_markdown
    if suffix in (".html", ".htm"):
        from ragbot.ingestion.loaders.markup import load_html  # lazy: BeautifulSoup is only needed for HTML

        return load_html
    if suffix == ".csv":
        from ragbot.ingestion.loaders.table import load_csv

        return load_csv
    return load_text


def _finish(loaded: LoadedDocument | LoadedStream, sniffed: Sniffed, name: str) -> LoadedStream:
    """Clean the sections (as they are read, for a stream) and settle the title."""
    stem = PurePath(name).stem
    if isinstance(loaded, LoadedDocument):
        # A library built these whole anyway; cleaning them now reports an empty document before any indexing.
        title, sections = loaded.title, list(_cleaned(iter(loaded.sections), sniffed, name))
        return LoadedStream(iter(sections), sum(len(s.text) for s in sections), lambda: one_line(title) or stem)
    raw_title = loaded.title
    return LoadedStream(_cleaned(loaded.sections, sniffed, name), loaded.chars, lambda: one_line(raw_title()) or stem)


def _cleaned(sections: Iterator[Section], sniffed: Sniffed, name: str) -> Iterator[Section]:
    """Clean each section, drop empty ones and refuse a document with no text left."""
    found = False
    for section in sections:
        text, location, indented = section.text, section.location, section.indented
        # One section can be the whole file. Loaders keep no reference to it, nor do we, so each step below frees
        # the text it started from: never more than two copies at once.
        del section
        for step in CLEAN_STEPS:
            text = step(text)
        text = text.strip()
        if text:
            found = True
            yield Section(text, one_line(location, 120), indented)
    if not found:
        raise EmptyDocument(_empty_message(sniffed, name))


def _empty_message(sniffed: Sniffed, name: str) -> str:
    if sniffed.kind == "pdf":
        return (
            f"{name}: no text could be extracted; it looks like a scanned PDF (images only). "
            "Run OCR on it (e.g. save as a searchable PDF) and upload that copy."
        )
    return f"{name}: no readable text was found in the file; check it has text content and upload it again."


def _mb(size: int) -> str:
    return f"{size / 1048576:,.1f}"


def iter_files(path: Path, *, on_skip: Callable[[Path, str], None] | None = None) -> Iterator[Path]:
    """A file yields itself; a directory yields every regular file below it, sorted, skipping hidden ones.

    on_skip hears of each non-regular file (FIFO, socket, device) left out of a walk, with the reason.
    """
    path = Path(path)
    if path.is_file():
        yield path
        return
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or directory")
    # os.walk does not follow directory symlinks, so a link loop cannot trap us.
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file_name in sorted(files):
            candidate = Path(root) / file_name
            if file_name.startswith((".", "~$")):
                continue  # "~$x.docx" are Office lock files
            if candidate.is_file():
                yield candidate
            elif on_skip is not None and candidate.exists():
                on_skip(candidate, not_regular(candidate))  # FIFOs and sockets would block or fail on read


def not_regular(path: Path) -> str:
    """Why a path that exists is not a file Ragbot can read, in a few words."""
    mode = path.stat().st_mode
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a directory" if stat.S_ISDIR(mode)
            else "not a regular file")
    return f"it is {kind}, not a regular file"
