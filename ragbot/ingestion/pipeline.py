"""The one ingestion entry point: load, split, embed (through the cache) and store a document."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ragbot.domain import ChunkDraft, DocStatus, LoadedStream
from ragbot.errors import FileTooLarge, IngestError, NotFound, RagbotError, SourceGone, TransientError
from ragbot.ingestion.loaders import stream_bytes
from ragbot.ingestion.splitter import iter_chunks
from ragbot.ingestion.writer import ChunkWriter
from ragbot.observability import metrics
from ragbot.observability.logging import log_context
from ragbot.observability.redaction import redact
from ragbot.ports import DocumentIndex, Embedder, Notifier

_log = logging.getLogger(__name__)
# Chunks embedded and written per step: bounds a worker's memory whatever the size of the document (the writer
# holds one window, the queue one more, the model a third), is large enough that the per-step costs (a cache
# lookup, a COPY, a progress update) stay small, and small enough that writing overlaps embedding on mid-sized
# documents too.
_WINDOW = 128


class LoggingNotifier:
    """Notifier that writes progress to the log."""

    def notify(self, document_id: int, state: str, percent: int, message: str) -> None:
        """Log one progress step."""
        _log.info("document %s %s %s%% %s", document_id, state, percent, message)


@dataclass(frozen=True)
class IngestLimits:
    """The plain values ingestion runs by (the composition root reads them from Settings)."""

    max_upload_bytes: int
    chunk_size: int
    chunk_overlap: int
    chunk_limit: int  # chunks one document may have
    embed_batch_size: int
    stale_after_failures: int  # failed re-syncs in a row that make a URL source stale
    hide_stale: bool  # RAGBOT_STALE_POLICY=hide: a stale source's chunks are not searched


@dataclass
class IngestContext:
    """What the pipeline needs: the database, the embedder, its limits and who hears progress."""

    index: DocumentIndex
    embedder: Embedder
    limits: IngestLimits
    notifier: Notifier
    fetch_url: object | None = None  # callable(url, max_bytes) -> (bytes, filename); None: URLs unsupported
    # Exceptions the caller handles itself (a worker's time limit), never turned into "unexpected error".
    passthrough: tuple[type[BaseException], ...] = ()


@dataclass(frozen=True)
class IngestResult:
    """The outcome of one run for one document."""

    document_id: int
    status: str  # ready | failed | skipped
    chunks: int = 0
    embedded: int = 0
    message: str = ""


def content_hash(data: bytes) -> str:
    """Hash of a document's bytes, used to skip unchanged content."""
    return hashlib.sha256(data).hexdigest()


def embed_with_cache(ctx: IngestContext, drafts: Sequence[ChunkDraft]) -> tuple[list, int]:
    """Vectors for the drafts, embedding only texts missing from the cache; returns (vectors, newly embedded)."""
    model = ctx.embedder.model_id
    texts = [d.text for d in drafts]
    known: dict[str, Any] = ctx.index.cached_vectors(model, list(dict.fromkeys(texts)))
    # Each missing text once, sorted by length across the whole window so each batch holds texts of similar length.
    todo = sorted({t for t in texts if t not in known}, key=len)
    batch = max(1, ctx.limits.embed_batch_size)
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        vecs = ctx.embedder.embed_documents(part)
        # Stored batch by batch: after a crash or a retry, finished batches come from the cache.
        ctx.index.store_vectors(model, list(zip(part, vecs, strict=True)))
        known.update(zip(part, vecs, strict=True))
    return [known[t] for t in texts], len(todo)


def _source_bytes(ctx: IngestContext, row) -> tuple[bytes, str]:  # type: ignore[no-untyped-def]
    # A crawled page (site_id set) is read from the bytes its crawl fetched, under the same guards, not fetched again.
    if row.source_kind == "url" and ctx.fetch_url is not None and getattr(row, "site_id", None) is None:
        data, filename = ctx.fetch_url(row.source_uri, ctx.limits.max_upload_bytes)  # type: ignore[operator]
        return data, filename
    data = ctx.index.stored_bytes(row.id)
    if data is None:
        raise IngestError(f"{row.title}: the stored file is missing; upload it again.")
    return data, row.filename or row.source_uri


def ingest_document(ctx: IngestContext, document_id: int, *, force: bool = False,
                    on_wait: Callable[[], None] | None = None) -> IngestResult:
    """Bring a document's chunks up to its current version; safe to run twice or concurrently.

    on_wait is called when another run holds the document, before this one waits for it.
    """
    started = time.perf_counter()
    with log_context(document_id=document_id), ctx.index.lock(document_id, on_wait=on_wait):
        row = ctx.index.document(document_id)
        if row is None:
            raise NotFound(f"Document {document_id} does not exist (it may have been deleted).")
        if not force and row.status == "ready" and row.indexed_version == row.version:
            result = IngestResult(document_id, "skipped", row.chunk_count, 0, "already up to date")
        else:
            try:
                result = _run(ctx, row)
            except TransientError:
                metrics.ingest_retry(time.perf_counter() - started)
                raise
        metrics.document_ingested(result.status, time.perf_counter() - started)
        return result


def _run(ctx: IngestContext, row) -> IngestResult:  # type: ignore[no-untyped-def]
    doc_id, version = row.id, row.version
    _set(ctx, doc_id, DocStatus.PROCESSING, 5, "reading the file", version=version)
    try:
        data, filename = _source_bytes(ctx, row)
        digest = content_hash(data)
        if row.source_kind == "url" and digest == row.indexed_hash and row.chunk_count:
            if not ctx.index.mark_unchanged(doc_id, version=version, content_hash=digest, title=row.title,
                                            chunks=row.chunk_count):
                return IngestResult(doc_id, "skipped", 0, 0, "superseded by a newer version")
            _set(ctx, doc_id, DocStatus.READY, 100, f"unchanged, {row.chunk_count} chunks")
            return IngestResult(doc_id, "ready", row.chunk_count, 0, "unchanged")
        loaded = stream_bytes(data, filename, max_bytes=ctx.limits.max_upload_bytes)
        del data  # before the sections are read: from here on the extracted text is all that is needed
        outcome = _index(ctx, row, loaded, digest=digest, filename=filename)
        if outcome is None:
            return IngestResult(doc_id, "skipped", 0, 0, "superseded by a newer version")
        count, embedded = outcome
    except IngestError as exc:
        went_stale = row.source_kind == "url" and source_failed(ctx, doc_id, exc)
        reason = str(exc) + (stale_note(ctx.limits.hide_stale) if went_stale else "")
        _set(ctx, doc_id, DocStatus.FAILED, 100, reason, error=reason, version=version)
        return IngestResult(doc_id, "failed", 0, 0, reason)
    except TransientError as exc:
        # Back to queued: the worker retries, and the reconciler picks it up if the worker dies.
        # The reason is kept on the row, so a document waiting for a retry never sits queued without one.
        _set(ctx, doc_id, DocStatus.QUEUED, 0, f"will retry: {exc}", error=f"will retry: {exc}", version=version)
        raise
    except DBAPIError as exc:
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            raise  # a lost database: the worker retries and the reconciler re-sends
        return _unexpected(ctx, doc_id, version)
    except RagbotError as exc:
        # A provider refusing the request (bad key, rejected input): a reason the user can act on, redacted.
        reason = redact(f"{row.filename or row.source_uri}: {exc}")
        _set(ctx, doc_id, DocStatus.FAILED, 100, reason, error=reason, version=version)
        return IngestResult(doc_id, "failed", 0, 0, reason)
    except Exception as exc:
        if isinstance(exc, ctx.passthrough):
            raise
        return _unexpected(ctx, doc_id, version)
    _set(ctx, doc_id, DocStatus.READY, 100, f"{count} chunks")
    return IngestResult(doc_id, "ready", count, embedded, f"{count} chunks")


STALE_NOTE = " Its old passages are no longer cited; the next successful re-sync brings them back."
STALE_WARN_NOTE = " Its old passages are still cited, marked as unreachable, until a re-sync succeeds."


def source_failed(ctx: IngestContext, document_id: int, exc: Exception) -> bool:
    """Count a failed fetch of a URL source; True when it is stale now (gone, or too many failures in a row).

    The failure that makes it stale is told to its owner through the notifier (state "stale").
    """
    stale, newly = ctx.index.record_sync_failure(document_id, gone=isinstance(exc, SourceGone),
                                                 threshold=ctx.limits.stale_after_failures, hide=ctx.limits.hide_stale)
    if newly:
        ctx.notifier.notify(document_id, "stale", 100, str(exc))
    return stale


def stale_note(hide_stale: bool) -> str:
    """What a failure that made a source stale adds to its reason, by RAGBOT_STALE_POLICY."""
    return STALE_NOTE if hide_stale else STALE_WARN_NOTE


def _index(ctx: IngestContext, row, loaded: LoadedStream, *, digest: str,  # type: ignore[no-untyped-def]
           filename: str) -> tuple[int, int] | None:
    """Split, embed and write a document's chunks window by window, swapping them in with one commit.

    Returns (chunks, newly embedded), or None when a newer version took over meanwhile. Sections are read and
    only one window of chunks and vectors is in memory at a time, so a worker's memory does not grow with the
    document beyond its text.
    """
    doc_id, version = row.id, row.version
    size, overlap = ctx.limits.chunk_size, ctx.limits.chunk_overlap
    total_chars = max(1, loaded.chars)
    limit = ctx.limits.chunk_limit
    # Checked before any embedding: from the text's size first, then exactly as each window is cut.
    if loaded.chars // (size - overlap) > limit:
        raise _too_many_chunks(filename, limit)
    count = embedded = 0
    # One transaction from the first window to the swap: readers see the old chunks until it commits, and a crash
    # leaves nothing half-written.
    with ctx.index.swap(doc_id, space=row.space_id, channel=row.channel) as swap:
        if swap is None:
            return None  # deleted meanwhile
        # The writer thread writes window n while this thread embeds window n + 1.
        with ChunkWriter(swap.append, document_id=doc_id) as writer:
            for window in _windows(iter_chunks(loaded.sections, size=size, overlap=overlap), _WINDOW):
                if count + len(window) > limit:
                    raise _too_many_chunks(filename, limit)
                vecs, new = embed_with_cache(ctx, window)
                writer.put(window, vecs)
                count, embedded = count + len(window), embedded + new
                share = min(1.0, count * (size - overlap) / total_chars)  # chunks advance by about size - overlap
                _set(ctx, doc_id, DocStatus.PROCESSING, 20 + int(75 * share), f"indexed {count} chunks",
                     version=version)
        if not count:
            raise IngestError(f"{filename}: no text to index after extraction; check the file has readable text.")
        # Read only now: a Markdown title is its first H1, known once all the sections have been read.
        title = loaded.title() or row.title
        if not swap.finish(version=version, content_hash=digest, title=title, chunks=count):
            return None  # a newer version arrived: its own run indexes it
    return count, embedded


def _too_many_chunks(filename: str, limit: int) -> FileTooLarge:
    return FileTooLarge(
        f"{filename}: the document makes more than {limit:,} chunks, the limit per document "
        "(RAGBOT_MAX_CHUNKS_PER_DOCUMENT); split it into smaller files."
    )


def _windows(drafts: Iterator[ChunkDraft], size: int) -> Iterator[list[ChunkDraft]]:
    """Consecutive lists of at most size drafts."""
    window: list[ChunkDraft] = []
    for draft in drafts:
        window.append(draft)
        if len(window) == size:
            yield window
            window = []
    if window:
        yield window


def _unexpected(ctx: IngestContext, doc_id: int, version: int) -> IngestResult:
    """A bug or an unforeseen input: fail the document visibly instead of leaving it 'processing' forever."""
    _log.exception("unexpected error ingesting document %s", doc_id)
    message = "an unexpected error stopped indexing; an admin can find the details in the worker log."
    _set(ctx, doc_id, DocStatus.FAILED, 100, message, error=message, version=version)
    return IngestResult(doc_id, "failed", 0, 0, message)


def _set(ctx: IngestContext, doc_id: int, status: DocStatus, percent: int, message: str,
         error: str | None = None, version: int | None = None) -> None:
    if status is not DocStatus.READY:
        moved = ctx.index.set_status(doc_id, status=status, progress=percent, error=error, version=version)
        if not moved:
            return  # a newer upload owns the document's state now; this run's news is stale
    ctx.notifier.notify(doc_id, status.value, percent, message)
