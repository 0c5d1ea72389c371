"""A document whose enqueue failed never sits queued without a reason anyone can read."""

from __future__ import annotations

from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.providers.celery_queue import CeleryQueue
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.support import free_port


def test_a_chat_upload_with_the_queue_down_says_why_it_waits(clean_db, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    down = CeleryQueue.from_settings(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}))
    svc = build(settings, embedder=FakeEmbedder(), chat=FakeChatModel(), queue=down)
    accepted = svc.chat_service("slack").add_file(
        scope=Scope("slack:T1", "C1"), data=b"The office opens at nine.", filename="office.md", source_uri="office.md",
        uploader="slack:U1")
    assert not accepted.queued and "when the queue is back" in accepted.message
    (doc,) = svc.admin.documents(space="slack:T1")
    assert doc.status == "queued" and doc.error and "queue was unreachable" in doc.error
    svc.engine.dispose()
