"""Can people trust the answers? must-mention, "I don't know" and multi-turn follow-ups on real corpora, offline.

Ingests each corpus through the real pipeline with the real local embedder into its own database of a throw-away
(or --keep) embedded PostgreSQL, then answers every eval question exactly as `ragbot ask` would and prints, per
set and split (tune / test), hit@5, must-mention, refusal accuracy and answerable refused, plus the gate's
trade-off curve and the multi-turn figures. Corpora: the Python 3.11 docs from Debian's python3.11-doc
(pythondoc_corpus.py installs them), Python's pydoc topics, the public construction FAQ, and samples/handbook.

    .venv/bin/python benchmarks/trust.py [--keep DIR] [--sets pythondoc,pydoc,faq,handbook] [--json OUT]
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pythondoc_corpus  # noqa: E402
from corpus_db import corpus_engine  # noqa: E402
from quality_corpora import eval_sets  # noqa: E402

from ragbot.answerability import Gate, Signals  # noqa: E402
from ragbot.config import Settings  # noqa: E402
from ragbot.domain import Scope, Turn  # noqa: E402
from ragbot.evaluation import EvalCase, distinct_sources, is_relevant, mentions_all  # noqa: E402
from ragbot.ingestion import intake  # noqa: E402
from ragbot.ingestion.pipeline import IngestContext, LoggingNotifier, ingest_document  # noqa: E402
from ragbot.providers.extractive import ExtractiveAnswerer  # noqa: E402
from ragbot.providers.extractive_units import REPLY  # noqa: E402
from ragbot.providers.local_embedder import LocalEmbedder  # noqa: E402
from ragbot.rag import RagService  # noqa: E402
from ragbot.storage import db  # noqa: E402
from ragbot.storage.embedded import stop_embedded  # noqa: E402
from ragbot.storage.index_writer import PgDocumentIndex  # noqa: E402
from ragbot.storage.search import PgChunkStore  # noqa: E402
from ragbot.wiring import ingest_limits  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCOPE = Scope("local")
HANDBOOK_MORE = ROOT / "samples" / "eval" / "handbook_more_questions.jsonl"


@dataclass(frozen=True)
class Case:
    """An eval question with its split."""

    case: EvalCase
    split: str


@dataclass
class Outcome:
    """How one question fared on the answer path."""

    case: Case
    hit5: bool
    grounded: bool
    mentioned: bool
    in_context: bool  # the key terms are somewhere in the widened passages the answerer quotes from
    answer_ms: float | None  # the whole answer path (retrieval, gate, neighbours, quoting), as `ragbot ask` waits
    signals: Signals
    answer: str


class OpenGate(Gate):
    """Answers everything, quoting only passages above min_similarity: must-mention measures the answerer, and
    the recorded signals let any gate be re-decided afterwards."""

    def allows(self, s: Signals) -> bool:
        """Always."""
        return True


def _split_of(i: int) -> str:
    """Old sets have no split field: two lines in five tune, the rest test."""
    return "tune" if i % 5 in (0, 1) else "test"


def load_sets(names: Sequence[str], corpus_dir: Path) -> dict[str, tuple[dict[str, bytes], list[Case]]]:
    """{set: (documents as source -> bytes, cases)}."""
    out: dict[str, tuple[dict[str, bytes], list[Case]]] = {}
    if "pythondoc" in names:
        pythondoc_corpus.build_corpus(corpus_dir)
        docs = {p: (corpus_dir / p).read_bytes() for p in pythondoc_corpus.PAGES}
        rows = [json.loads(line) for line in pythondoc_corpus.QUESTIONS.read_text().splitlines() if line.strip()]
        out["pythondoc"] = (docs, [Case(EvalCase(r["question"], tuple(r["gold"]), tuple(r["must_mention"]),
                                                 r["unanswerable"]), r["split"]) for r in rows])
    old = eval_sets() if {"pydoc", "faq"} & set(names) else {}
    for name in ("pydoc", "faq"):
        if name in names:
            docs_text, cases = old[name]
            out[name] = ({s: b.encode() for s, b in docs_text.items()},
                         [Case(c, _split_of(i)) for i, c in enumerate(cases)])
    if "handbook" in names:
        hb = ROOT / "samples" / "handbook"
        docs = {f"handbook/{p.name}": p.read_bytes() for p in sorted(hb.iterdir())}
        rows = [json.loads(line) for line in (ROOT / "samples" / "handbook_questions.jsonl").read_text().splitlines()
                if line.strip()]
        # The sample file's 17 questions, then 45 more written later with their split (samples/eval).
        more = [json.loads(line) for line in HANDBOOK_MORE.read_text().splitlines() if line.strip()]
        splits = [_split_of(i) for i in range(len(rows))] + [r["split"] for r in more]
        out["handbook"] = (docs, [Case(EvalCase(r["question"], tuple(r.get("gold", [])),
                                                tuple(r.get("must_mention", [])), r.get("unanswerable", False)),
                                       split) for r, split in zip(rows + more, splits, strict=True)])
    return out


class Bench:
    """One database per corpus in one embedded server."""

    def __init__(self, data_dir: Path) -> None:
        self.settings = Settings(data_dir=data_dir, database_url=None, voyage_api_key=None, anthropic_api_key=None)
        self.url = db.database_url(self.settings)
        self.admin = db.make_engine(self.url)
        self.embedder = LocalEmbedder()
        self.engines: dict[str, Engine] = {}

    def engine(self, name: str, docs: dict[str, bytes]) -> Engine:
        """The database of corpus `name`, ingested on first use."""
        engine, n = corpus_engine(self.admin, self.url, f"trust_{name}", model=self.embedder.model_id,
                                  dim=self.embedder.dim)
        if not n:
            ctx = IngestContext(PgDocumentIndex(engine), self.embedder, ingest_limits(self.settings), LoggingNotifier())
            t0 = time.perf_counter()
            for source, body in docs.items():
                acc = intake.add_file(engine, scope=SCOPE, data=body, filename=Path(source).name, source_uri=source,
                                      max_bytes=10**8)
                ingest_document(ctx, acc.document_id)
            with engine.begin() as conn:
                conn.execute(text("ANALYZE chunks"))
                n = conn.execute(text("SELECT count(*) FROM chunks")).scalar()
            print(f"  ingested {name}: {len(docs)} documents, {n} chunks in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)
        self.engines[name] = engine
        return engine

    def rag(self, name: str, *, gate: Gate | None = None, answerer: ExtractiveAnswerer | None = None,
            context_window: int = 1) -> RagService:
        """The answer path as `ragbot ask` builds it, on corpus `name`."""
        s = self.settings
        store = PgChunkStore(self.engines[name], dim=self.embedder.dim, candidates=s.candidates, rrf_k=s.rrf_k,
                             ef_search=s.ef_search)
        chat = answerer or ExtractiveAnswerer(embedder=self.embedder)
        return RagService(store=store, embedder=self.embedder, chat=chat,
                          top_k=s.top_k, min_similarity=s.min_similarity, gate=gate, context_window=context_window)


def run_cases(rag: RagService, cases: Sequence[Case]) -> list[Outcome]:
    """Answer every question; the gate is bypassed for answerable ones so must-mention measures the answerer."""
    out = []
    for c in cases:
        plan = rag.plan(c.case.question, scope=SCOPE)
        docs = distinct_sources(plan.passages)[:5]
        hit5 = any(is_relevant(p.source, p.title, c.case.gold) for p in docs)
        answer_ms = None
        if c.case.must_mention:
            t0 = time.perf_counter()
            answer = rag.answer(c.case.question, scope=SCOPE)
            answer_ms = (time.perf_counter() - t0) * 1000
            grounded, said = answer.grounded, answer.text
        else:  # only the gate's signals matter here, and answering costs the answerer's embeddings
            grounded, said = bool(plan.passages), ""
        mentioned = grounded and mentions_all(said, c.case.must_mention)
        in_context = bool(c.case.must_mention) and any(
            mentions_all(p.text, c.case.must_mention)
            for p in rag.context([p for p in [*plan.passages, *plan.more]
                                 if (p.similarity or 0.0) >= rag.gate.min_similarity]))
        out.append(Outcome(c, hit5, grounded, mentioned, in_context, answer_ms, plan.signals, said))
    return out


_WORDS = re.compile(r"[a-z0-9]+")
_CITED = re.compile(r"([^\[\]]{15,}?)\s*\[(\d+)\]")


@dataclass
class Faithfulness:
    """What the cited sentences of the allowed answers say, checked against their sources."""

    found: int = 0  # cited sentences whose words are in the passage they cite
    total: int = 0  # cited sentences
    replies_own: int = 0  # sentences opening with "Yes,"/"No," whose cited document is the question's gold one
    replies_other: int = 0  # ... whose cited document is another: a reply to a question the user did not ask


def faithfulness(rag: RagService, cases: Sequence[Case]) -> Faithfulness:
    """Over the answerable questions answered with the shipped gate: how many cited sentences are found in the
    passage they cite, and how many open with a reply ("Yes, ...") to the question or to another one (by the
    cited document: the gold one or not). A sentence counts as found when 70% of its words are in a passage of the
    cited source and section (quoting rewrites a little: table rows spelled out, signatures joined, footnotes
    dropped)."""
    out = Faithfulness()
    for c in cases:
        if c.case.unanswerable:
            continue
        answer = rag.answer(c.case.question, scope=SCOPE)
        if not answer.grounded:
            continue
        plan = rag.plan(c.case.question, scope=SCOPE)
        passages: dict[tuple[str, str], list[set[str]]] = {}
        for p in rag.context(rag.quotable(c.case.question, plan)):
            passages.setdefault((p.source, p.location), []).append(set(_WORDS.findall(p.text.lower())))
        cited = {ci.n: (ci.source, ci.location) for ci in answer.citations}
        gold = {ci.n: is_relevant(ci.source, ci.title, c.case.gold) for ci in answer.citations}
        prose = re.sub(r"```.*?```", "", answer.text, flags=re.S)
        for m in _CITED.finditer(prose):
            words = set(_WORDS.findall(m.group(1).lower()))
            n = int(m.group(2))
            if len(words) < 3 or n not in cited:
                continue
            out.total += 1
            out.found += any(len(words & seen) >= 0.7 * len(words) for seen in passages.get(cited[n], []))
            # The text since the previous marker starts with that sentence's full stop.
            if c.case.gold and REPLY.match(m.group(1).lstrip(" .!?:;\n")):
                out.replies_own += gold[n]
                out.replies_other += not gold[n]
    return out


def summary(outcomes: Sequence[Outcome], gate: Gate | None = None) -> dict[str, float | int | None]:
    """hit@5, must-mention, refusal accuracy and answerable refused (re-deciding with `gate` when given)."""
    ans = [o for o in outcomes if not o.case.case.unanswerable]
    un = [o for o in outcomes if o.case.case.unanswerable]
    grounded = (lambda o: gate.allows(o.signals)) if gate else (lambda o: o.grounded)
    mm = [o for o in ans if o.case.case.must_mention]

    def mean(xs: list[bool]) -> float | None:
        return round(float(np.mean(xs)), 3) if xs else None

    waits = [o.answer_ms for o in outcomes if o.answer_ms is not None]
    return {"answerable": len(ans), "unanswerable": len(un),
            "answer_ms_p50": round(float(np.percentile(waits, 50)), 1) if waits else None,
            "answer_ms_p95": round(float(np.percentile(waits, 95)), 1) if waits else None,
            "hit@5": mean([o.hit5 for o in ans if o.case.case.gold]),
            "key_in_context": mean([o.in_context for o in mm]),
            "must_mention": mean([o.mentioned and grounded(o) for o in mm]),
            "refusal_accuracy": mean([not grounded(o) for o in un]),
            "answerable_refused": mean([not grounded(o) for o in ans])}


def gate_grid(base: Gate) -> list[Gate]:
    """Gates around the defaults, for the trade-off curve."""
    out = []
    for ms, sure, unk_chunks, cov, share, unsupported, lexical in itertools.product(
            np.arange(0.30, 0.501, 0.025), (0.55, 0.6, 0.65, 1.0), (0, 500, 2000, 10**9), (0.0, 0.3),
            (0.3, 0.5, 0.6, 0.8, 1.1), (False, True), (0.0, 0.025, 0.05)):
        out.append(replace(base, min_similarity=round(float(ms), 3), sure_similarity=sure,
                           unknown_min_chunks=unk_chunks, min_coverage=cov, max_unknown_share=share,
                           refuse_unsupported=unsupported, lexical_margin=lexical))
    return out


def pick_gate(per_set: dict[str, list[Outcome]], base: Gate) -> tuple[Gate, list[tuple[Gate, float, float]]]:
    """The gate with the best worst-set balance on the tune split, and every gate's pooled (refusal, refused)."""
    curve = []
    best, best_key = base, (-1.0, -1.0, -1.0)
    for g in gate_grid(base):
        worst_refusal, worst_refused = 1.0, 0.0
        pooled_ref, pooled_ans = [], []
        for outs in per_set.values():
            tune = [o for o in outs if o.case.split == "tune"]
            s = summary(tune, g)
            if s["refusal_accuracy"] is not None:
                worst_refusal = min(worst_refusal, s["refusal_accuracy"])
            if s["answerable_refused"] is not None:
                worst_refused = max(worst_refused, s["answerable_refused"])
            pooled_ref += [not g.allows(o.signals) for o in tune if o.case.case.unanswerable]
            pooled_ans += [not g.allows(o.signals) for o in tune if not o.case.case.unanswerable]
        pooled = (float(np.mean(pooled_ref)), float(np.mean(pooled_ans)))
        curve.append((g, *pooled))
        # Refusing an answerable question costs twice; the worst set decides, ties go to the pooled figures.
        key = (round(worst_refusal - 2 * worst_refused, 6), round(pooled[0] - 2 * pooled[1], 6), -worst_refused)
        if key > best_key:
            best, best_key = g, key
    return best, curve


def conversations(bench: Bench, names: Sequence[str]) -> dict[str, dict[str, float]]:
    """Multi-turn: is the final turn's gold document in the top 5, per split, offline (no LLM)?"""
    rows = [json.loads(line) for line in (ROOT / "samples" / "eval" / "conversations.jsonl").read_text().splitlines()
            if line.strip()]
    results: dict[str, list[tuple[bool, bool, bool]]] = {"tune": [], "test": []}
    refused: dict[str, list[bool]] = {"tune": [], "test": []}  # unanswerable last turns: "I don't know"?
    for r in rows:
        if r["corpus"] not in names:
            continue
        rag = bench.rag(r["corpus"])
        gold = [g if r["corpus"] == "pythondoc" else g for g in r["gold"]]
        history: list[Turn] = []
        for question in r["turns"][:-1]:
            answer = rag.answer(question, scope=SCOPE, history=history)
            history += [Turn("user", question),
                        Turn("assistant", answer.text, tuple(c.source for c in answer.citations))]
        final = r["turns"][-1]
        if r.get("unanswerable"):
            refused[r["split"]].append(not rag.answer(final, scope=SCOPE, history=history).grounded)
            continue
        plan = rag.plan(final, scope=SCOPE, history=history)
        with_history = any(is_relevant(p.source, p.title, gold) for p in distinct_sources(plan.passages)[:5])
        alone = rag.plan(final, scope=SCOPE)
        without = any(is_relevant(p.source, p.title, gold) for p in distinct_sources(alone.passages)[:5])
        # What the user reads: an answer (not "I don't know") that cites the document the thread is about.
        said = rag.answer(final, scope=SCOPE, history=history)
        cites = said.grounded and any(is_relevant(c.source, c.title, gold) for c in said.citations)
        results[r["split"]].append((with_history, without, cites))
    return {split: {"conversations": len(v), "final_gold_in_top5": round(float(np.mean([a for a, _, _ in v])), 3),
                    "final_turn_alone": round(float(np.mean([b for _, b, _ in v])), 3),
                    "final_answer_cites_gold": round(float(np.mean([c for _, _, c in v])), 3),
                    "unanswerable_follow_ups": len(refused[split]),
                    "refused": round(float(np.mean(refused[split])), 3) if refused[split] else None}
            for split, v in results.items() if v}


def main() -> None:
    """Ingest, answer, tune the gate on the tune split, report on the test split."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", metavar="DIR", help="use and keep this data dir (faster reruns)")
    ap.add_argument("--sets", default="pythondoc,pydoc,faq,handbook")
    ap.add_argument("--json", metavar="OUT", help="write every figure here as JSON")
    ap.add_argument("--window", type=int, default=1, help="neighbouring chunks added on each side (0: off)")
    args = ap.parse_args()
    names = args.sets.split(",")
    data_dir = Path(args.keep or tempfile.mkdtemp(prefix="ragbot-trust-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)  # as root the server runs as another user, which must reach its data dir
    report: dict[str, object] = {}
    try:
        bench = Bench(data_dir)
        sets = load_sets(names, data_dir / "pythondoc-html")
        per_set: dict[str, list[Outcome]] = {}
        for name, (docs, cases) in sets.items():
            bench.engine(name, docs)
            t0 = time.perf_counter()
            per_set[name] = run_cases(bench.rag(name, gate=OpenGate(min_similarity=bench.settings.min_similarity),
                                                context_window=args.window), cases)
            waits = summary(per_set[name])
            print(f"  answered {name}: {len(cases)} questions in {time.perf_counter() - t0:.0f} s; one answer "
                  f"p50 {waits['answer_ms_p50']} ms, p95 {waits['answer_ms_p95']} ms", file=sys.stderr)
        base = Gate(min_similarity=bench.settings.min_similarity)
        chosen, curve = pick_gate(per_set, base)
        print(f"gate tuned on the tune split: {chosen}")
        default = Gate()
        print(f"reported with the shipped default: {default}")
        print("| set | split | answerable | unanswerable | hit@5 | key term in context | must-mention | refusal acc. "
              "| answerable refused |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, outs in per_set.items():
            for split in ("tune", "test"):
                s = summary([o for o in outs if o.case.split == split], default)
                print(f"| {name} | {split} | {s['answerable']} | {s['unanswerable']} | {s['hit@5']} "
                      f"| {s['key_in_context']} | {s['must_mention']} | {s['refusal_accuracy']} "
                      f"| {s['answerable_refused']} |")
                report[f"{name}/{split}"] = s
        front = sorted({(round(r, 3), round(a, 3)) for _, r, a in curve})
        print("\nPareto front of the gate grid on the tune split (refusal accuracy, answerable refused):")
        pareto = [p for p in front if not any(q[0] >= p[0] and q[1] < p[1] for q in front)]
        print(", ".join(f"({r:.3f}, {a:.3f})" for r, a in pareto))
        report["pareto"] = pareto
        cosine_only = Gate(min_similarity=bench.settings.min_similarity, sure_similarity=0.0, lexical_margin=0.0)
        report["cosine_only"] = {f"{name}/{split}": summary([o for o in outs if o.case.split == split], cosine_only)
                                 for name, outs in per_set.items() for split in ("tune", "test")}
        print("\nBefore (one cosine threshold, 0.40):", json.dumps(report["cosine_only"]))
        report["chosen_gate"] = str(chosen)
        report["questions"] = [{"set": name, "split": o.case.split, "question": o.case.case.question,
                                "unanswerable": o.case.case.unanswerable, "hit5": o.hit5, "mentioned": o.mentioned,
                                "signals": o.signals.to_json(), "answer": o.answer[:300]}
                               for name, outs in per_set.items() for o in outs]
        faithful = {name: faithfulness(bench.rag(name), sets[name][1]) for name in per_set}
        print("\nCited sentences found in the passage they cite: "
              + ", ".join(f"{name} {f.found} of {f.total}" for name, f in faithful.items()))
        print("Cited sentences opening with a reply (Yes, No, ...) to the question / to another question: "
              + ", ".join(f"{name} {f.replies_own} / {f.replies_other}" for name, f in faithful.items()))
        report["faithfulness"] = {name: vars(f) for name, f in faithful.items()}
        if {"handbook", "pythondoc"} & set(names):
            conv = conversations(bench, names)
            print("\nMulti-turn:", json.dumps(conv))
            report["conversations"] = conv
        misses = [o for outs in per_set.values() for o in outs
                  if o.case.split == "tune" and not o.case.case.unanswerable and o.case.case.must_mention
                  and not o.mentioned]
        for o in misses[:40]:
            print(f"MISS {o.case.case.question!r} wants {o.case.case.must_mention}: {o.answer[:200]!r}",
                  file=sys.stderr)
        for engine in [bench.admin, *bench.engines.values()]:
            engine.dispose()
    finally:
        if not args.keep:
            stop_embedded(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
