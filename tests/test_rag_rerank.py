"""RagService with the Voyage reranker (against the fake Voyage server): reorders, falls back, off without a key."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.providers.voyage_rerank import VoyageReranker
from ragbot.wiring import Services, build
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.fakes.voyage_server import RERANK, FakeVoyageServer

KEY = "pa-test-key"
QUESTION = "badge reset"
# "badge.md" repeats one question word, so its bag-of-words cosine is highest and it leads the fused order;
# "reset.md" holds both words among many others, so the fake reranker's word overlap puts it first.
DOCS = {
    "badge.md": "Badge badge badge badge.",
    "reset.md": "To reset a lost badge, visit the front desk with photo identification and wait for security.",
    "parking.md": "Parking spaces are assigned by the facilities team every quarter.",
}


@pytest.fixture
def voyage() -> Iterator[FakeVoyageServer]:
    with FakeVoyageServer(api_key=KEY) as s:
        yield s


@pytest.fixture
def make(clean_db, settings: Settings, voyage: FakeVoyageServer) -> Iterator[Callable[..., Services]]:  # type: ignore[no-untyped-def]
    """Services built by the composition root from settings changed by keyword; the embedder stays offline."""
    built: list[Services] = []

    def _make(**changes: object) -> Services:
        s = settings.model_copy(update={"voyage_base_url": voyage.base_url, "embedder": "local", **changes})
        svc = build(s, embedder=FakeEmbedder(), chat=FakeChatModel())
        built.append(svc)
        return svc

    yield _make
    for svc in built:
        svc.engine.dispose()


def seed(svc: Services) -> None:
    for name, body in DOCS.items():
        acc = intake.add_file(svc.engine, scope=Scope("local"), data=body.encode(), filename=name,
                              source_uri=f"handbook/{name}", max_bytes=10**6)
        ingest_document(svc.ingest, acc.document_id)


def sources(svc: Services, k: int = 2) -> list[str]:
    return [p.source for p in svc.rag.retrieve(QUESTION, scope=Scope("local"), k=k)]


def test_auto_without_a_key_does_not_rerank(make: Callable[..., Services], voyage: FakeVoyageServer) -> None:
    svc = make(reranker="auto", voyage_api_key=None)
    assert svc.rag.reranker is None and svc.rag.reranker_name == "none"
    seed(svc)
    assert sources(svc) == ["handbook/badge.md", "handbook/reset.md"]
    assert voyage.rerank_requests() == []


def test_auto_with_a_key_reranks_and_none_turns_it_off(make: Callable[..., Services]) -> None:
    assert isinstance(make(reranker="auto", voyage_api_key=KEY).rag.reranker, VoyageReranker)
    assert make(reranker="none", voyage_api_key=KEY).rag.reranker is None


def test_reranker_reorders_the_fused_candidates(make: Callable[..., Services], voyage: FakeVoyageServer) -> None:
    svc = make(reranker="voyage", voyage_api_key=KEY, rerank_model="rerank-2.5", rerank_candidates=30)
    seed(svc)
    fused = make(reranker="none")
    assert sources(fused) == ["handbook/badge.md", "handbook/reset.md"]  # the order without a reranker
    passages = svc.rag.retrieve(QUESTION, scope=Scope("local"), k=2)
    assert [p.source for p in passages] == ["handbook/reset.md", "handbook/badge.md"]
    assert [p.score for p in passages] == [1.0, 0.5]  # the reranker's scores; cosine stays in similarity
    (request,) = voyage.rerank_requests()
    # Every fused candidate went to the reranker (3 documents < rerank_candidates), and it was asked for k.
    assert sorted(request.body["documents"]) == sorted(DOCS.values())
    assert request.body["top_k"] == 2 and request.body["model"] == "rerank-2.5" and request.body["query"] == QUESTION
    answer = svc.rag.answer(QUESTION, scope=Scope("local"))
    assert answer.grounded and answer.citations[0].source == "handbook/reset.md"


@pytest.mark.parametrize(("key", "fail"), [(KEY, 500), ("wrong-key", 0)], ids=["server-down", "key-refused"])
def test_failing_reranker_falls_back_to_the_fused_order(
    make: Callable[..., Services], voyage: FakeVoyageServer, caplog: pytest.LogCaptureFixture, key: str, fail: int
) -> None:
    svc = make(reranker="voyage", voyage_api_key=key)
    seed(svc)
    if fail:
        voyage.fail_next(10, status=fail, path=RERANK)
    with caplog.at_level(logging.WARNING, logger="ragbot.rag"):
        answer = svc.rag.answer(QUESTION, scope=Scope("local"))
    assert voyage.rerank_requests(), "the reranker was not called"
    assert answer.grounded and answer.citations[0].source == "handbook/badge.md"
    assert any("answering from the fused order" in r.getMessage() for r in caplog.records)


def test_dont_know_stays_on_cosine_similarity(make: Callable[..., Services], voyage: FakeVoyageServer) -> None:
    svc = make(reranker="voyage", voyage_api_key=KEY, min_similarity=0.99)
    seed(svc)
    # The reranker scores reset.md first, but no passage's cosine reaches 0.99: the bot still says it does not know.
    # (A word no passage holds: keyword search on every word of the question would answer far below the floor.)
    answer = svc.rag.answer(QUESTION + " fee", scope=Scope("local"))
    assert voyage.rerank_requests() and not answer.grounded
    assert svc.chat.seen == []  # decided before the model was asked
