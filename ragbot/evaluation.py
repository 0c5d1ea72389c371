"""Answer-quality evaluation: run eval questions through the real retrieval and answer path and score them.

Metrics are document-level: the retrieved passages are collapsed to their sources in order of first
appearance (several chunks of one relevant document count once), and a source is relevant when its
source path/URL or title contains any of the question's gold substrings (case-insensitive).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ragbot.domain import Answer, Scope, ScoredChunk
from ragbot.errors import RagbotError
from ragbot.rag import RagService

DEPTH = 10  # MRR@10 and nDCG@10


class EvalFileError(RagbotError):
    """An eval file line is not in the `ragbot eval` format."""


@dataclass(frozen=True)
class EvalCase:
    """One line of an eval file."""

    question: str
    gold: tuple[str, ...] = ()
    must_mention: tuple[str, ...] = ()
    unanswerable: bool = False


@dataclass(frozen=True)
class CaseResult:
    """How one question fared."""

    case: EvalCase
    sources: list[str]  # distinct retrieved sources, best first (at most DEPTH)
    relevant: list[bool]  # per source
    grounded: bool
    answer: str
    cited: list[str]
    top_similarity: float  # best cosine similarity among the passages the answer path saw
    latency_ms: float  # retrieval + answer, as a user waits for it
    retrieval_ms: float
    in_context: bool | None = None  # must_mention terms in the passages the answer was quoted from (None: no terms)

    @property
    def miss(self) -> str | None:
        """Why the answer lacks its must_mention terms: "refused", "not retrieved" (no passage it was given holds
        them: documents, chunking or retrieval) or "not quoted" (they were there: the answerer); None if it has them.
        """
        if not self.case.must_mention or (self.grounded and mentions_all(self.answer, self.case.must_mention)):
            return None
        if not self.grounded:
            return "refused"
        return "not quoted" if self.in_context else "not retrieved"

    @property
    def first_hit(self) -> int | None:
        """1-based rank of the first relevant source, or None."""
        return next((i + 1 for i, rel in enumerate(self.relevant) if rel), None)


@dataclass
class Report:
    """Aggregate metrics of one run (the `ragbot eval` output)."""

    mode: str
    k: int
    questions: int
    answerable: int
    unanswerable: int
    hit_at_1: float | None
    hit_at_k: float | None
    mrr_at_10: float | None
    ndcg_at_10: float | None
    cited_hit: float | None  # answerable questions whose answer cites a relevant source
    must_mention_rate: float | None
    key_in_context: float | None  # must_mention questions whose terms were in the passages answered from
    refusal_accuracy: float | None
    answerable_refused: float | None
    latency_ms: dict[str, float]
    retrieval_ms: dict[str, float]
    results: list[CaseResult] = field(default_factory=list, repr=False)
    reranker: str = "none"  # the rerank model that ran, so runs with and without it are told apart

    def to_json(self) -> dict[str, object]:
        """The numbers as a JSON-ready dict (per-question results left out)."""
        return {
            "mode": self.mode, "reranker": self.reranker, "k": self.k, "questions": self.questions,
            "answerable": self.answerable, "unanswerable": self.unanswerable, "hit@1": _r(self.hit_at_1),
            f"hit@{self.k}": _r(self.hit_at_k),
            "mrr@10": _r(self.mrr_at_10), "ndcg@10": _r(self.ndcg_at_10), "cited_hit": _r(self.cited_hit),
            "must_mention_rate": _r(self.must_mention_rate), "key_in_context": _r(self.key_in_context),
            "refusal_accuracy": _r(self.refusal_accuracy),
            "answerable_refused": _r(self.answerable_refused), "latency_ms": self.latency_ms,
            "retrieval_ms": self.retrieval_ms,
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def parse_cases(lines: Iterable[str], *, name: str = "eval file") -> list[EvalCase]:
    """Eval cases from JSONL lines; blank lines are skipped, a bad line raises EvalFileError naming it."""
    cases = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{name} line {number}: not JSON ({exc.msg}).") from exc
        if not isinstance(row, dict) or not isinstance(row.get("question"), str) or not row["question"].strip():
            raise EvalFileError(f"{name} line {number}: expected an object with a non-empty \"question\".")
        lists = {key: row.get(key) or [] for key in ("gold", "must_mention")}
        for key, value in lists.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise EvalFileError(f"{name} line {number}: \"{key}\" must be a list of strings.")
        cases.append(EvalCase(row["question"], tuple(lists["gold"]), tuple(lists["must_mention"]),
                              bool(row.get("unanswerable", False))))
    if not cases:
        raise EvalFileError(f"{name}: no questions found.")
    return cases


def load_cases(path: Path) -> list[EvalCase]:
    """Eval cases from a JSONL file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvalFileError(f"{path}: cannot read it ({exc.strerror}).") from exc
    return parse_cases(text.splitlines(), name=str(path))


def is_relevant(source: str, title: str, gold: Sequence[str]) -> bool:
    """Whether a source (its path/URL or title) contains any gold substring, ignoring case."""
    where = f"{source}\n{title}".lower()
    return any(g.lower() in where for g in gold if g)


def ndcg(relevant: Sequence[bool], n_relevant: int, depth: int = DEPTH) -> float:
    """Binary-relevance nDCG@depth; n_relevant is how many relevant sources exist (at least those found)."""
    dcg = sum(1.0 / math.log2(i + 2) for i, rel in enumerate(relevant[:depth]) if rel)
    ideal_n = min(depth, max(n_relevant, sum(relevant[:depth])))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(ideal_n))
    return dcg / ideal if ideal else 0.0


def distinct_sources(passages: Sequence[ScoredChunk]) -> list[ScoredChunk]:
    """The first passage of each source, in rank order."""
    seen: set[str] = set()
    out = []
    for p in passages:
        if p.source not in seen:
            seen.add(p.source)
            out.append(p)
    return out


def mentions_all(answer: str, words: Sequence[str]) -> bool:
    """Whether the answer contains every must-mention string, ignoring case and line breaks."""
    low = " ".join(answer.lower().split())
    return all(" ".join(w.lower().split()) in low for w in words)


def run_case(rag: RagService, case: EvalCase, *, scope: Scope, mode: str, depth: int = DEPTH) -> CaseResult:
    """Retrieve (for the ranking metrics) and answer (as a user would be answered) one question."""
    t0 = time.perf_counter()
    passages = rag.retrieve(case.question, scope=scope, k=max(depth, rag.top_k), mode=mode)
    t1 = time.perf_counter()
    answer: Answer = rag.answer(case.question, scope=scope, mode=mode)
    t2 = time.perf_counter()
    docs = distinct_sources(passages)[:depth]
    seen = passages[: rag.top_k]  # the same candidates the answer path ranked: the SQL pool does not depend on k
    in_context = None
    if case.must_mention:
        # The passages the answer was (or, when refused, would have been) quoted from, widened as the answer's.
        plan = rag.plan(case.question, scope=scope, mode=mode)
        quoted = rag.context(rag.quotable(case.question, plan))
        in_context = any(mentions_all(p.text, case.must_mention) for p in quoted)
    return CaseResult(
        case=case, sources=[p.source for p in docs], relevant=[is_relevant(p.source, p.title, case.gold) for p in docs],
        grounded=answer.grounded, answer=answer.text,
        cited=[c.source + "\n" + c.title for c in answer.citations],
        top_similarity=max((p.similarity or 0.0 for p in seen), default=0.0),
        latency_ms=(t2 - t1) * 1000, retrieval_ms=(t1 - t0) * 1000, in_context=in_context,
    )


def evaluate(rag: RagService, cases: Sequence[EvalCase], *, scope: Scope, k: int = 5, mode: str = "hybrid") -> Report:
    """Run every case and aggregate the metrics; ingests nothing."""
    # The first query pays for loading the embedding model and warming caches; users see that once per process,
    # not per question, so it stays out of the latency figures.
    rag.retrieve(cases[0].question, scope=scope, mode=mode)
    results = [run_case(rag, c, scope=scope, mode=mode) for c in cases]
    report = summarise(results, k=k, mode=mode)
    report.reranker = rag.reranker_name
    return report


def summarise(results: Sequence[CaseResult], *, k: int, mode: str) -> Report:
    """Aggregate per-question results into a Report."""
    answerable = [r for r in results if not r.case.unanswerable]
    unanswerable = [r for r in results if r.case.unanswerable]
    ranked = [r for r in answerable if r.case.gold]
    mention = [r for r in answerable if r.case.must_mention]

    def mean(values: Iterable[float]) -> float | None:
        items = list(values)
        return float(np.mean(items)) if items else None

    return Report(
        mode=mode, k=k, questions=len(results), answerable=len(answerable), unanswerable=len(unanswerable),
        hit_at_1=mean(r.first_hit == 1 for r in ranked),
        hit_at_k=mean(r.first_hit is not None and r.first_hit <= k for r in ranked),
        mrr_at_10=mean(1.0 / r.first_hit if r.first_hit else 0.0 for r in ranked),
        ndcg_at_10=mean(ndcg(r.relevant, len(r.case.gold)) for r in ranked),
        cited_hit=mean(any(is_relevant(c, "", r.case.gold) for c in r.cited) for r in ranked),
        must_mention_rate=mean(r.grounded and mentions_all(r.answer, r.case.must_mention) for r in mention),
        key_in_context=mean(bool(r.in_context) for r in mention),
        refusal_accuracy=mean(not r.grounded for r in unanswerable),
        answerable_refused=mean(not r.grounded for r in answerable),
        latency_ms=percentiles([r.latency_ms for r in results]),
        retrieval_ms=percentiles([r.retrieval_ms for r in results]),
        results=list(results),
    )


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50 and p95 in ms, rounded."""
    if not values:
        return {"p50": 0.0, "p95": 0.0}
    return {"p50": round(float(np.percentile(values, 50)), 2), "p95": round(float(np.percentile(values, 95)), 2)}


def refusal_sweep(results: Sequence[CaseResult], thresholds: Iterable[float]) -> list[tuple[float, float, float]]:
    """(threshold, refusal accuracy, share of answerable refused) if min_similarity were each threshold.

    Valid for answerers that cite whenever they get passages (the extractive one does): then an answer is
    grounded exactly when the best passage similarity reaches the threshold.
    """
    sims_ans = np.array([r.top_similarity for r in results if not r.case.unanswerable])
    sims_un = np.array([r.top_similarity for r in results if r.case.unanswerable])
    out = []
    for t in thresholds:
        refusal = float(np.mean(sims_un < t)) if len(sims_un) else float("nan")
        refused = float(np.mean(sims_ans < t)) if len(sims_ans) else float("nan")
        out.append((round(float(t), 4), refusal, refused))
    return out
