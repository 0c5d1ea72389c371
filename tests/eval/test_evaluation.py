"""The evaluation core: parsing eval files, the ranking metrics, and a run through the real RagService."""

from __future__ import annotations

import math

import pytest

from ragbot.domain import Scope
from ragbot.evaluation import (
    CaseResult,
    EvalCase,
    EvalFileError,
    evaluate,
    is_relevant,
    mentions_all,
    ndcg,
    parse_cases,
    refusal_sweep,
    summarise,
)
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel
from tests.fakes.voyage_server import FakeVoyageServer


def test_parse_cases_reads_the_design_format_and_names_bad_lines() -> None:
    cases = parse_cases([
        '{"question": "How many days?", "gold": ["leave.md"], "must_mention": ["25"], "unanswerable": false}',
        "",
        '{"question": "Capital of Mongolia?", "unanswerable": true}',
    ])
    assert cases == [EvalCase("How many days?", ("leave.md",), ("25",)), EvalCase("Capital of Mongolia?", (), (), True)]
    with pytest.raises(EvalFileError, match="line 2: not JSON"):
        parse_cases(['{"question": "ok"}', "{nope"])
    with pytest.raises(EvalFileError, match="line 1: .*question"):
        parse_cases(['{"gold": ["a"]}'])
    with pytest.raises(EvalFileError, match='line 1: "gold" must be a list of strings'):
        parse_cases(['{"question": "q", "gold": "leave.md"}'])
    with pytest.raises(EvalFileError, match="no questions"):
        parse_cases(["", "  "])


def test_relevance_ndcg_and_mentions() -> None:
    assert is_relevant("/home/x/handbook/Leave.md", "Leave", ["leave.md"])
    assert not is_relevant("/home/x/handbook/remote.md", "Remote", ["leave.md"])
    assert ndcg([True], 1) == 1.0
    assert ndcg([False, True], 1) == pytest.approx(1 / math.log2(3))
    assert ndcg([False] * 10 + [True], 1) == 0.0  # beyond the cut-off
    assert ndcg([True, True], 1) == 1.0  # more relevant sources found than listed: never above 1
    assert mentions_all("Leave lasts 16\nweeks [1].", ["16 weeks", "LEAVE"])
    assert not mentions_all("Leave lasts 16 weeks.", ["25"])


def _result(case: EvalCase, relevant: list[bool], grounded: bool, answer: str = "", sim: float = 0.5,
            in_context: bool | None = None) -> CaseResult:
    return CaseResult(case=case, sources=[f"s{i}" for i in range(len(relevant))], relevant=relevant,
                      grounded=grounded, answer=answer, cited=[], top_similarity=sim, latency_ms=10.0,
                      retrieval_ms=2.0, in_context=in_context)


def test_a_miss_says_where_the_key_term_was_lost() -> None:
    case = EvalCase("how many days?", ("leave.md",), ("25 days",))
    assert _result(case, [True], True, "You get 25 days [1].", in_context=True).miss is None
    assert _result(case, [True], False, "I couldn't find ...", in_context=True).miss == "refused"
    assert _result(case, [True], True, "Leave is paid [1].", in_context=False).miss == "not retrieved"
    assert _result(case, [True], True, "Leave is paid [1].", in_context=True).miss == "not quoted"
    assert _result(EvalCase("no terms", ("leave.md",)), [True], True, "x").miss is None
    report = summarise([_result(case, [True], True, "Leave is paid [1].", in_context=True),
                        _result(case, [True], True, "Leave is paid [1].", in_context=False)], k=5, mode="hybrid")
    assert report.key_in_context == 0.5 and report.must_mention_rate == 0.0


def test_summarise_aggregates_the_metrics() -> None:
    a, b = EvalCase("a", ("x",), ("25",)), EvalCase("b", ("y",))
    unanswerable = EvalCase("c", unanswerable=True)
    report = summarise([
        _result(a, [True, False], True, "It is 25 days."),
        _result(b, [False, False, True], True),
        _result(unanswerable, [False], False, sim=0.1),
    ], k=2, mode="hybrid")
    assert (report.answerable, report.unanswerable) == (2, 1)
    assert report.hit_at_1 == 0.5 and report.hit_at_k == 0.5
    assert report.mrr_at_10 == pytest.approx((1 + 1 / 3) / 2)
    assert report.must_mention_rate == 1.0 and report.refusal_accuracy == 1.0 and report.answerable_refused == 0.0
    assert set(report.to_json()) >= {"hit@1", "hit@2", "mrr@10", "ndcg@10", "must_mention_rate",
                                      "refusal_accuracy", "latency_ms"}
    assert refusal_sweep(report.results, [0.3, 0.6]) == [(0.3, 1.0, 0.0), (0.6, 1.0, 1.0)]


def test_evaluate_runs_the_real_retrieval_and_answer_path(svc) -> None:
    for name, body in {"leave.md": "# Leave\n\nEmployees get 25 vacation days per year.",
                       "oncall.md": "# On-call\n\nThe on-call engineer answers pages within 15 minutes."}.items():
        acc = intake.add_file(svc.engine, scope=Scope("local"), data=body.encode(), filename=name,
                              source_uri=f"handbook/{name}", max_bytes=10**6)
        ingest_document(svc.ingest, acc.document_id)
    cases = [EvalCase("how many vacation days per year", ("leave.md",), ("25",)),
             EvalCase("on-call pages answered within minutes", ("oncall.md",), ("15 minutes",)),
             EvalCase("quantum chromodynamics lattice gauge", unanswerable=True)]
    report = evaluate(svc.rag, cases, scope=Scope("local"))
    assert report.hit_at_1 == 1.0 and report.ndcg_at_10 == 1.0 and report.cited_hit == 1.0
    assert report.must_mention_rate == 1.0 and report.key_in_context == 1.0
    assert [r.in_context for r in report.results] == [True, True, None]
    assert report.refusal_accuracy == 1.0 and report.answerable_refused == 0.0
    assert report.latency_ms["p95"] >= report.latency_ms["p50"] > 0


def test_evaluate_ranks_what_the_reranker_chose_and_names_it(svc, settings) -> None:  # type: ignore[no-untyped-def]
    # badge.md leads the fused order (one question word, repeated); the fake reranker prefers reset.md (both words).
    for name, body in {"badge.md": "Badge badge badge badge.",
                       "reset.md": "To reset a lost badge, visit the front desk with photo identification."}.items():
        acc = intake.add_file(svc.engine, scope=Scope("local"), data=body.encode(), filename=name,
                              source_uri=f"handbook/{name}", max_bytes=10**6)
        ingest_document(svc.ingest, acc.document_id)
    cases = [EvalCase("badge reset", ("reset.md",))]
    with FakeVoyageServer(api_key="pa-key") as voyage:
        changes = {"reranker": "voyage", "voyage_api_key": "pa-key", "voyage_base_url": voyage.base_url}
        reranked = build(settings.model_copy(update=changes), embedder=svc.embedder, chat=FakeChatModel())
        report = evaluate(reranked.rag, cases, scope=Scope("local"))
        reranked.engine.dispose()
    plain = evaluate(svc.rag, cases, scope=Scope("local"))
    assert (plain.reranker, plain.hit_at_1) == ("none", 0.0)
    assert (report.reranker, report.hit_at_1, report.cited_hit) == ("rerank-2.5-lite", 1.0, 1.0)
    assert report.to_json()["reranker"] == "rerank-2.5-lite"
