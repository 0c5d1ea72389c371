"""Hybrid retrieval, scope isolation, and the index's model record, on real PostgreSQL + pgvector."""

from __future__ import annotations

import pytest

from ragbot.domain import Scope
from ragbot.errors import IndexMismatch
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.storage.vectors import ensure_index
from tests.fakes.providers import FakeChatModel, FakeEmbedder


def add(svc, scope: Scope, name: str, body: str) -> int:  # type: ignore[no-untyped-def]
    acc = intake.add_file(svc.engine, scope=scope, data=body.encode(), filename=name, source_uri=f"docs/{name}",
                          max_bytes=10**6)
    assert ingest_document(svc.ingest, acc.document_id).status == "ready"
    return acc.document_id


class SynonymEmbedder(FakeEmbedder):
    """Maps 'holiday' and 'vacation' words together, so a paraphrase matches only semantically."""

    def _vec(self, text: str) -> list[float]:
        for a, b in (("holidays", "vacation"), ("holiday", "vacation"), ("allowance", "days")):
            text = text.lower().replace(a, b)
        return super()._vec(text)


def test_hybrid_finds_rare_identifier_lexically_and_paraphrase_semantically(clean_db, settings) -> None:
    from ragbot.wiring import build

    svc = build(settings, embedder=SynonymEmbedder(dim=256), chat=FakeChatModel())
    scope = Scope("local")
    add(svc, scope, "errors.md", "# Errors\n\nThe pager shows code NWL4471 when the queue backs up.")
    add(svc, scope, "leave.md", "# Leave\n\nEvery employee gets vacation days: twenty five each year.")
    for i in range(30):
        add(svc, scope, f"noise{i}.md", f"# Note {i}\n\nMeeting notes about topic {i} and the roadmap for team {i}.")
    lexical = svc.rag.retrieve("what does NWL4471 mean", scope=scope, mode="lexical")
    assert lexical and lexical[0].source == "docs/errors.md"
    # The paraphrase shares no stemmed word with the leave document, so only the vector side can find it.
    assert not [p for p in svc.rag.retrieve("holiday allowance", scope=scope, mode="lexical")
                if p.source == "docs/leave.md"]
    hybrid_rare = svc.rag.retrieve("what does NWL4471 mean", scope=scope)
    hybrid_para = svc.rag.retrieve("holiday allowance", scope=scope)
    assert hybrid_rare[0].source == "docs/errors.md"
    assert "docs/leave.md" in [p.source for p in hybrid_para[:2]]


def test_no_space_or_channel_leaks(svc) -> None:
    add(svc, Scope("slack:T1", "C1"), "secret.md", "# Secret\n\nThe launch codeword is PELICAN.")
    add(svc, Scope("slack:T1"), "wide.md", "# Wide\n\nThe office codeword is HERON.")
    add(svc, Scope("slack:T2"), "other.md", "# Other\n\nThe other codeword is FALCON.")
    seen = lambda scope: {p.source for p in svc.rag.retrieve("codeword", scope=scope, k=10)}  # noqa: E731
    assert seen(Scope("slack:T1", "C1")) == {"docs/secret.md", "docs/wide.md"}
    assert seen(Scope("slack:T1", "C2")) == {"docs/wide.md"}
    assert seen(Scope("slack:T1")) == {"docs/wide.md"}
    assert seen(Scope("slack:T2", "C1")) == {"docs/other.md"}
    assert seen(Scope("discord:1", "C1")) == set()


def test_changing_the_embedding_model_over_existing_vectors_asks_for_reindex(svc) -> None:
    add(svc, Scope("local"), "a.md", "# A\n\nSome text.")
    with pytest.raises(IndexMismatch, match="ragbot reindex --all"):
        ensure_index(svc.engine, model="other-model", dim=32)
    ensure_index(svc.engine, model=svc.embedder.model_id, dim=svc.embedder.dim)  # same model is fine
