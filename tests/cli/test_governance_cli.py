"""`ragbot audit`, `ragbot owner` and `ragbot docs --failed`, as a subprocess on the real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(clean_db, pg_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "VOYAGE", "ANTHROPIC"))}
    env.update(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(tmp_path / "data"))

    def _run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ragbot.cli", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=300)

    return _run


def test_the_trail_records_cli_changes_and_owner_moves_a_document(run, tmp_path: Path) -> None:
    leave = tmp_path / "leave.md"
    leave.write_text("# Leave\n\nTwenty-seven vacation days.\n")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not a pdf")
    assert run("ingest", str(leave), str(broken)).returncode == 1

    failed = json.loads(run("docs", "--failed", "--json").stdout)
    assert [Path(d["source"]).name for d in failed] == ["broken.pdf"] and failed[0]["error"]

    bad = run("owner", "Leave", "U123")
    assert bad.returncode == 2 and "slack:USERID" in bad.stderr
    moved = run("owner", "Leave", "slack:U123", "--name", "Ada")
    assert moved.returncode == 0, moved.stderr
    assert "now belongs to Ada (slack:U123)" in moved.stdout
    doc = next(d for d in json.loads(run("docs", "--json").stdout) if d["title"] == "Leave")
    assert (doc["uploader"], doc["uploader_name"]) == ("slack:U123", "Ada")

    assert run("forget", "broken.pdf").returncode == 0
    trail = json.loads(run("audit", "--json").stdout)
    assert [(e["action"], e["subject"]) for e in trail] == [
        ("deleted", "broken"), ("owner", "Leave"), ("added", "broken.pdf"), ("added", "leave.md")]
    assert trail[1]["detail"] == "from an admin to Ada (slack:U123)"
    table = run("audit").stdout
    assert "owner" in table and "deleted" in table
