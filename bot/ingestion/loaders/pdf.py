"""PDF loader: one section per page, via pypdf, with decompression limits."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from pathlib import PurePath

import pypdf

from bot.domain import LoadedDocument, Section
from bot.errors import CorruptFile, IngestError
from bot.ingestion.loaders.common import TextBudget, one_line

log = logging.getLogger(__name__)

# Per-stream caps on decompressed output; text extraction never needs images decoded, so
# 50 MB per stream is generous for real files and stops flate/LZW bombs early.
_STREAM_CAP = 50_000_000
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
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
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
