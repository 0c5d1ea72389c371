"""The CLI acts as an admin: it lists who added each document and may delete or replace anyone's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from ragbot.domain import Adder, Scope
from ragbot.ingestion import intake

ROOT = Path(__file__).resolve().parents[2]


def _ragbot(pg_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "VOYAGE", "ANTHROPIC"))}
    env.update(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "ragbot.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_docs_shows_the_uploader_and_forget_deletes_a_members_document(clean_db, pg_url: str, tmp_path: Path) -> None:
    member = Adder("slack:UMAX", "Max", "slash", is_admin=False)
    acc = intake.add_file(clean_db, scope=Scope("slack:T1"), data=b"Zero vacation days.", filename="handbook.md",
                          source_uri="handbook.md", max_bytes=10**6, by=member)
    (doc,) = json.loads(_ragbot(pg_url, tmp_path, "docs", "--json", "--space", "slack:T1").stdout)
    assert (doc["uploader"], doc["uploader_name"], doc["added_via"]) == ("slack:UMAX", "Max", "slash")
    assert doc["added_at"] and doc["stale"] is False
    _ragbot(pg_url, tmp_path, "forget", str(acc.document_id), "--space", "slack:T1")
    assert json.loads(_ragbot(pg_url, tmp_path, "docs", "--json", "--space", "slack:T1").stdout) == []


def test_the_cli_may_replace_a_members_url_and_then_owns_it(clean_db) -> None:
    url = "https://example.org/policy"
    scope = Scope("slack:T1")
    member = Adder("slack:UMAX", "Max", "url", is_admin=False)
    doc_id = intake.add_url(clean_db, scope=scope, url=url, by=member).document_id
    assert intake.add_url(clean_db, scope=scope, url=url).document_id == doc_id  # the CLI's default adder
    with clean_db.connect() as conn:
        row = conn.execute(text("SELECT uploader, added_via FROM documents")).one()
    assert tuple(row) == (None, "cli")
