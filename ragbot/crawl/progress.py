"""One status message per crawl: the site's counts (queued, fetched, ready, failed, skipped), kept up to date."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy import Engine

from ragbot.chat.status import TERMINAL, StatusUpdater
from ragbot.ports import Notifier
from ragbot.storage import sites
from ragbot.storage.sites import SiteInfo

_log = logging.getLogger(__name__)


def site_status_text(site: SiteInfo) -> str:
    """The one status line of a crawl, in Slack markup (the Discord updater converts it)."""
    c, p = site.counts, site.pages
    waiting = p.get("queued", 0) + p.get("processing", 0)
    numbers = (f"{waiting} queued · {c.get('fetched', 0)} fetched · {p.get('ready', 0)} ready · "
               f"{p.get('failed', 0) + int(c.get('failed', 0))} failed · {c.get('skipped', 0)} skipped")
    name = f"*{site.root_url}*"
    if site.state in ("queued", "crawling"):
        head = "🕸️ " + name + (": crawling…" if site.state == "crawling" else ": crawl queued.")
        return f"{head} {numbers}"
    if site.state == "failed":
        return f"❌ {name}: the crawl failed. {site.note or ''} {numbers}".strip()
    icon, tail = ("⚙️", "indexing the pages…") if waiting else ("✅", "done. Ask away!")
    note = f" The crawl {site.note}." if site.note else ""
    return f"{icon} {name}: {tail} {numbers}.{note}"


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
        """Re-read the site and edit its message; returns the text (None when the site is gone)."""
        with self.engine.connect() as conn:
            site = sites.get_site(conn, site_id=site_id)
        if site is None:
            return None
        text = site_status_text(site)
        settled = site.state in ("done", "failed") and not (site.pages.get("queued") or site.pages.get("processing"))
        if not self.updaters or not site.chat_ref or not self._due(site_id, force or settled):
            return text
        updater = self.updaters.get(site.chat_ref.get("platform", ""))
        if updater is not None:
            try:
                updater.update(site.chat_ref, text, state=site_state(site))
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
