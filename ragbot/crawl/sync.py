"""Site use cases: add a site, crawl or re-sync it, list and forget it. The Celery tasks wrap these."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ragbot.crawl.crawler import Crawler, CrawlLimits, CrawlReport, Page
from ragbot.crawl.progress import SiteStatus
from ragbot.crawl.scope import prefix_of
from ragbot.domain import CLI_ADDER, Adder, Scope
from ragbot.errors import IngestError, NotAllowed, NotFound, QueueUnavailable
from ragbot.ingestion.fetch import UrlFetcher, check_url
from ragbot.ingestion.intake import Accepted, enqueue, replace_policy
from ragbot.ingestion.pipeline import IngestContext, content_hash, ingest_document
from ragbot.ports import IngestQueue, Notifier
from ragbot.ratelimit import SharedLimits
from ragbot.storage import audit, sites
from ragbot.storage import repository as repo
from ragbot.storage.locks import document_lock
from ragbot.storage.sites import SiteInfo

_log = logging.getLogger(__name__)
CRAWL_TASK = "ragbot.crawl_site"
RESYNC_SITES_TASK = "ragbot.resync_sites"
MAX_PAGES_CEILING = 10_000


@dataclass(frozen=True)
class CrawlOutcome:
    """What one crawl did to a site's documents."""

    site_id: int
    report: CrawlReport | None
    new_or_changed: int
    unchanged: int
    forgotten: int
    text: str  # the site's status line at the end


@dataclass(frozen=True)
class CrawlRules:
    """The plain values crawls run by (from Settings, via the composition root)."""

    max_pages: int
    delay_ms: int
    max_bytes: int
    fetch_timeout: float
    allow_private_urls: bool
    stuck_after_seconds: int


@dataclass(frozen=True)
class Sites:
    """Site use cases over the collaborators the composition root hands in."""

    engine: Engine
    queue: IngestQueue
    ingest: IngestContext
    limits: SharedLimits
    notifier: Notifier
    rules: CrawlRules

    def add_site(self, *, scope: Scope, url: str, max_pages: int | None = None, by: Adder = CLI_ADDER,
                 chat_ref: dict[str, Any] | None = None) -> SiteInfo:
        """Register a site to crawl (checked against the SSRF rules first); crawling it is a separate step."""
        limit = max_pages or self.rules.max_pages
        if not 1 <= limit <= MAX_PAGES_CEILING:
            raise IngestError(f"--max-pages must be between 1 and {MAX_PAGES_CEILING:,}; {limit} was given.")
        check_url(url, allow_private=self.rules.allow_private_urls)
        prefix = prefix_of(url)
        with self.engine.begin() as conn:
            site_id = sites.upsert_site(
                conn, space=scope.space, channel=scope.channel, root_url=url, prefix=prefix, max_pages=limit,
                uploader=by.id, uploader_name=by.name, added_via=by.via, chat_ref=chat_ref)
            audit.record(conn, space=scope.space, actor=by.id, actor_name=by.name, action="added", subject=url,
                         detail=f"site to crawl (up to {limit} pages) via {by.via}")
            site = sites.get_site(conn, site_id=site_id)
        assert site is not None  # just written in this transaction
        return site

    def start_crawl(self, *, scope: Scope, url: str, by: Adder, chat_ref: dict[str, Any] | None = None,
                    max_pages: int | None = None) -> tuple[SiteInfo, str]:
        """Register a site from a chat upload form and queue its crawl; counts against the uploader's upload limit."""
        if by.id is not None:
            self.limits.upload(scope.space, by.id)
        site = self.add_site(scope=scope, url=url, max_pages=max_pages, by=by, chat_ref=chat_ref)
        return site, self.queue_crawl(site.id)

    def queue_crawl(self, site_id: int, *, quiet: bool = False) -> str:
        """Hand a crawl to the workers by task name; a broker outage leaves it for the next re-sync."""
        with self.engine.connect() as conn:
            if sites.crawl_running(conn, site_id=site_id, stuck_after_seconds=self.rules.stuck_after_seconds):
                return "a crawl of it is running already; its status message shows the counts"
        try:
            self.queue.enqueue(CRAWL_TASK, site_id=site_id, quiet=quiet)
        except QueueUnavailable:
            return "the task queue is unreachable; the next scheduled re-sync crawls it"
        return "crawl queued"

    def find_site(self, ref: str, *, space: str | None = None) -> SiteInfo:
        """A site by id or root URL; NotFound with a hint otherwise."""
        with self.engine.connect() as conn:
            site = sites.resolve_site(conn, ref=ref, space=space)
        if site is None:
            raise NotFound(f"No site matches {ref!r}; list them with `sites` and use the id.")
        return site

    def list_sites(self, *, space: str | None = None) -> list[SiteInfo]:
        """Every crawled site (optionally of one space) with its pages counted by state."""
        with self.engine.connect() as conn:
            return sites.list_sites(conn, space=space)

    def forget_site(self, ref: str, *, space: str | None = None, by: Adder = CLI_ADDER
                    ) -> tuple[SiteInfo, int]:
        """Delete a site and every page of it (each under its document lock); returns the site and the pages deleted."""
        site = self.find_site(ref, space=space)
        with self.engine.connect() as conn:
            pages = sites.documents_of(conn, site_ids=[site.id])
        for doc_id in pages:
            self._delete_page(doc_id)
        with self.engine.begin() as conn:
            sites.delete_site(conn, site_id=site.id)
            audit.record(conn, space=site.space, actor=by.id, actor_name=by.name, action="deleted",
                         subject=site.root_url, detail=f"the crawled site and its {len(pages)} pages")
        return site, len(pages)

    def resync_sites(self) -> list[int]:
        """Queue a quiet re-crawl of every site that is not crawling now (run by beat)."""
        with self.engine.connect() as conn:
            due = sites.sites_due(conn, stuck_after_seconds=self.rules.stuck_after_seconds)
        sent: list[int] = []
        for site_id in due:
            try:
                self.queue.enqueue(CRAWL_TASK, site_id=site_id, quiet=True)
            except QueueUnavailable:
                break  # the next beat tick tries again
            sent.append(site_id)
        return sent

    def crawl_site(self, site_id: int, *, inline: bool = False, quiet: bool = False,
                   on_progress: Callable[[str], None] | None = None, time_budget: float | None = None) -> CrawlOutcome:
        """Crawl a site: store each page as a URL document, ingest the new or changed ones, forget the gone ones.

        inline ingests each page here (the CLI); otherwise pages go to the workers by task name. quiet leaves the chat
        status message alone (routine re-syncs). Unchanged pages cost one fetch: no embedding, no chunk write.
        """
        with self.engine.begin() as conn:
            site = sites.get_site(conn, site_id=site_id)
            if site is None:
                raise NotFound(f"Site {site_id} does not exist (it may have been forgotten).")
            sites.set_state(conn, site_id=site_id, state="crawling", counts={}, note=None)
            known = sites.site_pages(conn, site_id=site_id)
        # The chat updaters come with the notifier the entry point wired (SiteAwareNotifier); quiet uses none.
        wired = getattr(self.notifier, "status", None)
        status = wired if isinstance(wired, SiteStatus) and not quiet else SiteStatus(self.engine, [])
        owner = Adder(site.uploader, site.uploader_name, "crawl", is_admin=site.uploader is None)
        tally = {"changed": 0, "unchanged": 0}
        deadline = time.monotonic() + time_budget if time_budget else None
        crawler = Crawler(site.root_url, self._fetcher(), CrawlLimits(
            max_pages=site.max_pages, delay=self.rules.delay_ms / 1000, max_bytes=self.rules.max_bytes,
            deadline=deadline))

        last_report = [0.0]

        def report_progress() -> None:
            # At most once a second: two statements per page would cost more than storing an unchanged page.
            if time.monotonic() - last_report[0] < 1.0:
                return
            last_report[0] = time.monotonic()
            with self.engine.begin() as conn:
                sites.set_state(conn, site_id=site_id, state="crawling", counts=crawler.report.counts())
            text = status.refresh(site_id)
            if on_progress is not None and text:
                on_progress(text)

        def keep(page: Page) -> None:
            changed = self._store_page(site, page, owner)
            if changed is None:
                crawler.report.skipped["added separately by someone else"] += 1
            elif changed[1]:
                tally["changed"] += 1
                if inline:
                    ingest_document(self.ingest, changed[0])
                else:
                    enqueue(self.queue, Accepted(changed[0], True), engine=self.engine)
            else:
                tally["unchanged"] += 1
            report_progress()

        try:
            report = crawler.run(keep)
        except IngestError as exc:
            with self.engine.begin() as conn:
                sites.set_state(conn, site_id=site_id, state="failed", counts=crawler.report.counts(), note=str(exc))
            text = status.refresh(site_id, force=True) or str(exc)
            if on_progress is not None:
                on_progress(text)
            return CrawlOutcome(site_id, crawler.report, tally["changed"], tally["unchanged"], 0, text)
        forgotten = self._forget_gone(site.space, known, report)
        with self.engine.begin() as conn:
            sites.set_state(conn, site_id=site_id, state="done", counts=report.counts(), note=_note(report, forgotten),
                            finished=report.complete)
        text = status.refresh(site_id, force=True) or ""
        if on_progress is not None:
            on_progress(text)
        return CrawlOutcome(site_id, report, tally["changed"], tally["unchanged"], forgotten, text)

    def _fetcher(self) -> UrlFetcher:
        fetch = self.ingest.fetch_url
        # The same guarded fetcher URL sources use (tests hand in one with their loopback allowlist).
        if isinstance(fetch, UrlFetcher):
            return fetch
        return UrlFetcher(timeout=self.rules.fetch_timeout, allow_private=self.rules.allow_private_urls)

    def _store_page(self, site: SiteInfo, page: Page, owner: Adder) -> tuple[int, bool] | None:
        """Store a page's bytes as its URL document under the site; (id, changed), or None when it is not ours."""
        digest = content_hash(page.data)
        with self.engine.begin() as conn:
            row = repo.find_document(conn, space=site.space, channel=site.channel, source_uri=page.url)
            policy = None if row is not None and row.site_id == site.id else replace_policy(owner, page.url)
            try:
                doc_id, changed = repo.upsert_document(
                    conn, space=site.space, channel=site.channel, source_kind="url", source_uri=page.url,
                    title=row.title if row is not None else page.url, filename=page.filename, uploader=owner.id,
                    uploader_name=owner.name, added_via="crawl", content_hash=digest, data=page.data,
                    may_replace=policy)
            except NotAllowed:
                return None
            sites.attach_page(conn, document_id=doc_id, site_id=site.id)
            if changed:
                audit.record(conn, space=site.space, actor=owner.id, actor_name=owner.name, document_id=doc_id,
                             action="replaced" if row is not None else "added", subject=page.url,
                             detail=f"via the crawl of {site.root_url}")
        return doc_id, changed

    def _forget_gone(self, space: str, known: dict[str, int], report: CrawlReport) -> int:
        """Delete pages that answered 404/410, and, after a crawl that saw the whole site, pages no longer found."""
        gone = {url for url in known if url in report.gone}
        if report.complete:
            gone |= {url for url in known if url not in report.kept}
        for url in gone:
            self._delete_page(known[url], gone_from=(space, url))
        return len(gone)

    def _delete_page(self, document_id: int, *, gone_from: tuple[str, str] | None = None) -> None:
        with document_lock(self.engine, document_id), self.engine.begin() as conn:
            repo.delete_document(conn, document_id=document_id)
            if gone_from is not None:
                audit.record(conn, space=gone_from[0], actor=None, actor_name="crawl", action="deleted",
                             subject=gone_from[1], detail="gone from its site at a re-crawl")


def _note(report: CrawlReport, forgotten: int) -> str | None:
    parts = []
    if report.stopped:
        parts.append(f"stopped: it {report.stopped}")
    if report.skipped.get("link trap"):
        parts.append(f"did not follow {report.skipped['link trap']} links that looked generated (a link trap)")
    if forgotten:
        parts.append(f"forgot {forgotten} pages that are gone from the site")
    if report.errors:
        parts.append(f"first failure: {report.errors[0]}")
    return "; ".join(parts) or None
