"""Isolation: no text crosses a workspace or channel boundary, and channel-filtered search keeps its recall."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sqlalchemy import text

from ragbot.domain import ChunkDraft, Scope
from ragbot.storage import db
from ragbot.storage import repository as repo
from ragbot.storage.search import PgChunkStore, build_sql
from ragbot.storage.vectors import ensure_index, replace_chunks
from tests.fakes.providers import FakeChatModel
from tests.security.helpers import RecordingChat, add_doc

OWNER = Scope("slack:T1", "C-launch")
INTRUDERS = [
    Scope("slack:T2", "C-launch"),  # another workspace, same channel id
    Scope("slack:T1", "C-random"),  # same workspace, another channel
    Scope("slack:T1"),  # same workspace, no channel (a DM or the CLI default)
    Scope("discord:9001", "C-launch"),  # a Discord guild with a colliding channel id
    Scope("discord:9001"),
]
VOCABULARY = [
    "launch", "rocket", "schedule", "budget", "payroll", "vacation", "office", "wiki", "deploy", "rollback", "incident",
    "pager", "codename", "customer", "contract", "salary", "merger", "roadmap", "secret", "password", "engineering",
    "quarterly",
]


def canaries(rng: random.Random, n: int = 12) -> list[str]:
    """Unique one-token strings that occur nowhere but the planted document."""
    return [f"zqcanary{rng.getrandbits(48):012x}" for _ in range(n)]


def secret_document(marks: list[str]) -> str:
    lines = [f"The {VOCABULARY[i % len(VOCABULARY)]} codename for the launch is {mark}; the salary budget is {mark}."
             for i, mark in enumerate(marks)]
    return "# Launch plan (confidential)\n\n" + "\n\n".join(lines)


def question(rng: random.Random, marks: list[str], secret: str) -> str:
    """A canary itself, words next to it, random vocabulary, or the secret document's own sentences."""
    kind = rng.randrange(4)
    if kind == 0:
        return f"what is {rng.choice(marks)} {rng.choice(VOCABULARY)}"
    if kind == 1:
        return f"the launch codename salary budget {rng.choice(VOCABULARY)} {rng.choice(marks)[:12]}"
    if kind == 2:
        return " ".join(rng.sample(VOCABULARY, rng.randint(1, 6)))
    words = secret.split()
    start = rng.randrange(len(words) - 8)
    return " ".join(words[start : start + rng.randint(3, 8)])


@pytest.mark.slow
def test_canaries_never_leave_their_channel(clean_db, settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from ragbot.wiring import build

    rng = random.Random(20261126)
    marks = canaries(rng)
    recorder = RecordingChat(FakeChatModel())
    svc = build(settings, embedder=fake_embedder, chat=recorder)
    try:
        secret = secret_document(marks)
        add_doc(svc, OWNER, "launch-plan.md", secret)
        # Every intruder has look-alike documents, so answers are generated and the check is not vacuous.
        for i, scope in enumerate(INTRUDERS + [Scope("slack:T1")]):
            decoy = secret.replace("zqcanary", "decoy").replace("confidential", f"public copy {i}")
            add_doc(svc, scope, f"decoy-{i}.md", decoy)
        # Positive control: from its own channel, the planted document is found.
        assert any(m in p.text for p in svc.rag.retrieve(f"what is {marks[0]}", scope=OWNER) for m in marks)

        answered = 0
        for i in range(1000):
            scope = INTRUDERS[i % len(INTRUDERS)]
            q = question(rng, marks, secret)
            mode = ("hybrid", "vector", "lexical")[i % 3]
            passages = svc.rag.retrieve(q, scope=scope, k=20, mode=mode)
            answer = svc.rag.answer(q, scope=scope)
            answered += answer.grounded
            seen = " ".join([*(p.text + p.title + p.source for p in passages), answer.text, *recorder.shown])
            recorder.shown.clear()
            assert "zqcanary" not in seen, f"canary leaked to {scope} for {q!r}"
        assert answered > 500  # most questions reached the chat model with intruder-visible passages
    finally:
        svc.engine.dispose()


DIM, CHANNELS, PER_CHANNEL = 64, 20, 200


def _seed_channels(engine, rng: np.random.Generator) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """20 channels of 200 clustered unit vectors each (5% of the chunks per channel), sharing the same clusters."""
    ensure_index(engine, model="synthetic-recall", dim=DIM)
    centres = rng.normal(size=(40, DIM))
    by_channel = {}
    for c in range(CHANNELS):
        channel = f"C{c:02d}"
        points = centres[rng.integers(0, len(centres), PER_CHANNEL)] + 0.35 * rng.normal(size=(PER_CHANNEL, DIM))
        points /= np.linalg.norm(points, axis=1, keepdims=True)
        with engine.begin() as conn:
            doc_id, _ = repo.upsert_document(conn, space="slack:T1", channel=channel, source_kind="file",
                                             source_uri=f"{channel}.md", title=channel)
            drafts = [ChunkDraft(i, f"chunk {i} of {channel}") for i in range(PER_CHANNEL)]
            replace_chunks(conn, document_id=doc_id, space="slack:T1", channel=channel, drafts=drafts, vectors=points)
        by_channel[channel] = points
    with engine.begin() as conn:
        conn.execute(text("ANALYZE chunks"))
    return by_channel


@pytest.mark.parametrize("force_hnsw", [False, True], ids=["planner-choice", "hnsw-forced"])
def test_channel_filtered_search_returns_k_rows_with_recall(clean_db, force_hnsw: bool) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    by_channel = _seed_channels(clean_db, rng)
    engine = clean_db
    if force_hnsw:
        # At this size the planner may pick the exact scope index; forcing the HNSW path tests what 100k chunks use.
        options = "-c enable_seqscan=off -c enable_bitmapscan=off -c enable_sort=off"
        engine = db.make_engine(clean_db.url.update_query_dict({"options": options}).render_as_string(False))
    try:
        store = PgChunkStore(engine, dim=DIM)
        recalls = []
        for i in range(100):
            channel = f"C{i % CHANNELS:02d}"
            query = by_channel[channel][rng.integers(PER_CHANNEL)] + 0.3 * rng.normal(size=DIM)
            query /= np.linalg.norm(query)
            rows = store.search(query_vector=query, query_text="", space="slack:T1", channel=channel, k=10,
                                mode="vector")
            assert len(rows) == 10 and all(r.source == f"{channel}.md" for r in rows)
            exact = set(np.argsort(-(by_channel[channel] @ query))[:10].tolist())
            recalls.append(len(exact & {r.ordinal for r in rows}) / 10)
        assert float(np.mean(recalls)) >= 0.9
        if force_hnsw:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
                params = {"qvec": query.astype(np.float32), "qtext": "", "space": "slack:T1", "channel": "C01",
                          "n": 40, "k": 10, "rrf": 60}
                plan = "\n".join(conn.execute(text("EXPLAIN " + build_sql("vector", DIM)), params).scalars())
            assert "chunks_embedding_hnsw" in plan
    finally:
        if engine is not clean_db:
            engine.dispose()
