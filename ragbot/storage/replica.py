"""Read replicas: retrieval runs on a streaming replica, with read-your-writes per space.

Every change that alters what a space's search returns bumps `spaces.write_seq` in the same transaction (the trigger
of migration 0007). A space's reads go to the replica once the replica's copy of that counter has caught up with the
primary's: the replica has then replayed the change's commit, so a document reported ready is citable at once.
While it has not (a write moments ago, or a lagging replica), reads wait up to `wait_seconds` and then go to the
primary. Writes and ingestion never touch the replica.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from ragbot.domain import Neighbour, QuestionTerms, ScoredChunk
from ragbot.storage.search import PgChunkStore

_log = logging.getLogger(__name__)
_SEQ = text("SELECT write_seq FROM spaces WHERE id = :s")


class ReplicaRouter:
    """Picks the engine for a space's reads: the replica once it has every committed change to the space."""

    def __init__(self, primary: Engine, replica: Engine, *, wait_seconds: float = 0.2, poll_seconds: float = 0.01,
                 retry_after_seconds: float = 30.0):
        self.primary = primary
        self.replica = replica
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.retry_after_seconds = retry_after_seconds
        self._confirmed: dict[str, int] = {}  # space -> a write_seq the replica is known to hold
        self._down_until = 0.0
        self.routed = {"replica": 0, "primary": 0}  # reads sent each way, for benchmarks and tests

    def engine_for(self, space: str) -> Engine:
        """The replica when it holds the space's latest change (waiting up to wait_seconds), else the primary."""
        chosen = self._choose(space)
        self.routed["replica" if chosen is self.replica else "primary"] += 1
        return chosen

    def _choose(self, space: str) -> Engine:
        if time.monotonic() < self._down_until:
            return self.primary
        with self.primary.connect() as conn:
            wanted = conn.execute(_SEQ, {"s": space}).scalar()
        if wanted is None:  # an unknown space has nothing to find on either server
            return self.replica
        if self._confirmed.get(space, -1) >= wanted:  # replay only moves forward
            return self.replica
        deadline = time.monotonic() + self.wait_seconds
        try:
            while True:
                with self.replica.connect() as conn:
                    seen = conn.execute(_SEQ, {"s": space}).scalar()
                if seen is not None and seen >= wanted:
                    self._confirmed[space] = max(seen, self._confirmed.get(space, -1))
                    return self.replica
                if time.monotonic() >= deadline:
                    return self.primary
                time.sleep(self.poll_seconds)
        except DBAPIError as exc:
            # A replica that is down or restarting must not take answers down with it: the primary serves reads
            # for a while, then the replica is tried again.
            self._down_until = time.monotonic() + self.retry_after_seconds
            _log.warning("read replica unavailable, reading from the primary for %.0f s: %s",
                         self.retry_after_seconds, str(exc.orig or exc).strip().splitlines()[0])
            return self.primary


class ReplicaChunkStore:
    """ChunkStore that searches on the replica when the router allows it, and on the primary otherwise."""

    def __init__(self, primary: PgChunkStore, replica: PgChunkStore, router: ReplicaRouter):
        self.primary = primary
        self.replica = replica
        self.router = router
        # The passages' neighbours must come from the server that returned the passages (a lagging replica may
        # not hold them yet); RagService asks for them on the thread that searched.
        self._last = threading.local()

    def _store_for(self, space: str) -> PgChunkStore:
        store = self.replica if self.router.engine_for(space) is self.router.replica else self.primary
        self._last.store = store
        return store

    def search(self, *, query_vector: Sequence[float], query_text: str, space: str, channel: str | None, k: int,
               mode: str = "hybrid") -> list[ScoredChunk]:
        """The k best chunks for the query in this scope, best first."""
        return self._store_for(space).search(query_vector=query_vector, query_text=query_text, space=space,
                                             channel=channel, k=k, mode=mode)

    def neighbours(self, *, chunk_ids: Sequence[int], window: int = 1) -> list[Neighbour]:
        """Chunks within `window` places of each given chunk, from the server the last search used."""
        store: PgChunkStore = getattr(self._last, "store", self.primary)
        return store.neighbours(chunk_ids=chunk_ids, window=window)

    def term_stats(self, *, query_text: str, space: str, channel: str | None,
                   chunk_ids: Sequence[int]) -> QuestionTerms:
        """The question's words with their rarity in the scope and whether the given chunks hold them."""
        store: PgChunkStore = getattr(self._last, "store", None) or self._store_for(space)
        return store.term_stats(query_text=query_text, space=space, channel=channel, chunk_ids=chunk_ids)
