"""A writer thread that COPYs a document's chunk windows while the next window is being embedded."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from types import TracebackType

from ragbot.domain import ChunkDraft

_DONE = None  # the sentinel that tells the thread no more windows come


class ChunkWriter:
    """Runs append (the swap's writer) in a thread of its own: put() hands it a window, close() waits for the last.

    The model runs in the calling thread and the COPY, with the HNSW and full-text index upkeep it triggers, runs
    in the PostgreSQL backend, so the two overlap instead of taking turns. At most one window waits in the queue,
    so a slow database holds back the embedding instead of letting windows pile up in memory.
    """

    def __init__(self, append: Callable[[Sequence[ChunkDraft], Sequence[Sequence[float]]], None], *,
                 document_id: int) -> None:
        self._append = append
        self._queue: queue.Queue[tuple[Sequence[ChunkDraft], Sequence[Sequence[float]]] | None] = queue.Queue(1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name=f"chunk-writer-{document_id}", daemon=True)

    def __enter__(self) -> ChunkWriter:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        # On an error in the caller, the thread still stops before the swap's connection (and transaction) closes.
        self._queue.put(_DONE)
        self._thread.join()
        if kind is None:
            self._raise_if_failed()

    def put(self, drafts: Sequence[ChunkDraft], vecs: Sequence[Sequence[float]]) -> None:
        """Queue one window for writing; raises the writer's error if an earlier window failed."""
        self._raise_if_failed()
        self._queue.put((drafts, vecs))

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _loop(self) -> None:
        while (item := self._queue.get()) is not _DONE:
            if self._error is not None:
                continue  # drain: the caller sees the error at its next put() or at close
            drafts, vecs = item
            try:
                self._append(drafts, vecs)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
                self._error = exc
