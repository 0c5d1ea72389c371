"""The two public evaluation corpora used to tune retrieval, and their question sets.

1. Zaragoza construction FAQ (PyPI `zaragoza-construction-faq`, CC BY 4.0): each English answer is one
   document; each question's gold is its answer's document (questions asked twice list every answer).
2. Python's own language reference as shipped in the standard library (`pydoc_data.topics`, the text
   `help('TOPIC')` prints; PSF licence): each topic is one document, split into chunks like any other
   file. The questions in samples/eval/pydoc_questions.jsonl were written by hand for this corpus.
   Three topics that repeat others wholesale are left out so that gold stays unambiguous.

Unanswerable questions: the other corpus's questions (cross-domain), general-knowledge questions, and a
few near-domain questions the corpus does not cover (samples/eval/*_unanswerable.jsonl).
"""

from __future__ import annotations

import json
import random
from importlib import resources
from pathlib import Path

from ragbot.evaluation import EvalCase, load_cases

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "samples" / "eval"
PYDOC_DUPLICATES = {"compound", "specialnames", "else"}  # whole copies of other topics


def faq_documents() -> dict[str, str]:
    """{source name: answer text} for every English FAQ answer."""
    return {f"zaragoza/{row['id']}.txt": row["a"] for row in _faq_rows()}


def faq_cases() -> list[EvalCase]:
    """One answerable case per distinct question; gold lists every document answering it."""
    gold: dict[str, list[str]] = {}
    for row in _faq_rows():
        gold.setdefault(row["q"], []).append(f"zaragoza/{row['id']}.txt")
    return [EvalCase(q, tuple(g)) for q, g in gold.items()]


def _faq_rows() -> list[dict]:
    data = resources.files("zaragoza_construction_faq").joinpath("data/faq-en.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def pydoc_documents() -> dict[str, str]:
    """{source name: topic text} for the language reference topics."""
    from pydoc_data.topics import topics

    return {f"pydoc/{name}.txt": body for name, body in sorted(topics.items()) if name not in PYDOC_DUPLICATES}


def pydoc_cases() -> list[EvalCase]:
    """The hand-written pydoc questions (answerable ones and near-domain unanswerable ones)."""
    return load_cases(EVAL_DIR / "pydoc_questions.jsonl")


def as_unanswerable(cases: list[EvalCase]) -> list[EvalCase]:
    """The same questions marked unanswerable (asked of a corpus from another domain)."""
    return [EvalCase(c.question, unanswerable=True) for c in cases if not c.unanswerable]


def eval_sets(seed: int = 3) -> dict[str, tuple[dict[str, str], list[EvalCase]]]:
    """{set name: (documents, cases)} with answerable and unanswerable questions for each corpus."""
    general = load_cases(EVAL_DIR / "general_unanswerable.jsonl")
    faq, pydoc = faq_cases(), pydoc_cases()
    sample = random.Random(seed).sample(faq, 84)  # as many cross-domain questions as pydoc has answerable ones
    return {
        "faq": (faq_documents(), faq + general + load_cases(EVAL_DIR / "construction_unanswerable.jsonl")
                + as_unanswerable(pydoc)),
        "pydoc": (pydoc_documents(), pydoc + general + as_unanswerable(sample)),
    }
