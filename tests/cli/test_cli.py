"""The `ragbot` CLI end to end, as a subprocess, on the real database and the real local embedder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ragbot.storage.db import head_revision

ROOT = Path(__file__).resolve().parents[2]
HANDBOOK = ROOT / "samples" / "handbook"


@pytest.fixture
def run(clean_db, pg_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "VOYAGE", "ANTHROPIC"))}
    env.update(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(tmp_path))

    def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "ragbot.cli", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError(f"ragbot {args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    return _run


def test_ingest_ask_docs_forget_reindex(run, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(HANDBOOK, corpus / "handbook")
    (corpus / "handbook" / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not really a pdf")
    (corpus / "handbook" / "tool.exe").write_bytes(b"MZ\x90\x00binary")

    first = run("ingest", str(corpus), check=False)
    assert first.returncode == 1, first.stderr
    assert "broken.pdf" in first.stderr and "skipped 1 file Ragbot cannot read: .exe (1)" in first.stderr
    assert "leave.md" in first.stdout

    docs = json.loads(run("docs", "--json").stdout)
    ready = {Path(d["source"]).name: d for d in docs if d["status"] == "ready"}
    assert {"leave.md", "security-policy.pdf", "onboarding-checklist.docx", "offices.csv"} <= set(ready)
    assert all(d["chunks"] > 0 for d in ready.values())
    assert any(d["status"] == "failed" and d["error"] for d in docs)

    answer = json.loads(run("ask", "How many vacation days do I get per year?", "--json").stdout)
    assert answer["grounded"] is True and "25" in answer["answer"]
    assert answer["citations"][0]["source"].endswith("handbook/leave.md")
    assert set(answer["citations"][0]) == {"n", "title", "source", "location", "score"}

    refused = json.loads(run("ask", "What is the boiling point of tungsten on Jupiter?", "--json").stdout)
    assert refused["grounded"] is False

    again = run("ingest", str(corpus / "handbook" / "leave.md"))
    assert "unchanged" in again.stdout

    leave_id = str(ready["leave.md"]["id"])
    assert "reindexed 1 of 1" in run("reindex", leave_id).stdout
    run("forget", leave_id)
    gone = json.loads(run("ask", "How many vacation days do I get per year?", "--json").stdout)
    assert not any(c["source"].endswith("leave.md") for c in gone["citations"])

    status = run("db", "status").stdout
    assert "all-MiniLM-L6-v2" in status and f"revision: {head_revision()}" in status


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL="postgresql://u:pw@127.0.0.1:1/db", RAGBOT_DATA_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "ragbot.cli", "docs"], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert "Cannot reach the database at postgresql+psycopg://u:***@127.0.0.1:1/db" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_command_has_help(run) -> None:
    for cmd in (["ingest"], ["ask"], ["chat"], ["docs"], ["forget"], ["reindex"], ["db", "upgrade"], ["db", "status"]):
        assert "Usage" in run(*cmd, "--help").stdout
