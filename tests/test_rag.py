"""RagService: grounded answers cite their passages; unsupported questions are refused plainly."""

from __future__ import annotations

from ragbot.domain import Scope, Turn
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document


def seed(svc) -> None:  # type: ignore[no-untyped-def]
    for name, body in {
        "leave.md": "# Leave\n\nEmployees get 25 vacation days per year. Unused days expire in March.",
        "oncall.md": "# On-call\n\nThe on-call engineer answers pages within 15 minutes.",
    }.items():
        acc = intake.add_file(svc.engine, scope=Scope("local"), data=body.encode(), filename=name,
                              source_uri=f"handbook/{name}", max_bytes=10**6)
        ingest_document(svc.ingest, acc.document_id)


def test_grounded_answer_has_numbered_citations(svc) -> None:
    seed(svc)
    streamed: list[str] = []
    answer = svc.rag.answer("how many vacation days per year", scope=Scope("local"), on_delta=streamed.append)
    assert answer.grounded
    assert "".join(streamed).strip() == answer.text
    assert answer.citations[0].n == 1 and answer.citations[0].source == "handbook/leave.md"
    assert "[1]" in answer.text
    payload = answer.to_json()
    assert payload["grounded"] is True and payload["citations"][0]["source"] == "handbook/leave.md"


def test_unsupported_question_is_not_answered(svc) -> None:
    seed(svc)
    answer = svc.rag.answer("quantum chromodynamics lattice gauge", scope=Scope("local"), no_answer_hint="Add docs.")
    assert answer.grounded is False and answer.citations == []
    assert "couldn't find" in answer.text and answer.text.endswith("Add docs.")
    assert svc.chat.seen == []  # the model is not even asked


def test_history_is_passed_to_the_chat_model(svc) -> None:
    seed(svc)
    history = [Turn("user", "tell me about leave"), Turn("assistant", "Employees get 25 vacation days [1].")]
    svc.rag.answer("vacation days expire when", scope=Scope("local"), history=history)
    assert svc.chat.seen[-1][2] == history
