"""Progress of uploads shown in chat: the pipeline's Notifier edits the status message an adapter posted."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from sqlalchemy import Engine

from ragbot.storage import ops

_log = logging.getLogger(__name__)
TERMINAL = {"ready", "failed"}


class StatusUpdater(Protocol):
    """Edits one platform's status message for a document."""

    platform: str

    def update(self, chat_ref: dict[str, Any], text: str, *, state: str) -> None:
        """Replace the status message's text; state (queued, processing, ready, failed, ...) says what it means,
        so that an adapter showing progress another way (reactions) never reads it from the text."""
        ...

    def tell(self, user_id: str, text: str) -> None:
        """Send one person a direct message (user_id without the platform prefix)."""
        ...


def status_text(title: str, state: str, percent: int, message: str, *, indexed_as: str | None = None) -> str:
    """The one-line status a user sees: queued → processing % → ready with chunks, or failed with the reason.

    title stays what the person submitted for the whole upload; indexed_as names the title the document got, when
    that differs, so the answer's citations are recognisable.
    """
    if state == "queued":
        return f"⏳ *{title}*: queued for indexing. {message}".strip()
    if state == "waiting":
        return f"⏳ *{title}*: still queued: {message}".strip()
    if state == "processing":
        return f"⚙️ *{title}*: processing {percent}%… {message}".strip()
    if state == "ready":
        known_as = f" as “{indexed_as}”" if indexed_as and indexed_as != title else ""
        return f"✅ *{title}*: ready{known_as} ({message}). Ask away!"
    return f"❌ *{title}*: failed. {message}"


def stale_text(title: str, source: str, reason: str, *, hidden: bool) -> str:
    """The direct message to the owner of a source that stopped answering."""
    now = ("Ragbot no longer cites it" if hidden else "Ragbot still cites it, marked as unreachable")
    return (f"⚠️ Your document *{title}* ({source}) could not be fetched on its last re-sync: {reason} {now} "
            "until a re-sync succeeds. Fix the page or its address, or ask an admin to delete the document.")


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
            updater.update(row.chat_ref, status_text(row.label, state, percent, message, indexed_as=row.title),
                           state=state)
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
            updater.tell(user_id, stale_text(row.title, row.source_uri, reason, hidden=self.hide_stale))
        except Exception:
            _log.warning("could not tell the owner of document %s that it went stale", document_id, exc_info=True)
