"""A state machine over ingest, re-ingest, delete, reindex and query: the index always matches the documents."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import text

from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from tests.security.helpers import HNSW, expected_chunks, invalid_indexes

NAMES = ["leave.md", "travel.md", "oncall.md"]
SCOPES = [Scope("slack:T1", "C1"), Scope("slack:T1"), Scope("discord:7")]
WORDS = [
    "leave", "travel", "pager", "budget", "laptop", "receipt", "holiday", "office", "review", "owner", "step", "rule",
    "team", "night", "weekend",
]
BODY = st.lists(st.lists(st.sampled_from(WORDS), min_size=3, max_size=60).map(" ".join), min_size=1, max_size=6).map(
    lambda paragraphs: "# Notes\n\n" + "\n\n".join(paragraphs) + "\n"
)
# An empty file fails to ingest: the previous good version must stay in place, untouched.
CONTENT = st.one_of(BODY, BODY, BODY, st.just(""))


@pytest.mark.slow
def test_index_always_holds_exactly_the_latest_versions(svc) -> None:  # type: ignore[no-untyped-def]
    class IndexMachine(RuleBasedStateMachine):
        """Model: (scope, name) -> the body of the latest version that ingested successfully."""

        def __init__(self) -> None:
            super().__init__()
            with svc.engine.begin() as conn:
                conn.execute(text("TRUNCATE documents, document_blobs, chunks RESTART IDENTITY CASCADE"))
            self.good: dict[tuple[Scope, str], str] = {}
            self.ids: dict[tuple[Scope, str], int] = {}
            self.broken: set[tuple[Scope, str]] = set()  # the latest upload failed to ingest

        def _put(self, scope: Scope, name: str, body: str) -> None:
            acc = intake.add_file(svc.engine, scope=scope, data=body.encode(), filename=name, source_uri=name,
                                  max_bytes=10**6)
            key = (scope, name)
            self.ids[key] = acc.document_id
            if ingest_document(svc.ingest, acc.document_id).status in ("ready", "skipped"):
                self.good[key] = body
                self.broken.discard(key)
            else:
                assert not body.strip()
                self.broken.add(key)

        @rule(scope=st.sampled_from(SCOPES), name=st.sampled_from(NAMES), body=CONTENT)
        def ingest(self, scope: Scope, name: str, body: str) -> None:
            self._put(scope, name, body)

        @precondition(lambda self: self.ids)
        @rule(data=st.data(), body=CONTENT)
        def reingest(self, data: st.DataObject, body: str) -> None:
            key = data.draw(st.sampled_from(sorted(self.ids, key=str)))
            self._put(*key, body)

        @precondition(lambda self: self.ids)
        @rule(data=st.data())
        def delete(self, data: st.DataObject) -> None:
            key = data.draw(st.sampled_from(sorted(self.ids, key=str)))
            assert svc.jobs.delete_document(self.ids.pop(key))
            self.good.pop(key, None)
            self.broken.discard(key)

        @precondition(lambda self: self.ids)
        @rule(data=st.data())
        def reindex_document(self, data: st.DataObject) -> None:
            key = data.draw(st.sampled_from(sorted(self.ids, key=str)))
            (result,) = svc.admin.requeue([self.ids[key]], background=False)
            # A reindex rebuilds from the latest upload: a broken one fails again and the good chunks stay.
            assert result.status == ("failed" if key in self.broken else "ready")

        @precondition(lambda self: self.ids)
        @rule()
        def reindex_online(self) -> None:
            with svc.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f"REINDEX INDEX CONCURRENTLY {HNSW}"))

        @precondition(lambda self: self.good)
        @rule(scope=st.sampled_from(SCOPES), words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
              mode=st.sampled_from(["hybrid", "vector", "lexical"]))
        def query(self, scope: Scope, words: list[str], mode: str) -> None:
            visible = {self.ids[(s, name)]: (name, body) for (s, name), body in self.good.items()
                       if s.space == scope.space and (s.channel is None or s.channel == scope.channel)}
            for p in svc.rag.retrieve(" ".join(words), scope=scope, k=20, mode=mode):
                assert p.document_id in visible, f"{p.source} is not visible from {scope}"
                name, body = visible[p.document_id]
                assert p.source == name and p.text in expected_chunks(svc.settings, body.encode(), name)

        @invariant()
        def chunks_are_exactly_the_latest_good_versions(self) -> None:
            with svc.engine.connect() as conn:
                rows = conn.execute(text("SELECT document_id, text FROM chunks ORDER BY document_id, ordinal")).all()
            actual: dict[int, list[str]] = {}
            for doc_id, chunk in rows:
                actual.setdefault(doc_id, []).append(chunk)
            wanted = {self.ids[key]: expected_chunks(svc.settings, body.encode(), key[1])
                      for key, body in self.good.items()}
            assert actual == wanted

        def teardown(self) -> None:
            assert invalid_indexes(svc.engine) == []

    run_state_machine_as_test(
        IndexMachine,
        settings=settings(max_examples=15, stateful_step_count=15, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    )
