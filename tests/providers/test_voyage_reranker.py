"""VoyageReranker against a local fake of the Voyage rerank API, through the real voyageai SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ragbot.errors import RagbotError, TransientError
from ragbot.providers.voyage_rerank import VoyageReranker
from tests.fakes.voyage_server import RERANK, FakeVoyageServer

KEY = "pa-test-key"
PASSAGES = ["The on-call engineer answers pages.", "Employees get 25 vacation days per year.", "Days expire."]


@pytest.fixture
def server() -> Iterator[FakeVoyageServer]:
    with FakeVoyageServer(api_key=KEY) as s:
        yield s


def make(server: FakeVoyageServer, key: str = KEY, **kwargs: object) -> tuple[VoyageReranker, list[float]]:
    """A reranker that records its backoff delays instead of sleeping."""
    slept: list[float] = []
    options: dict = {"base_delay": 0.001, "max_delay": 0.01, "sleep": slept.append, **kwargs}
    return VoyageReranker(key, base_url=server.base_url, **options), slept


def test_request_shape_and_parsed_ranking(server: FakeVoyageServer) -> None:
    reranker, _ = make(server)
    assert reranker.model_id == "rerank-2.5-lite"
    assert reranker.rerank("vacation days", PASSAGES, top_k=2) == [(1, 1.0), (2, 0.5)]
    (request,) = server.rerank_requests()
    assert request.method == "POST" and request.path == RERANK
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["query"] == "vacation days" and request.body["documents"] == PASSAGES
    assert request.body["model"] == "rerank-2.5-lite" and request.body["top_k"] == 2
    assert request.body["truncation"] is True


def test_top_k_is_capped_at_the_passages_and_blanks_are_sent_as_a_space(server: FakeVoyageServer) -> None:
    reranker, _ = make(server, model="rerank-2.5")
    assert [i for i, _ in reranker.rerank("vacation", ["", "vacation"], top_k=10)] == [1, 0]
    body = server.rerank_requests()[0].body
    assert body["documents"] == [" ", "vacation"] and body["top_k"] == 2 and body["model"] == "rerank-2.5"


def test_nothing_to_rerank_makes_no_request(server: FakeVoyageServer) -> None:
    reranker, _ = make(server)
    assert reranker.rerank("q", [], top_k=5) == []
    assert server.rerank_requests() == []


def test_rate_limit_is_retried_with_backoff(server: FakeVoyageServer) -> None:
    reranker, slept = make(server)
    server.fail_next(2, status=429, path=RERANK)
    assert reranker.rerank("vacation days", PASSAGES, top_k=1) == [(1, 1.0)]
    assert len(server.rerank_requests()) == 3
    assert len(slept) == 2 and all(0 < s <= 0.01 for s in slept)


def test_persistent_server_errors_become_transient(server: FakeVoyageServer) -> None:
    reranker, slept = make(server, max_attempts=3)
    server.fail_next(5, status=500, path=RERANK)
    with pytest.raises(TransientError, match="Voyage AI rerank failed after 3 attempts"):
        reranker.rerank("vacation", PASSAGES, top_k=1)
    assert len(server.rerank_requests()) == 3 and len(slept) == 2


def test_rejected_key_is_a_clear_permanent_error(server: FakeVoyageServer) -> None:
    reranker, slept = make(server, key="wrong")
    with pytest.raises(RagbotError, match="rejected the VOYAGE_API_KEY.*RAGBOT_RERANKER=none") as info:
        reranker.rerank("vacation", PASSAGES, top_k=1)
    assert not isinstance(info.value, TransientError)
    assert len(server.rerank_requests()) == 1 and slept == []


def test_missing_key_is_reported_up_front() -> None:
    with pytest.raises(RagbotError, match="VOYAGE_API_KEY is not set"):
        VoyageReranker("")
