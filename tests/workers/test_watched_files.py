"""A file shared in a watched Slack channel goes through a real Celery worker, which leaves the reaction trail."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from ragbot.adapters.slack.app import build_app
from ragbot.adapters.slack.http_server import SlackHttpServer
from ragbot.config import Settings
from ragbot.providers.celery_queue import CeleryQueue
from ragbot.wiring import build
from tests.adapters.slack.conftest import HANDBOOK, SECRET, Harness
from tests.adapters.slack.test_watching import share
from tests.fakes.providers import FakeEmbedder
from tests.fakes.slack_server import FakeSlack
from tests.workers.support import wait_until


def test_a_worker_indexes_a_watched_file_and_reacts_on_its_message(worker_env, redis_url, start_worker,
                                                                  tmp_path: Path) -> None:
    fake = FakeSlack().start()
    server = None
    try:
        # The worker edits chat through its own Slack client: the fake's token and address, from the environment.
        start_worker({**worker_env, "SLACK_BOT_TOKEN": fake.token, "RAGBOT_SLACK_BASE_URL": fake.base_url},
                     concurrency=1)
        settings = Settings(database_url=worker_env["DATABASE_URL"], redis_url=redis_url, data_dir=tmp_path,
                            slack_bot_token=fake.token, slack_signing_secret=SECRET, slack_base_url=fake.base_url,
                            voyage_api_key=None, anthropic_api_key=None)
        services = build(settings, embedder=FakeEmbedder(), queue=CeleryQueue.from_settings(settings))
        app, rt = build_app(services)
        server = SlackHttpServer(app, host="127.0.0.1", port=0).start()
        h = Harness(fake, services, app, rt, server, None)  # type: ignore[arg-type]
        services.watches.watch(space=f"slack:{fake.team}", channel="C1", workspace_wide=False, by="slack:UADMIN")

        good, _ = share(h, "leave.md", HANDBOOK.encode())
        bad, _ = share(h, "scan.pdf", b"%PDF-1.4\n%%EOF\n")
        wait_until(lambda: fake.reactions.get(("C1", good)) == ["white_check_mark"], timeout=90, what="✅ (worker)")
        wait_until(lambda: fake.reactions.get(("C1", bad)) == ["x"], timeout=90, what="❌ by the worker")
        (reply,) = wait_until(lambda: [m for m in fake.thread("C1", bad) if m.get("bot_id")], timeout=30,
                              what="the failure reply")
        assert "scan.pdf" in reply["text"] and reply["thread_ts"] == bad
        with services.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT filename, status FROM documents")).all())
        assert rows == {"leave.md": "ready", "scan.pdf": "failed"}
        rt.close()
        services.engine.dispose()
    finally:
        if server is not None:
            server.stop()
        fake.stop()
