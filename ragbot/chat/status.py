"""Progress of uploads shown in chat: the pipeline's Notifier edits the status message an adapter posted.

What a status message says is data (Status, StaleNotice); each adapter renders it in its own markup.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import Engine

from ragbot.storage import ops

_log = logging.getLogger(__name__)
TERMINAL = {"ready", "failed"}


@dataclass(frozen=True)
class SiteCounts:
    """A crawl's numbers: pages waiting to be indexed, fetched, ready, failed and skipped."""

    queued: int = 0
    fetched: int = 0
    ready: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class Status:
    """What one status message says, without markup: an upload's progress, or a crawl's counts.

    title is plain text (the adapter escapes and bolds it); message is shown as written (it may hold `code`, which
    both platforms read alike): progress words, the chunk count when ready, the reason when failed, a crawl's note.
    """

    kind: Literal["upload", "site"]
    title: str
    state: str  # downloading, queued, waiting, processing, ready or failed: trails and reactions decide by it
    percent: int = 0
    message: str = ""
    indexed_as: str | None = None  # the title the document got, when that differs from what was submitted
    counts: SiteCounts | None = None  # kind "site" only
    crawling: bool = False  # kind "site": the crawl itself still runs (else processing means indexing its pages)

    @classmethod
    def upload(cls, title: str, state: str, percent: int = 0, message: str = "", *,
               indexed_as: str | None = None) -> Status:
        """An upload's status (a file or a link)."""
        return cls("upload", title, state, percent, message, indexed_as)


@dataclass(frozen=True)
class StaleNotice:
    """The direct message to the owner of a source that stopped answering on its last re-sync."""

    title: str
    source: str
    reason: str
    hidden: bool  # RAGBOT_STALE_POLICY=hide: Ragbot no longer cites it (warn: still cited, marked unreachable)


class StatusUpdater(Protocol):
    """Edits one platform's status message for a document, rendering the status in that platform's markup."""

    platform: str

    def update(self, chat_ref: dict[str, Any], status: Status) -> None:
        """Replace the status message; an adapter showing progress another way (reactions) decides by
        status.state, never by the text."""
        ...

    def tell(self, user_id: str, notice: StaleNotice) -> None:
        """Send one person a direct message (user_id without the platform prefix)."""
        ...


class ChatStatusNotifier:
    """Notifier that finds a document's chat_ref and edits it; progress edits are throttled, outcomes never."""

    def __init__(self, engine: Engine, updaters: list[StatusUpdater], *, min_interval: float = 1.0,
                 hide_stale: bool = True) -> None:
        self.engine = engine
        self.hide_stale = hide_stale  # RAGBOT_STALE_POLICY=hide: say that the source is no longer cited
        self.updaters = {u.platform: u for u in updaters}
        self.min_interval = min_interval
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()

    def _due(self, document_id: int, state: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if state not in TERMINAL and now - self._last.get(document_id, 0.0) < self.min_interval:
                return False
            self._last[document_id] = now
            return True

    def notify(self, document_id: int, state: str, percent: int, message: str) -> None:
        """Edit the document's status message, if it has one on a platform we can reach; a source that went
        stale is told to its owner instead."""
        _log.info("document %s %s %s%% %s", document_id, state, percent, message)
        if state == "stale":
            self._tell_owner(document_id, message)
            return
        if not self.updaters or not self._due(document_id, state):
            return
        with self.engine.connect() as conn:
            row = ops.document_chat_ref(conn, document_id=document_id)
        if row is None or not row.chat_ref:
            return
        updater = self.updaters.get(row.chat_ref.get("platform", ""))
        if updater is None:
            return
        try:
            updater.update(row.chat_ref, Status.upload(row.label, state, percent, message, indexed_as=row.title))
        except Exception:  # a chat outage must never fail an ingestion
            _log.warning("could not update the chat status of document %s", document_id, exc_info=True)

    def _tell_owner(self, document_id: int, reason: str) -> None:
        with self.engine.connect() as conn:
            row = ops.document_owner(conn, document_id=document_id)
        if row is None:
            return
        platform, _, user_id = (row.uploader or "").partition(":")
        updater = self.updaters.get(platform)
        if updater is None or not user_id:
            return  # added from the CLI, or a platform this process has no token for: the admin listings show it
        try:
            updater.tell(user_id, StaleNotice(row.title, row.source_uri, reason, hidden=self.hide_stale))
        except Exception:
            _log.warning("could not tell the owner of document %s that it went stale", document_id, exc_info=True)
