"""PDF loader: one section per page, via pypdf, with decompression limits."""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Iterator
from pathlib import PurePath

import pypdf

from ragbot.domain import LoadedDocument, Section
from ragbot.errors import CorruptFile, FileTooLarge, IngestError
from ragbot.ingestion.loaders.common import TextBudget, one_line

log = logging.getLogger(__name__)

# Per-stream caps on decompressed output; text extraction never needs images decoded, so
# 16 MB per stream is generous for real files (page text over 2 MB is refused anyway) and keeps bombs small.
_STREAM_CAP = 16_000_000
_LIMITS = {
    "maximum_declared_stream_length": _STREAM_CAP,
    "array_based_stream_maximum_output_length": _STREAM_CAP,
    "lzw_maximum_output_length": _STREAM_CAP,
    "run_length_maximum_output_length": _STREAM_CAP,
    "zlib_maximum_output_length": _STREAM_CAP,
    "brotli_maximum_output_length": _STREAM_CAP,
    "jbig2_maximum_output_length": _STREAM_CAP,
    "stream_decoding_work_maximum_length": 4 * _STREAM_CAP,
}

# pypdf parses a content stream in time that grows faster than its size (9 MB took about two minutes), so
# a tiny compressed file could hold a worker for long: cap each page's stream and the whole read.
_PAGE_CONTENT_CAP = 2_000_000
_READ_SECONDS = 120.0


def load_pdf(data: bytes, name: str) -> LoadedDocument:
    """A PDF: one section per page located "page N", titled by its metadata or file name."""
    with _limits():
        try:
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            _unlock(reader, name)
            title = _metadata_title(reader)
            sections = [Section(text, f"page {n}") for n, text in _pages(reader, name) if text.strip()]
        except IngestError:
            raise
        except Exception as exc:  # pypdf raises many types on malformed input; all mean "corrupt"
            raise CorruptFile(
                f"{name}: the PDF could not be read ({_reason(exc)}); re-export it or upload the original."
            ) from exc
    return LoadedDocument(title or PurePath(name).stem, sections)


@contextlib.contextmanager
def _limits() -> Iterator[None]:
    """Apply pypdf's resource limits where this pypdf version has them (7.x+); older ones keep their defaults."""
    apply = getattr(pypdf, "apply_configuration", None)
    if apply is None:
        yield
        return
    known = {k: v for k, v in _LIMITS.items() if hasattr(pypdf.Configuration, k)}
    with apply(**known):
        yield


def _unlock(reader: pypdf.PdfReader, name: str) -> None:
    """Open PDFs that only have an owner password; refuse those that need a password to read."""
    if not reader.is_encrypted:
        return
    try:
        opened = bool(reader.decrypt(""))  # PasswordType.NOT_DECRYPTED is 0
    except Exception:  # unsupported crypto (AES without a backend) also means "cannot open"
        opened = False
    if not opened:
        raise CorruptFile(f"{name}: the PDF is encrypted (password-protected); upload an unencrypted copy.")


def _metadata_title(reader: pypdf.PdfReader) -> str:
    try:
        meta = reader.metadata
        return one_line(str(meta.title)) if meta is not None and meta.title else ""
    except Exception:  # a broken Info dictionary should not sink the text
        return ""


def _pages(reader: pypdf.PdfReader, name: str) -> Iterator[tuple[int, str]]:
    """Each page's text; a broken page is skipped, but a file where every page breaks is corrupt."""
    budget = TextBudget(name)
    failures, total = 0, len(reader.pages)
    last: Exception | None = None
    deadline = time.monotonic() + _READ_SECONDS

    def clock(*_: object) -> None:  # pypdf calls it before every operator, so long pages stop too
        if time.monotonic() > deadline:
            raise FileTooLarge(f"{name}: reading the PDF took longer than {_READ_SECONDS:.0f} s; split it into "
                               "smaller files and upload those.")

    for number, page in enumerate(reader.pages, start=1):
        try:
            clock()
            contents = page.get_contents()
            if contents is not None and len(contents.get_data()) > _PAGE_CONTENT_CAP:
                raise ValueError(f"page {number} holds over {_PAGE_CONTENT_CAP // 1_000_000} MB of drawing commands")
            text = page.extract_text(visitor_operand_before=clock) or ""
        except IngestError:
            raise
        except Exception as exc:  # see load_pdf
            failures, last = failures + 1, exc
            log.warning("%s: page %d could not be read: %s", name, number, exc)
            continue
        yield number, budget.spend(text)
    if total and failures == total and last is not None:
        raise CorruptFile(
            f"{name}: no page of the PDF could be read ({_reason(last)}); re-export it or upload the original."
        )


def _reason(exc: BaseException) -> str:
    """A short, single-line reason from a parser exception."""
    text = one_line(str(exc), 120)
    return text or type(exc).__name__
