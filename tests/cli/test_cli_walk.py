"""`ragbot ingest` on what a real directory holds: stylesheets, FIFOs, empty folders, and a run that must wait."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ragbot.storage.locks import document_lock

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ragbot(clean_db, pg_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "VOYAGE", "ANTHROPIC"))}
    env.update(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(tmp_path / "data"))

    def _run(*args: str, **kw: object) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "ragbot.cli", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)

    return _run


def _done(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def test_a_walk_skips_what_it_cannot_read_with_one_summary_line_and_exits_0(ragbot, tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "img").mkdir(parents=True)
    (site / "index.html").write_text("<html><title>Home</title><body><p>The badger den is in hall B.</p></body></html>")
    (site / "style.css").write_text("body { color: red }")
    for name in ("a.svg", "b.svg", "c.svg"):
        (site / "img" / name).write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    os.mkfifo(site / "pipe.md")

    code, out, err = _done(ragbot("ingest", str(site)))
    assert code == 0, err
    assert "index.html" in out and "ready" in out
    assert "skipped 5 files Ragbot cannot read: .svg (3), .css (1), a FIFO (1)" in err
    assert "Traceback" not in err


def test_a_file_named_explicitly_still_fails_and_a_fifo_is_one_line(ragbot, tmp_path: Path) -> None:
    (tmp_path / "style.css").write_text("body { color: red }")
    os.mkfifo(tmp_path / "notes.md")
    code, _, err = _done(ragbot("ingest", str(tmp_path / "style.css"), str(tmp_path / "notes.md")))
    assert code == 1
    assert "style.css: unsupported file type .css" in err
    assert "notes.md: skipped, it is a FIFO, not a regular file" in err
    assert "Traceback" not in err and "does not exist" not in err


def test_an_empty_directory_or_one_with_nothing_readable_says_so_and_exits_1(ragbot, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = _done(ragbot("ingest", str(empty)))
    assert code == 1 and "the directory is empty" in err
    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / "x.css").write_text("p {}")
    code, out, err = _done(ragbot("ingest", str(styles)))
    assert code == 1 and "holds no file Ragbot can read" in err


def test_a_run_that_must_wait_for_another_says_so(ragbot, pg_url: str, tmp_path: Path) -> None:
    doc = tmp_path / "leave.md"
    doc.write_text("# Leave\n\nEveryone gets twenty-seven vacation days a year.\n")
    code, _, err = _done(ragbot("ingest", str(doc)))
    assert code == 0, err
    doc.write_text("# Leave\n\nEveryone gets twenty-eight vacation days a year.\n")
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        doc_id = conn.execute(text("SELECT id FROM documents WHERE title = 'Leave'")).scalar_one()
    release = threading.Event()

    def hold() -> None:  # stands in for a worker that is indexing the same document right now
        with document_lock(engine, doc_id):
            release.wait(120)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        proc = ragbot("ingest", str(doc))
        deadline = time.monotonic() + 120
        while not _waiting_for_lock(engine) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        release.set()
        holder.join()
    code, out, err = _done(proc)
    engine.dispose()
    assert code == 0, err
    assert "another run is indexing this document" in err
    assert "ready" in out


def _waiting_for_lock(engine) -> bool:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
                    .scalar())
