"""Crawling a small documentation site on loopback: sitemap, robots.txt, PDF, redirect loop, link trap, budget."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from ragbot.crawl import sync
from ragbot.crawl.scope import MAX_QUERY_VARIANTS
from ragbot.domain import Scope
from ragbot.ingestion.fetch import BlockedUrl
from tests.crawl.site import DocSite, page
from tests.fakes.providers import FakeChatModel, FakeEmbedder


class RecordingQueue:
    """An IngestQueue that only records what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def enqueue(self, task_name: str, **kwargs: Any) -> None:
        """Record the task."""
        self.sent.append((task_name, kwargs))


@pytest.fixture
def crawl_svc(clean_db, settings, fake_embedder: FakeEmbedder):  # type: ignore[no-untyped-def]
    from ragbot.wiring import build

    # The loopback allowlist: without it the SSRF guard refuses 127.0.0.1, as the last test shows.
    s = settings.model_copy(update={"allow_private_urls": True, "crawl_delay_ms": 0})
    services = build(s, embedder=fake_embedder, chat=FakeChatModel(), queue=RecordingQueue())
    yield services
    services.engine.dispose()


def _pages(svc) -> dict[str, tuple[str, int]]:  # type: ignore[no-untyped-def]
    with svc.engine.connect() as conn:
        rows = conn.execute(text("SELECT source_uri, status, chunk_count FROM documents WHERE site_id IS NOT NULL"))
        return {r.source_uri: (r.status, r.chunk_count) for r in rows}


def _crawl(svc, url: str, **kwargs: Any) -> sync.CrawlOutcome:  # type: ignore[no-untyped-def]
    found = svc.sites.add_site(scope=Scope("local"), url=url, **kwargs)
    return svc.sites.crawl_site(found.id, inline=True)


def test_a_crawl_keeps_to_the_prefix_reads_the_sitemap_obeys_robots_and_survives_loops_and_traps(
        crawl_svc, site: DocSite) -> None:
    outcome = _crawl(crawl_svc, f"{site.base}/docs/")
    pages = _pages(crawl_svc)
    base = f"{site.base}/docs/"
    # HTML and PDF pages under the prefix, including one only the sitemap lists, each one ready document.
    ready = {u for u, (status, chunks) in pages.items() if status == "ready" and chunks > 0}
    calendar = {u for u in ready if "/calendar?" in u}
    assert ready - calendar == {
        base, base + "install.html", base + "guide.html", base + "orphan.html", base + "manual.pdf"}
    # robots.txt's disallowed path, the blog outside the prefix (linked, listed and redirected to) and the image
    # are never requested.
    assert not [h for h in site.hits if "private" in h or h.startswith("/blog") or h.endswith(".png")]
    assert site.hits[0] == "/robots.txt"
    # The link trap is cut off after a few generated links, long before the page budget.
    assert 1 <= len(calendar) == len([h for h in site.hits if h.startswith("/docs/calendar")]) <= MAX_QUERY_VARIANTS
    report = outcome.report
    assert report is not None
    assert report.skipped["robots.txt"] >= 1 and report.skipped["not HTML or PDF"] == 2  # offices.csv, logo.png
    assert report.skipped["redirects off the site"] == 1 and report.skipped["link trap"] >= 1
    assert report.failed == 1 and "loop" in report.errors[0]
    assert "link trap" in outcome.text and f"{len(ready)} ready" in outcome.text and "1 failed" in outcome.text
    with crawl_svc.engine.connect() as conn:
        chunk = conn.execute(text("SELECT text FROM chunks WHERE text LIKE '%wombat%'")).scalar()
        site_row = conn.execute(text("SELECT state, note FROM sites")).one()
    assert chunk is not None and site_row.state == "done" and "link trap" in site_row.note


def test_the_page_budget_stops_the_crawl_cleanly_and_says_so(crawl_svc, site: DocSite) -> None:
    outcome = _crawl(crawl_svc, f"{site.base}/docs/", max_pages=3)
    assert len(_pages(crawl_svc)) == 3
    assert "page budget of 3" in outcome.text and "--max-pages" in outcome.text
    pages_asked = [h for h in site.hits if h not in ("/robots.txt", "/sitemap.xml", "/docs/sitemap.xml")]
    assert len(pages_asked) == 3


def test_a_resync_reingests_changed_pages_only_and_forgets_removed_ones(
        crawl_svc, site: DocSite, fake_embedder: FakeEmbedder) -> None:
    first = _crawl(crawl_svc, f"{site.base}/docs/")
    count = first.new_or_changed
    assert count == len(_pages(crawl_svc)) >= 5
    base = f"{site.base}/docs/"
    embedded = fake_embedder.calls
    again = crawl_svc.sites.crawl_site(first.site_id, inline=True)
    assert (again.new_or_changed, again.unchanged, again.forgotten) == (0, count, 0)
    assert fake_embedder.calls == embedded  # unchanged pages: no embedding at all

    site.html("/docs/install.html", page("Installing", "Now the installer needs a quokka licence.", "guide.html"))
    del site.routes["/docs/guide.html"]  # still linked from the index: answers 404 now
    site.routes["/sitemap.xml"] = (200, {"Content-Type": "application/xml"}, site.routes["/sitemap.xml"][2].replace(
        f"<url><loc>{base}orphan.html</loc></url>".encode(), b""))  # and the orphan is no longer listed anywhere
    third = crawl_svc.sites.crawl_site(first.site_id, inline=True)
    assert (third.new_or_changed, third.forgotten) == (1, 2)
    assert {u for u in _pages(crawl_svc) if "calendar" not in u} == {base, base + "install.html", base + "manual.pdf"}
    with crawl_svc.engine.connect() as conn:
        texts = [r.text for r in conn.execute(text("SELECT text FROM chunks"))]
    assert any("quokka" in t for t in texts) and not any("wombat" in t or "zeppelin" in t for t in texts)
    assert "forgot 2 pages" in third.text
    with crawl_svc.engine.connect() as conn:  # the audit trail says what the crawls did, page by page
        trail = conn.execute(text("SELECT action, subject, detail FROM audit_log ORDER BY id")).all()
    assert trail[0].action == "added" and trail[0].subject == base and "site to crawl" in trail[0].detail
    assert sorted((a, s) for a, s, _ in trail if a in ("replaced", "deleted")) == [
        ("deleted", base + "guide.html"), ("deleted", base + "orphan.html"), ("replaced", base + "install.html")]


def test_beat_queues_every_site_by_task_name_and_forgetting_a_site_deletes_its_pages(crawl_svc, site) -> None:
    first = _crawl(crawl_svc, f"{site.base}/docs/")
    assert crawl_svc.sites.resync_sites() == [first.site_id]
    assert crawl_svc.queue.sent[-1] == (sync.CRAWL_TASK, {"site_id": first.site_id, "quiet": True})
    with crawl_svc.engine.begin() as conn:  # as if that crawl were running now
        conn.execute(text("UPDATE sites SET state = 'crawling', state_changed_at = now()"))
    assert crawl_svc.sites.resync_sites() == []
    assert "running already" in crawl_svc.sites.queue_crawl(first.site_id)
    with crawl_svc.engine.begin() as conn:  # and as if it had died long ago
        conn.execute(text("UPDATE sites SET state_changed_at = now() - interval '2 hours'"))
    assert crawl_svc.sites.resync_sites() == [first.site_id]
    found = crawl_svc.sites.list_sites()
    count = first.new_or_changed
    assert [(s.root_url, s.pages.get("ready")) for s in found] == [(f"{site.base}/docs/", count)]
    gone, pages = crawl_svc.sites.forget_site(f"{site.base}/docs")
    assert (gone.id, pages) == (first.site_id, count)
    with crawl_svc.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM chunks")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM sites")).scalar() == 0


def test_without_the_allowlist_a_loopback_site_is_refused_before_anything_is_fetched(
        svc, site: DocSite) -> None:
    with pytest.raises(BlockedUrl, match="loopback"):
        svc.sites.add_site(scope=Scope("local"), url=f"{site.base}/docs/")
    assert site.hits == []


def test_a_root_that_fails_fails_the_crawl_with_the_reason(crawl_svc, site: DocSite) -> None:
    outcome = _crawl(crawl_svc, f"{site.base}/missing/")
    assert "could not start" in outcome.text and "404" in outcome.text
    with crawl_svc.engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM sites")).scalar() == "failed"


def test_a_root_that_redirects_off_its_own_prefix_says_which_address_to_crawl(crawl_svc, site: DocSite) -> None:
    site.redirect("/handbook/", "/docs/")
    outcome = _crawl(crawl_svc, f"{site.base}/handbook/")
    assert "could not start" in outcome.text and "Crawl the address it redirects to instead" in outcome.text
    assert "/docs/" not in site.hits  # the hop was refused before it was followed


def test_requests_keep_the_politeness_delay_and_an_oversized_page_fails_alone(clean_db, settings, site) -> None:
    from ragbot.wiring import build

    s = settings.model_copy(update={"allow_private_urls": True, "crawl_delay_ms": 150, "max_upload_mb": 0.01})
    svc = build(s, embedder=FakeEmbedder(), chat=FakeChatModel(), queue=RecordingQueue())
    site.html("/small/", page("Small", "A page that fits.", "big.html", "other.html"))
    site.html("/small/big.html", page("Big", "x" * 20_000))
    site.html("/small/other.html", page("Other", "Another page that fits."))
    try:
        outcome = _crawl(svc, f"{site.base}/small/")
    finally:
        svc.engine.dispose()
    gaps = [later - earlier for earlier, later in zip(site.times, site.times[1:], strict=False)]
    assert len(gaps) >= 4 and min(gaps) >= 0.14  # robots.txt, sitemaps and pages, one at a time
    assert outcome.report is not None and outcome.report.failed == 1 and "MB limit" in outcome.report.errors[0]
    assert sorted(_pages(svc)) == [f"{site.base}/small/", f"{site.base}/small/other.html"]


def test_robots_txt_that_answers_5xx_stops_the_crawl_and_forgets_nothing(crawl_svc, site: DocSite) -> None:
    first = _crawl(crawl_svc, f"{site.base}/docs/")
    pages = set(_pages(crawl_svc))
    site.routes["/robots.txt"] = (503, {"Content-Type": "text/plain"}, b"down for maintenance")
    site.hits.clear()
    again = crawl_svc.sites.crawl_site(first.site_id, inline=True)
    assert "robots.txt could not be read" in again.text and "503" in again.text
    assert site.hits == ["/robots.txt"] and set(_pages(crawl_svc)) == pages


def test_robots_txt_redirected_on_the_same_host_still_applies(crawl_svc, site: DocSite) -> None:
    site.routes["/static/robots.txt"] = site.routes.pop("/robots.txt")
    site.redirect("/robots.txt", "/static/robots.txt")
    _crawl(crawl_svc, f"{site.base}/docs/")
    assert "/static/robots.txt" in site.hits and not [h for h in site.hits if "private" in h]
