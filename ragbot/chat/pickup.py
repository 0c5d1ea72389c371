"""Uploads nobody picks up: a status that says "waiting for a worker", and a start-up warning when none answers."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from ragbot.domain import DocStatus
from ragbot.ports import Notifier
from ragbot.storage import repository as repo

_log = logging.getLogger(__name__)

WAITING = ("no worker has picked it up yet. Is `ragbot worker` running? The upload is kept and is indexed as soon "
           "as a worker starts.")


def no_worker_warning(queue: object, *, timeout: float = 1.0) -> str | None:
    """The warning an adapter logs at start-up when the broker answers but no worker does; else None."""
    # Only a Celery queue can be asked (workers_online); another IngestQueue runs its work itself.
    probe = getattr(queue, "workers_online", None)
    if probe is None:
        return None
    try:
        online = probe(timeout)
    except Exception:  # noqa: BLE001 - a probe must never stop the adapter from starting
        _log.debug("worker probe failed", exc_info=True)
        return None
    if online != 0:
        return None
    return ("No Ragbot worker answered on the task queue: uploads will wait as 'queued' until one runs. "
            "Start one with `ragbot worker` (see docs/workers.md).")


class PickupWatch:
    """After `after` seconds, tells the uploader in chat when a queued document has not been picked up."""

    def __init__(self, engine: Engine, notifier: Notifier, *, after: float) -> None:
        self.engine = engine
        self.notifier = notifier
        self.after = after

    def watch(self, document_id: int) -> None:
        """Check once, later, in a daemon timer; nothing happens when a worker took the document in time."""
        if self.after <= 0:
            return
        timer = threading.Timer(self.after, self._check, args=(document_id,))
        timer.daemon = True
        timer.start()

    def _check(self, document_id: int) -> None:
        try:
            with self.engine.connect() as conn:
                doc = repo.get_document(conn, document_id=document_id)
            if doc is not None and doc.status == DocStatus.QUEUED and not doc.progress:
                _log.warning("document %s still queued after %.0f s: no worker picked it up", document_id, self.after)
                self.notifier.notify(document_id, "waiting", 0, WAITING)
        except Exception:  # noqa: BLE001 - a hint, never a failure
            _log.warning("could not check whether document %s was picked up", document_id, exc_info=True)
