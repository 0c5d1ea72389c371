"""A real Celery worker runs a crawl sent by task name: pages fan out to ingest tasks and end ready."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text

from ragbot.config import Settings
from ragbot.crawl import sync
from ragbot.domain import Scope
from ragbot.providers.celery_queue import CeleryQueue
from tests.crawl.site import DocSite, handbook_site
from tests.workers.support import wait_until


def test_a_worker_crawls_a_site_sent_by_name_and_its_pages_are_indexed_by_ingest_tasks(
        svc, worker_env, start_worker) -> None:
    site = handbook_site(DocSite())
    try:
        env = {**worker_env, "RAGBOT_ALLOW_PRIVATE_URLS": "true", "RAGBOT_CRAWL_DELAY_MS": "0"}
        start_worker(env, concurrency=2)
        allowed = svc.settings.model_copy(update={"allow_private_urls": True})
        found = replace(svc, settings=allowed).sites.add_site(scope=Scope("local"), url=f"{site.base}/docs/")
        queue = CeleryQueue.from_settings(Settings(redis_url=env["REDIS_URL"]))
        queue.enqueue(sync.CRAWL_TASK, site_id=found.id, quiet=False)

        def settled() -> dict[str, int] | None:
            with svc.engine.connect() as conn:
                state = conn.execute(text("SELECT state FROM sites WHERE id = :i"), {"i": found.id}).scalar()
                rows = conn.execute(text("SELECT status, count(*) AS n FROM documents WHERE site_id = :i"
                                         " GROUP BY status"), {"i": found.id}).all()
            counts = {r.status: r.n for r in rows}
            return counts if state == "done" and set(counts) == {"ready"} else None

        counts = wait_until(settled, timeout=120, what="the crawl and its page ingestions")
        assert counts["ready"] >= 5
        with svc.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM chunks WHERE text LIKE '%zeppelin%'")).scalar() >= 1
    finally:
        site.close()
