"""`ragbot db index-spaces` as a subprocess on the real database: large spaces get an index of their own, once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from ragbot.storage import space_indexes, vectors

ROOT = Path(__file__).resolve().parents[2]


def _ragbot(pg_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "VOYAGE", "ANTHROPIC"))}
    env.update(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(data_dir))
    return subprocess.run([sys.executable, "-m", "ragbot.cli", "db", "index-spaces", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def test_index_spaces_builds_each_large_spaces_index_once(clean_db, pg_url: str, tmp_path: Path) -> None:
    vectors.ensure_index(clean_db, model="tiny", dim=3)
    with clean_db.begin() as conn:
        for space, count in (("slack:Tbig", 30), ("slack:Tsmall", 3)):
            conn.execute(text("INSERT INTO spaces (id, platform) VALUES (:s, 'slack')"), {"s": space})
            doc = conn.execute(text("INSERT INTO documents (space_id, title, source_kind, source_uri, status)"
                                    " VALUES (:s, 't', 'file', 'a.md', 'ready') RETURNING id"), {"s": space}).scalar()
            conn.execute(text("INSERT INTO chunks (document_id, space_id, ordinal, text, embedding)"
                              " SELECT :d, :s, g, 'chunk ' || g, '[1,0,0]' FROM generate_series(1, :n) g"),
                         {"d": doc, "s": space, "n": count})
    try:
        first = _ragbot(pg_url, tmp_path, "--min-chunks", "20")
        assert first.returncode == 0, first.stderr
        assert "slack:Tbig: 30 chunks, index built" in first.stdout and "Tsmall" not in first.stdout
        again = _ragbot(pg_url, tmp_path, "--min-chunks", "20")
        assert "slack:Tbig: 30 chunks, index already there" in again.stdout
        none = _ragbot(pg_url, tmp_path, "--min-chunks", "1000")
        assert "no space holds 1,000 chunks or more" in none.stdout
        bad = _ragbot(pg_url, tmp_path, "--min-chunks", "0")
        assert bad.returncode == 2 and "--min-chunks" in bad.stderr
    finally:
        with clean_db.begin() as conn:
            space_indexes.drop_space_indexes(conn)
