"""/upload url:… crawl:True on the fake Discord: one status message for the whole crawl; /admin forget-site."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from ragbot.adapters.status import status_updaters
from ragbot.crawl import sync
from ragbot.ingestion.pipeline import ingest_document
from ragbot.wiring import Services, build
from tests.adapters.discord.conftest import make_bot, run, running
from tests.crawl.site import DocSite
from tests.fakes.discord_server import ADMIN_ID, CHANNEL_ID, FakeDiscord
from tests.fakes.providers import FakeChatModel, FakeEmbedder


class CrawlQueue:
    """Runs page ingestions in threads, as workers would; crawl tasks are recorded for the test to run."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.crawls: list[dict[str, Any]] = []
        self.threads: list[threading.Thread] = []

    def enqueue(self, task_name: str, **kwargs: Any) -> None:
        assert self.services is not None
        if task_name == sync.CRAWL_TASK:
            self.crawls.append(kwargs)
            return
        thread = threading.Thread(target=ingest_document, args=(self.services.ingest, kwargs["document_id"]))
        thread.start()
        self.threads.append(thread)


@pytest.fixture
def crawl_services(clean_db, settings, fake: FakeDiscord) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    s = settings.model_copy(update={"discord_token": "test-token", "discord_api_base_url": fake.base_url,
                                    "allow_private_urls": True, "crawl_delay_ms": 0})
    queue = CrawlQueue()
    svc = build(s, embedder=FakeEmbedder(), chat=FakeChatModel(), queue=queue, status_updaters=status_updaters(s))
    queue.services = svc
    yield svc
    for thread in queue.threads:
        thread.join(30)
    svc.engine.dispose()


def test_upload_with_crawl_reports_the_whole_site_in_one_message_and_admins_forget_it(
        crawl_services: Services, fake: FakeDiscord, site: DocSite) -> None:
    queue: CrawlQueue = crawl_services.queue  # type: ignore[assignment]

    async def scenario() -> None:
        async with running(make_bot(crawl_services), fake):
            fake.command("upload", {"url": f"{site.base}/docs/", "crawl": True})
            await fake.wait_for(lambda: queue.crawls, what="the crawl task")
            # What the worker's task runs, off the bot's event loop as in a worker process.
            await asyncio.to_thread(crawl_services.sites.crawl_site, queue.crawls[0]["site_id"])

            def done() -> list[str]:
                return [m["content"] for m in fake.channel_log(CHANNEL_ID) if "Ask away" in m["content"]]

            final = await fake.wait_for(done, what="the site's final status")
            assert "0 queued" in final[0] and "1 failed" in final[0] and f"**{site.base}/docs/**" in final[0]
            crawl_lines = [m for m in fake.channel_log(CHANNEL_ID) if "/docs/" in m["content"]]
            assert len(crawl_lines) == 1  # one status message for the whole crawl

            token = fake.command("admin", {"site": f"{site.base}/docs/"}, sub="forget-site", uid=ADMIN_ID)
            await fake.wait_for(lambda: fake.interactions[token]["original"])
            prompt = fake.messages[fake.interactions[token]["original"]]
            assert "Delete **" in prompt["content"] and "pages?" in prompt["content"]
            fake.click(prompt, prompt["components"][0]["components"][0]["custom_id"], uid=ADMIN_ID)

            def forgotten() -> bool:
                with crawl_services.engine.connect() as conn:
                    return conn.execute(text("SELECT count(*) FROM sites")).scalar_one() == 0

            await fake.wait_for(forgotten, what="the site to be forgotten")

    run(scenario())
    with crawl_services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar_one() == 0
