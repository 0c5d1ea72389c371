"""`ragbot eval` end to end: a subprocess over the sample handbook, with the real local embedder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDBOOK = ROOT / "samples" / "handbook"
QUESTIONS = ROOT / "samples" / "handbook_questions.jsonl"


@pytest.fixture
def ragbot(clean_db, pg_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "VOYAGE", "ANTHROPIC"))}
    env.update(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(tmp_path))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ragbot.cli", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=300)

    return run


def test_eval_json_on_the_sample_handbook(ragbot, tmp_path: Path) -> None:
    assert QUESTIONS.exists() and HANDBOOK.is_dir()
    assert ragbot("ingest", str(HANDBOOK)).returncode == 0
    proc = ragbot("eval", str(QUESTIONS), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["questions"], report["answerable"], report["unanswerable"]) == (17, 14, 3)
    assert report["mode"] == "hybrid" and report["k"] == 5 and report["reranker"] == "none"
    for key in ("hit@1", "hit@5", "mrr@10", "ndcg@10", "must_mention_rate", "refusal_accuracy", "answerable_refused"):
        assert 0.0 <= report[key] <= 1.0, key
    assert report["hit@1"] <= report["hit@5"]
    assert report["latency_ms"]["p50"] > 0 and report["latency_ms"]["p95"] >= report["latency_ms"]["p50"]
    # The handbook questions are easy for the default setup: a regression here is a real one.
    assert report["hit@5"] >= 0.9 and report["ndcg@10"] >= 0.75
    assert report["refusal_accuracy"] >= 0.66 and report["answerable_refused"] <= 0.1
    # Each answer without its terms says where they were lost; an answer that quotes them got them from a passage.
    assert report["key_in_context"] >= report["must_mention_rate"]
    assert {m["why"] for m in report["misses"]} <= {"refused", "not retrieved", "not quoted"}
    with_terms = [json.loads(line) for line in QUESTIONS.read_text().splitlines()
                  if line.strip() and json.loads(line).get("must_mention") and not json.loads(line).get("unanswerable")]
    assert len(report["misses"]) == round((1 - report["must_mention_rate"]) * len(with_terms))

    vector = json.loads(ragbot("eval", str(QUESTIONS), "--json", "--mode", "vector", "--k", "3").stdout)
    assert vector["mode"] == "vector" and "hit@3" in vector

    table = ragbot("eval", str(QUESTIONS))
    assert table.returncode == 0 and "ndcg@10" in table.stdout and "refusal_accuracy" in table.stdout
    assert "key_in_context" in table.stdout
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"question": "How many vacation days do I get per year?", "must_mention": ["zebra"]}\n')
    missed = ragbot("eval", str(odd))
    assert missed.returncode == 0, missed.stderr
    assert "Answers without their must_mention terms (1)" in missed.stdout
    assert "zebra" in missed.stdout and "not retrieved" in missed.stdout

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "fine"}\n{"gold": ["x"]}\n')
    failed = ragbot("eval", str(bad))
    assert failed.returncode != 0 and "line 2" in failed.stderr
    assert ragbot("eval", str(QUESTIONS), "--mode", "fuzzy").returncode != 0
