"""VoyageEmbedder against a local fake of the Voyage API, through the real voyageai SDK."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from ragbot.errors import RagbotError, TransientError
from ragbot.providers.voyage import VoyageEmbedder, batches
from tests.fakes.voyage_server import FakeVoyageServer, fake_vector

KEY = "pa-test-key"


@pytest.fixture
def server() -> Iterator[FakeVoyageServer]:
    with FakeVoyageServer(api_key=KEY) as s:
        yield s


def make(server: FakeVoyageServer, **kwargs: object) -> tuple[VoyageEmbedder, list[float]]:
    """An embedder that records its backoff delays instead of sleeping."""
    slept: list[float] = []
    options: dict = {"base_delay": 0.001, "max_delay": 0.01, "sleep": slept.append, **kwargs}
    return VoyageEmbedder(KEY, base_url=server.base_url, **options), slept


def test_documents_and_queries_use_their_input_type(server: FakeVoyageServer) -> None:
    embedder, _ = make(server)
    assert (embedder.model_id, embedder.dim) == ("voyage-3.5", 1024)
    docs = embedder.embed_documents(["alpha", "beta"])
    query = embedder.embed_query("gamma")
    assert docs[0] == pytest.approx(fake_vector("alpha", 1024), abs=1e-6)
    assert docs[1] == pytest.approx(fake_vector("beta", 1024), abs=1e-6)
    assert query == pytest.approx(fake_vector("gamma", 1024), abs=1e-6)
    first, second = server.embedding_requests()
    assert first.body["input_type"] == "document" and first.body["input"] == ["alpha", "beta"]
    assert second.body["input_type"] == "query" and second.body["input"] == ["gamma"]
    assert first.body["model"] == "voyage-3.5"
    assert first.headers["authorization"] == f"Bearer {KEY}"


def test_large_inputs_are_split_into_batches_in_order(server: FakeVoyageServer) -> None:
    embedder, _ = make(server, max_batch_texts=3)
    texts = [f"text number {i}" for i in range(7)]
    vectors = embedder.embed_documents(texts)
    assert [len(r.body["input"]) for r in server.embedding_requests()] == [3, 3, 1]
    for text, vec in zip(texts, vectors, strict=True):
        assert vec == pytest.approx(fake_vector(text, 1024), abs=1e-6)


def test_default_batches_stay_within_the_api_limits() -> None:
    with FakeVoyageServer(api_key=KEY, dim=8) as server:
        embedder, _ = make(server, output_dimension=8)
        vectors = embedder.embed_documents([f"t{i}" for i in range(2500)])
        assert len(vectors) == 2500
        assert [len(r.body["input"]) for r in server.embedding_requests()] == [1000, 1000, 500]


def test_token_budget_splits_batches() -> None:
    texts = ["x" * 300] * 5  # about 101 estimated tokens each
    assert [len(b) for _, b in batches(texts, max_texts=1000, max_tokens=250)] == [2, 2, 1]
    assert [offset for offset, _ in batches(texts, max_texts=1000, max_tokens=250)] == [0, 2, 4]
    assert [len(b) for _, b in batches(["y" * 9000], max_texts=10, max_tokens=100)] == [1]  # one oversize text alone


def test_rate_limit_is_retried_with_backoff(server: FakeVoyageServer) -> None:
    embedder, slept = make(server)
    server.fail_next(2, status=429)
    assert embedder.embed_query("q") == pytest.approx(fake_vector("q", 1024), abs=1e-6)
    assert len(server.embedding_requests()) == 3
    assert len(slept) == 2 and all(0 < s <= 0.01 for s in slept)


def test_retry_after_header_is_honoured(server: FakeVoyageServer) -> None:
    embedder, slept = make(server, max_delay=5.0)
    server.fail_next(1, status=429, retry_after="2")
    embedder.embed_query("q")
    assert slept == [2.0]


def test_persistent_server_errors_become_transient(server: FakeVoyageServer) -> None:
    embedder, slept = make(server, max_attempts=5)
    server.fail_next(10, status=500)
    with pytest.raises(TransientError, match="Voyage AI embeddings failed after 5 attempts"):
        embedder.embed_documents(["a"])
    assert len(server.embedding_requests()) == 5
    assert len(slept) == 4


def test_503_is_transient_too(server: FakeVoyageServer) -> None:
    embedder, _ = make(server, max_attempts=2)
    server.fail_next(2, status=503)
    with pytest.raises(TransientError):
        embedder.embed_query("a")


def test_unreachable_server_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: nothing listens there
    embedder = VoyageEmbedder(KEY, base_url=f"http://127.0.0.1:{port}/v1", max_attempts=2, sleep=lambda _: None)
    with pytest.raises(TransientError):
        embedder.embed_query("a")


def test_rejected_key_is_a_clear_permanent_error(server: FakeVoyageServer) -> None:
    embedder = VoyageEmbedder("wrong", base_url=server.base_url, sleep=lambda _: None)
    with pytest.raises(RagbotError, match="VOYAGE_API_KEY") as info:
        embedder.embed_query("a")
    assert not isinstance(info.value, TransientError)
    assert len(server.embedding_requests()) == 1


def test_bad_request_is_not_retried() -> None:
    with FakeVoyageServer(api_key=KEY, max_texts=2) as server:
        embedder, _ = make(server, max_batch_texts=5)
        with pytest.raises(RagbotError, match="rejected the request") as info:
            embedder.embed_documents(["a", "b", "c"])
        assert not isinstance(info.value, TransientError)
        assert len(server.embedding_requests()) == 1


def test_unknown_model_discovers_its_dimension() -> None:
    with FakeVoyageServer(api_key=KEY, dim=16) as server:
        embedder, _ = make(server, model="voyage-future-9")
        assert embedder.dim == 16
        assert server.embedding_requests()[0].body["model"] == "voyage-future-9"


def test_output_dimension_is_sent(server: FakeVoyageServer) -> None:
    embedder, _ = make(server, output_dimension=256)
    assert embedder.dim == 256
    assert len(embedder.embed_query("a")) == 256
    assert server.embedding_requests()[0].body["output_dimension"] == 256


def test_blank_texts_are_sent_as_a_space(server: FakeVoyageServer) -> None:
    embedder, _ = make(server)
    assert len(embedder.embed_documents(["", "ok"])) == 2
    assert server.embedding_requests()[0].body["input"] == [" ", "ok"]


def test_missing_key_is_reported_up_front() -> None:
    with pytest.raises(RagbotError, match="VOYAGE_API_KEY is not set"):
        VoyageEmbedder("")
