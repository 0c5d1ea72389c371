"""RAGBOT_STALE_POLICY=warn keeps citing a dead source, marked; the owner of a source that goes dead is told once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ragbot.adapters.slack.status import SlackStatusUpdater
from ragbot.domain import Adder
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.fakes.slack_server import FakeSlack
from tests.storage.test_stale import QUESTION, SCOPE, _doc, _setup, page  # noqa: F401 (page is a fixture)


def _services(settings, **overrides: Any):  # type: ignore[no-untyped-def]
    s = settings.model_copy(update={"allow_private_urls": True, **overrides})
    updaters = [SlackStatusUpdater(s)] if s.slack_bot_token else []
    return build(s, embedder=FakeEmbedder(), chat=FakeChatModel(), status_updaters=updaters)


def test_warn_keeps_citing_a_dead_source_marked_unreachable_and_hide_drops_it_at_the_next_failure(
        clean_db, settings, page) -> None:  # noqa: F811
    state, url = page
    warn = _services(settings, stale_policy="warn")
    doc_id = _setup(warn, url)
    state.status = 404
    warn.jobs.resync_url(doc_id)
    row = _doc(warn, doc_id)
    assert row.stale and "still cited, marked as unreachable" in row.error
    cited = {c.source: c for c in warn.rag.answer(QUESTION, scope=SCOPE).citations}
    assert cited[url].unreachable and not cited["wiki.md"].unreachable
    as_json = warn.rag.answer(QUESTION, scope=SCOPE).to_json()["citations"]
    assert [c.get("unreachable", False) for c in as_json if c["source"] == url] == [True]

    hide = _services(settings, stale_policy="hide")  # the admin changes the policy; the next re-sync applies it
    hide.jobs.resync_url(doc_id)
    assert url not in [c.source for c in hide.rag.answer(QUESTION, scope=SCOPE).citations]
    warn.engine.dispose()
    hide.engine.dispose()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def test_the_owner_is_told_once_in_a_dm_when_their_source_goes_dead(clean_db, settings, page, slack) -> None:  # noqa: F811
    state, url = page
    svc = _services(settings, slack_bot_token=slack.token, slack_base_url=slack.base_url)
    doc_id = intake.add_url(svc.engine, scope=SCOPE, url=url, by=Adder("slack:U7", "Uma", "url", False)).document_id
    assert ingest_document(svc.ingest, doc_id).status == "ready"
    state.status = 410
    svc.jobs.resync_url(doc_id)
    svc.jobs.resync_url(doc_id)  # still dead: no second message
    dms = [c.body for c in slack.api_calls("chat.postMessage") if c.body.get("channel") == "U7"]
    assert len(dms) == 1
    assert "could not be fetched on its last re-sync" in dms[0]["text"] and url in dms[0]["text"]
    assert "Ragbot no longer cites it" in dms[0]["text"]
    assert not slack.api_calls("chat.update")  # the old upload message is left alone
    svc.engine.dispose()
