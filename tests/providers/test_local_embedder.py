"""The offline MiniLM embedder, run for real on onnxruntime."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ragbot.providers.local_embedder import LocalEmbedder


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder(batch_size=2)  # small batches so ordering across batches is exercised


def _cos(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


def test_identity_and_shape(embedder: LocalEmbedder) -> None:
    assert embedder.model_id == "all-MiniLM-L6-v2-int8"
    assert embedder.dim == 384
    v = embedder.embed_query("hello world")
    assert len(v) == 384
    assert all(isinstance(x, float) for x in v)
    assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-4)


def test_paraphrase_scores_higher_than_unrelated(embedder: LocalEmbedder) -> None:
    q = embedder.embed_query("How many vacation days do I get?")
    para, unrelated = embedder.embed_documents(
        ["Employees receive 25 days of paid annual leave.", "The cafeteria serves soup and sandwiches at noon."]
    )
    assert _cos(q, para) > _cos(q, unrelated) + 0.2


def test_batches_keep_input_order(embedder: LocalEmbedder) -> None:
    texts = [
        "A fairly long sentence about the reimbursement of travel expenses for employees abroad.",
        "Short.",
        "Medium length text about laptops.",
        "Another quite long sentence describing how passwords must be rotated every ninety days.",
        "Tiny",
    ]
    together = embedder.embed_documents(texts)
    one_by_one = [embedder.embed_query(t) for t in texts]
    assert len(together) == len(texts)
    np.testing.assert_allclose(np.array(together), np.array(one_by_one), atol=1e-4)
    assert np.linalg.norm(np.array(together), axis=1) == pytest.approx([1.0] * len(texts), abs=1e-4)


def test_empty_ish_and_long_inputs(embedder: LocalEmbedder) -> None:
    assert embedder.embed_documents([]) == []
    vectors = embedder.embed_documents(["", " ", "\n\t", "word " * 3000])
    arr = np.array(vectors)
    assert arr.shape == (4, 384)
    assert np.isfinite(arr).all()
    assert np.linalg.norm(arr, axis=1) == pytest.approx([1.0] * 4, abs=1e-4)


def test_lazy_load_is_thread_safe() -> None:
    fresh = LocalEmbedder()
    results: list[list[float]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(fresh.embed_query("thread safety"))
        except BaseException as e:  # surfaced by the assert below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 4
    for r in results[1:]:
        np.testing.assert_allclose(r, results[0], atol=1e-6)


def test_the_onnx_session_gives_memory_back_between_batches() -> None:
    embedder = LocalEmbedder()
    embedder.load()
    options = embedder._session.get_session_options()
    # Batches change shape all the time: an arena or memory patterns would keep every shape's peak for good.
    assert options.enable_cpu_mem_arena is False and options.enable_mem_pattern is False
    assert embedder.batch_tokens == 1024  # 4 texts of 256 tokens: attention tensors of ~12 MB, not 100 MB


def test_a_question_embedded_again_is_not_run_through_the_model_again(embedder: LocalEmbedder) -> None:
    # An answer embeds its question to retrieve and again to pick its lines by meaning.
    first = embedder.embed_query("How many vacation days carry over?")
    before = embedder._query_vector.cache_info()
    again = embedder.embed_query("How many vacation days carry over?")
    after = embedder._query_vector.cache_info()
    assert again == first and again is not first  # a fresh list: a caller may change it
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
    embedder.embed_query("How many parental leave weeks?")  # another question is embedded
    assert embedder._query_vector.cache_info().misses == before.misses + 1
