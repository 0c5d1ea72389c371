"""Full-text ranking word by word (one GIN lookup per kept word) ranks like testing every word on every row."""

from __future__ import annotations

import random

import numpy as np
from sqlalchemy import text

from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.storage.search import build_sql
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder

_COMMON = "the deploy release service team config build test queue worker cache index"
_RARE = [f"term{i:03d}" for i in range(60)]


def _corpus(seed: int = 5) -> list[str]:
    """Chunks of common words plus a few rare ones each, in different amounts, so scores rarely tie."""
    rng = random.Random(seed)
    common = _COMMON.split()
    return [" ".join(rng.choices(common, k=25) + rng.choices(_RARE, k=rng.randint(1, 6))) for _ in range(120)]


def _lexical(svc, sql: str, question: str) -> list[int]:  # type: ignore[no-untyped-def]
    params = {"qvec": np.zeros(svc.embedder.dim, dtype=np.float32), "qtext": question, "space": "lex",
              "channel": None, "n": 20, "k": 10, "rrf": 5, "lexbudget": 1000, "lexcap": 2000, "lexw": 0.2}
    with svc.engine.connect() as conn:
        return [r.chunk_id for r in conn.execute(text(sql), params)]


def test_word_at_a_time_ranking_matches_ranking_every_row(clean_db, settings) -> None:  # type: ignore[no-untyped-def]
    svc = build(settings, embedder=FakeEmbedder(), chat=FakeChatModel())
    for i, body in enumerate(_corpus()):
        acc = intake.add_file(svc.engine, scope=Scope("lex"), data=body.encode(), filename=f"d{i}.txt",
                              source_uri=f"d{i}.txt", max_bytes=10**6)
        assert ingest_document(svc.ingest, acc.document_id).status == "ready"
    with svc.engine.begin() as conn:
        conn.execute(text("ANALYZE chunks"))
    by_word, by_row = build_sql("lexical", svc.embedder.dim), build_sql("lexical", svc.embedder.dim, by_word=False)
    assert by_word != by_row
    questions = ["how is term007 built", "term001 term002 and the deploy", "term033 term034 term035 queue",
                 "release term050", "the deploy service"]
    compared = 0
    for question in questions:
        expected = _lexical(svc, by_row, question)
        assert _lexical(svc, by_word, question) == expected, question
        compared += bool(expected)
    assert compared >= 4  # the rare words matched, so the orders compared were not empty
    svc.engine.dispose()
