"""The walk over a site: robots.txt, then the sitemap, then links, breadth first, within a page budget.

It only fetches and reports; what becomes of each page (a document, an ingestion) is the caller's `on_page`.
Every request goes through the guarded UrlFetcher (SSRF check and pinning on every hop, per-fetch deadline, size
cap), one at a time with the politeness delay between them.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from ragbot.crawl.links import page_links
from ragbot.crawl.scope import LeftSite, TrapGuard, in_prefix, normalise, prefix_of, skipped_by_suffix
from ragbot.crawl.sitemaps import sitemap_urls
from ragbot.errors import IngestError, RagbotError, SourceGone, TransientError
from ragbot.ingestion.fetch import Fetched, RedirectLoop, UrlFetcher

_log = logging.getLogger(__name__)
USER_AGENT = "Ragbot"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MAX_ROBOTS_DELAY = 10.0  # seconds: a robots.txt Crawl-delay above this would make a crawl take days
QUEUE_FACTOR = 20  # links kept waiting per page of budget; beyond that a site is a trap or far over budget


@dataclass(frozen=True)
class Page:
    """A fetched page a crawl keeps: where it ended up, its bytes and a filename that names its type."""

    url: str
    data: bytes
    filename: str
    is_pdf: bool


@dataclass
class CrawlReport:
    """How a crawl went: counters, the pages it kept and why it stopped early, if it did."""

    prefix: str
    found: int = 0
    fetched: int = 0
    failed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> pages or links
    kept: set[str] = field(default_factory=set)  # pages that exist (fetched, or failing only for now)
    gone: set[str] = field(default_factory=set)  # pages that answered 404/410
    errors: list[str] = field(default_factory=list)  # the first few failure reasons
    stopped: str | None = None  # why the crawl ended before the links ran out
    complete: bool = True  # False when what was not seen may still exist (time ran out, the root failed)

    def counts(self) -> dict[str, object]:
        """The counters as JSON for the site row."""
        return {"found": self.found, "fetched": self.fetched, "failed": self.failed,
                "skipped": sum(self.skipped.values()), "skipped_reasons": dict(self.skipped),
                "gone": len(self.gone), "errors": self.errors[:5]}


@dataclass
class CrawlLimits:
    """The budget of one crawl."""

    max_pages: int
    delay: float  # seconds between requests (RAGBOT_CRAWL_DELAY_MS)
    max_bytes: int  # per page (RAGBOT_MAX_UPLOAD_MB)
    deadline: float | None = None  # time.monotonic() after which the crawl stops where it is


class Crawler:
    """Crawls one site from its root URL; `run` calls on_page for each HTML or PDF page."""

    def __init__(self, root: str, fetcher: UrlFetcher, limits: CrawlLimits, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        start = normalise(root)
        if start is None:
            raise IngestError(f"{root}: only http and https links can be crawled.")
        self.root = start
        self.prefix = prefix_of(start)
        self.host = urlsplit(start).hostname or ""
        self.origin = f"{urlsplit(start).scheme}://{urlsplit(start).netloc}"
        self.fetcher = fetcher
        self.limits = limits
        self.sleep = sleep
        self.delay = limits.delay
        self.robots: Protego | None = None
        self._last_request = 0.0
        self.report = CrawlReport(self.prefix)

    # -- requests -------------------------------------------------------------------------------------------------
    def _polite(self) -> None:
        wait = self._last_request + self.delay - time.monotonic()
        if wait > 0:
            self.sleep(wait)

    def _hop(self, url: str) -> None:
        """Refuse a redirect that leaves the site or lands on a path robots.txt disallows."""
        target = normalise(url)
        if target is None or not in_prefix(target, self.prefix):
            raise LeftSite(f"{url}: a redirect leads outside {self.prefix}.")
        if not self._allowed(target):
            raise LeftSite(f"{url}: a redirect leads to a path robots.txt disallows.")

    def _same_host(self, url: str) -> None:
        """Refuse a redirect of robots.txt or a sitemap to another host (they may live outside the prefix)."""
        if urlsplit(url).hostname != self.host:
            raise LeftSite(f"{url}: a redirect leads outside {self.origin}.")

    def _get(self, url: str, *, site_file: bool = False) -> Fetched:
        self._polite()
        try:
            return self.fetcher.fetch(url, self.limits.max_bytes, follow=self._same_host if site_file else self._hop)
        finally:
            # The pause runs from the end of one answer to the next request, so a slow server gets more rest.
            self._last_request = time.monotonic()

    def _allowed(self, url: str) -> bool:
        return self.robots is None or self.robots.can_fetch(url, USER_AGENT)

    # -- the walk -------------------------------------------------------------------------------------------------
    def _read_robots(self) -> None:
        try:
            text = self._get(f"{self.origin}/robots.txt", site_file=True).data.decode("utf-8", errors="replace")
        except TransientError as exc:
            # RFC 9309: robots.txt unreachable through a server or network error means "assume everything is
            # disallowed"; the crawl stops and nothing is forgotten, and the next re-sync tries again.
            self.report.complete = False
            raise IngestError(f"the crawl could not start: robots.txt could not be read ({exc}); "
                              "it is tried again at the next re-sync.") from exc
        except RagbotError as exc:
            _log.info("no usable robots.txt at %s: %s", self.origin, exc)  # 404 and the like: all is allowed
            return
        self.robots = Protego.parse(text)
        asked = self.robots.crawl_delay(USER_AGENT)
        if asked:
            self.delay = max(self.delay, min(float(asked), MAX_ROBOTS_DELAY))

    def _sitemap_pages(self) -> list[str]:
        listed = [s for s in (self.robots.sitemaps if self.robots else []) if urlsplit(s).hostname == self.host]
        candidates = listed or list(dict.fromkeys([f"{self.origin}/sitemap.xml", f"{self.prefix}sitemap.xml"]))
        limit = self.limits.max_pages * QUEUE_FACTOR
        pages: list[str] = []
        for sitemap in candidates:
            pages += sitemap_urls(lambda url: self._get(url, site_file=True), sitemap, self.host, limit=limit)
        return pages

    def run(self, on_page: Callable[[Page], None]) -> CrawlReport:
        """Crawl until the links run out, the page budget is spent or the deadline passes."""
        report = self.report
        self._read_robots()
        queue: deque[str] = deque()
        seen: set[str] = set()
        traps = TrapGuard()

        def offer(url: str | None) -> None:
            if url is None or url in seen or not in_prefix(url, self.prefix):
                return
            if traps.looks_generated(url):
                report.skipped["link trap"] += 1
            elif len(queue) < self.limits.max_pages * QUEUE_FACTOR:
                seen.add(url)
                queue.append(url)

        offer(self.root)
        for url in self._sitemap_pages():
            offer(normalise(url))
        attempts = 0
        while queue:
            if self.limits.deadline is not None and time.monotonic() > self.limits.deadline:
                report.stopped = f"ran out of time with {len(queue)} links left to visit"
                report.complete = False
                break
            if attempts >= self.limits.max_pages:
                report.stopped = (f"reached the page budget of {self.limits.max_pages} (--max-pages) with "
                                  f"{len(queue)} links left to visit")
                break
            url = queue.popleft()
            if not self._allowed(url):
                report.skipped["robots.txt"] += 1
                continue
            if skipped_by_suffix(url):
                report.skipped["not HTML or PDF"] += 1
                continue
            attempts += 1
            page = self._visit(url, root=url == self.root)
            if page is None:
                continue
            seen.add(page.url)
            on_page(page)
            if not page.is_pdf:
                for link in page_links(page.data, page.url):
                    offer(link)
        report.found = len(seen)
        return report

    def _visit(self, url: str, *, root: bool) -> Page | None:
        """Fetch one page; failures and skips are counted, and a failing root ends the crawl."""
        report = self.report
        try:
            got = self._get(url)
        except LeftSite as exc:
            if root:
                report.complete = False
                raise IngestError(f"the crawl could not start: {exc} Crawl the address it redirects to instead.") \
                    from exc
            report.skipped["redirects off the site" if "outside" in str(exc) else "robots.txt"] += 1
            return None
        except SourceGone as exc:
            report.gone.add(url)
            return self._failed(url, exc, root=root)
        except TransientError as exc:
            report.kept.add(url)  # it may well be back next time: not a reason to forget it
            return self._failed(url, exc, root=root)
        except (RedirectLoop, IngestError) as exc:
            return self._failed(url, exc, root=root)
        final = normalise(got.url) or url
        is_pdf = got.content_type == "application/pdf" or (not got.content_type and got.filename.endswith(".pdf"))
        is_html = got.content_type in HTML_TYPES or (not got.content_type and got.filename.endswith(".html"))
        if final != url and final in report.kept:
            return None  # a redirect to a page this crawl already has
        report.kept.add(final)
        if not (is_pdf or is_html):
            report.skipped["not HTML or PDF"] += 1
            return None
        report.fetched += 1
        return Page(final, got.data, got.filename, is_pdf)

    def _failed(self, url: str, exc: Exception, *, root: bool) -> Page | None:
        """Count a failed page (always None); a failing root raises, as there is nothing else to crawl from."""
        report = self.report
        report.failed += 1
        if len(report.errors) < 5:
            report.errors.append(str(exc))
        if root:
            report.complete = False
            raise IngestError(f"the crawl could not start: {exc}") from exc
        return None
