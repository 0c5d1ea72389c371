"""Watched channels: files shared there are ingested in the background, keyed by the platform's file id.

Shared by the Slack and Discord adapters: which channels are watched, and what happens to one shared file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import Engine

from ragbot.domain import Adder, DocStatus, Scope
from ragbot.ingestion import intake
from ragbot.ingestion.jobs import Jobs
from ragbot.ingestion.loaders import SUPPORTED_SUFFIXES
from ragbot.ingestion.pipeline import content_hash
from ragbot.ports import IngestQueue
from ragbot.ratelimit import RateLimited, SharedLimits
from ragbot.storage import audit, watches
from ragbot.storage import repository as repo

_log = logging.getLogger(__name__)
VIA = "watch"
THROTTLED = ("over the uploader's hourly upload limit: kept and queued for later, the workers index it when the "
             "reconciler next runs")


@dataclass(frozen=True)
class Watch:
    """A watched channel: its files answer that channel, or the whole workspace when workspace_wide."""

    space: str
    channel: str
    workspace_wide: bool
    added_by: str | None = None
    added_at: datetime | None = None

    def scope(self) -> Scope:
        """Where the channel's shared files are answered from."""
        return Scope(self.space, None if self.workspace_wide else self.channel)


def _watch(row: Any) -> Watch:
    return Watch(row.space_id, row.channel, row.workspace_wide, row.added_by, row.added_at)


@dataclass(frozen=True)
class Watches:
    """Watched channels and the files shared in them, over the collaborators the composition root hands in."""

    engine: Engine
    queue: IngestQueue
    limits: SharedLimits
    jobs: Jobs
    max_upload_bytes: int

    def watch(self, *, space: str, channel: str, workspace_wide: bool, by: str | None) -> Watch:
        """Start watching a channel (watching it again changes its scope)."""
        with self.engine.begin() as conn:
            added = _watch(watches.add_watch(conn, space=space, channel=channel, workspace_wide=workspace_wide,
                                             added_by=by))
            audit.record(conn, space=space, actor=by, actor_name=None, action="watch", subject=f"channel {channel}",
                         detail="answers the whole workspace" if workspace_wide else "answers that channel")
            return added

    def unwatch(self, *, space: str, channel: str, by: str | None = None) -> bool:
        """Stop watching a channel; documents already made from its files stay. False when it was not watched."""
        with self.engine.begin() as conn:
            removed = watches.remove_watch(conn, space=space, channel=channel)
            if removed:
                audit.record(conn, space=space, actor=by, actor_name=None, action="unwatch",
                             subject=f"channel {channel}")
            return removed

    def watching(self, *, space: str) -> list[Watch]:
        """The watched channels of a space."""
        with self.engine.connect() as conn:
            return [_watch(row) for row in watches.list_watches(conn, space=space)]

    def watched(self, *, space: str, channel: str) -> Watch | None:
        """The watch of a channel, or None when its files are not ingested on their own."""
        with self.engine.connect() as conn:
            row = watches.get_watch(conn, space=space, channel=channel)
        return _watch(row) if row is not None else None

    def add_shared_file(self, *, scope: Scope, data: bytes, filename: str, source_uri: str, by: Adder,
                        chat_ref: dict[str, Any]) -> intake.Accepted:
        """Store a shared file as a document and queue it; over the sharer's upload limit it waits, never dropped.

        source_uri names the platform's file, so a same-named file from someone else is another document; replacing
        a document follows the ownership rule of every upload (its uploader or an admin). chat_ref carries the file id.
        """
        with self.engine.connect() as conn:
            # The same bytes shared again as a new file (re-uploaded, or forwarded) cost nothing: it is already cited.
            copy = watches.ready_shared_copy(conn, space=scope.space, channel=scope.channel,
                                             content_hash=content_hash(data))
        if copy is not None:
            return intake.Accepted(copy, False, False, "the same content is already indexed")
        try:
            self.limits.upload(scope.space, by.id or "")
            throttled = False
        except RateLimited:
            throttled = True
        accepted = intake.add_file(self.engine, scope=scope, data=data, filename=filename, source_uri=source_uri,
                                   max_bytes=self.max_upload_bytes, source_kind="upload", by=by,
                                   chat_ref=chat_ref, link=source_uri if source_uri.startswith("https://") else None)
        if not throttled or not accepted.changed:
            return intake.enqueue(self.queue, accepted, engine=self.engine)
        # Left queued without a task: the reconciler sends documents that waited past RAGBOT_STUCK_AFTER_SECONDS.
        with self.engine.begin() as conn:
            repo.set_status(conn, document_id=accepted.document_id, status=DocStatus.QUEUED, error=THROTTLED)
        _log.info("shared file %s throttled: %s", filename, THROTTLED)
        return intake.Accepted(accepted.document_id, True, False, THROTTLED)

    def forget_file(self, *, space: str, file_id: str) -> list[int]:
        """A file deleted in chat: delete its documents (after any running ingestion); returns their ids."""
        with self.engine.connect() as conn:
            ids = watches.documents_of_file(conn, space=space, file_id=file_id)
        return self._delete(ids)

    def forget_message(self, *, space: str, message_id: str) -> list[int]:
        """A message deleted in chat: delete the documents made from the files it shared; returns their ids."""
        with self.engine.connect() as conn:
            ids = watches.documents_of_message(conn, space=space, message_id=message_id)
        return self._delete(ids)

    def _delete(self, ids: list[int]) -> list[int]:
        # Outside the read above: each deletion waits for that document's ingestion lock.
        for doc_id in ids:
            self.jobs.delete_document(doc_id)
        return ids


def supported(filename: str) -> bool:
    """Whether Ragbot reads this kind of file; others shared in a watched channel are skipped quietly."""
    return PurePosixPath(filename).suffix.lower() in SUPPORTED_SUFFIXES


