"""One status message per crawl: the site's counts (queued, fetched, ready, failed, skipped), kept up to date."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy import Engine

from ragbot.chat.status import TERMINAL, SiteCounts, Status, StatusUpdater
from ragbot.chat.status_words import plain, status_line
from ragbot.ports import Notifier
from ragbot.storage import sites
from ragbot.storage.sites import SiteInfo

_log = logging.getLogger(__name__)


def site_status(site: SiteInfo) -> Status:
    """The crawl's one status as data: its phase, its counts and its note."""
    c, p = site.counts, site.pages
    counts = SiteCounts(queued=p.get("queued", 0) + p.get("processing", 0), fetched=c.get("fetched", 0),
                        ready=p.get("ready", 0), failed=p.get("failed", 0) + int(c.get("failed", 0)),
                        skipped=c.get("skipped", 0))
    return Status("site", site.root_url, site_state(site), message=site.note or "", counts=counts,
                  crawling=site.state == "crawling")


def site_state(site: SiteInfo) -> str:
    """The crawl's state as one word for the status updaters: queued, processing, ready or failed."""
    if site.state == "failed":
        return "failed"
    if site.state in ("queued", "crawling"):
        return "processing" if site.state == "crawling" else "queued"
    return "processing" if site.pages.get("queued", 0) + site.pages.get("processing", 0) else "ready"


class SiteStatus:
    """Edits a site's status message through the chat updaters; throttled, except for the last word."""

    def __init__(self, engine: Engine, updaters: Sequence[StatusUpdater], *, min_interval: float = 1.0) -> None:
        self.engine = engine
        self.updaters = {u.platform: u for u in updaters}
        self.min_interval = min_interval
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()

    def refresh(self, site_id: int, *, force: bool = False) -> str | None:
        """Re-read the site and edit its message; returns its text without markup (None when the site is gone)."""
        with self.engine.connect() as conn:
            site = sites.get_site(conn, site_id=site_id)
        if site is None:
            return None
        status = site_status(site)
        text = status_line(status, plain)  # the crawl's outcome and the CLI's line; chat renders its own
        settled = site.state in ("done", "failed") and not (site.pages.get("queued") or site.pages.get("processing"))
        if not self.updaters or not site.chat_ref or not self._due(site_id, force or settled):
            return text
        updater = self.updaters.get(site.chat_ref.get("platform", ""))
        if updater is not None:
            try:
                updater.update(site.chat_ref, status)
            except Exception:  # a chat outage must never fail a crawl or an ingestion
                _log.warning("could not update the chat status of site %s", site_id, exc_info=True)
        return text

    def _due(self, site_id: int, force: bool) -> bool:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last.get(site_id, 0.0) < self.min_interval:
                return False
            self._last[site_id] = now
            return True


class SiteAwareNotifier:
    """A Notifier that also refreshes the site message when a crawled page finishes (pages have none of their own)."""

    def __init__(self, inner: Notifier, status: SiteStatus) -> None:
        self.inner = inner
        self.status = status

    def notify(self, document_id: int, state: str, percent: int, message: str) -> None:
        """Pass the step on; a page reaching ready or failed updates its site's counts."""
        self.inner.notify(document_id, state, percent, message)
        if state not in TERMINAL or not self.status.updaters:
            return
        try:
            with self.status.engine.connect() as conn:
                site_id = sites.page_site(conn, document_id=document_id)
            if site_id is not None:
                self.status.refresh(site_id)
        except Exception:  # progress is best effort; the page's own state is already written
            _log.warning("could not refresh the site of document %s", document_id, exc_info=True)
