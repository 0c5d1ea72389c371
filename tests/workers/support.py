"""Helpers for worker tests: a Celery worker subprocess, polling, and reading document state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    """Poll until predicate() is truthy; fail with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def statuses(engine: Engine) -> dict[int, str]:
    """Document id -> status."""
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, status FROM documents ORDER BY id")).all())


def doc_row(engine: Engine, doc_id: int) -> Any:
    """A document's state columns."""
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT status, error, chunk_count, progress FROM documents WHERE id = :d"), {"d": doc_id}
        ).one()


class RecordingQueue:
    """An IngestQueue that only records what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def enqueue(self, task_name: str, **kwargs: Any) -> None:
        """Record one task."""
        self.sent.append((task_name, kwargs))


class WorkerProcess:
    """A real Celery worker in its own process group, so SIGKILL takes the pool down with it."""

    def __init__(self, env: dict[str, str], log_path: Path, *, concurrency: int = 2, beat: bool = False,
                 via_cli: bool = False) -> None:
        self.env, self.log_path = env, log_path
        name = f"test-{uuid.uuid4().hex[:8]}@%h"
        if via_cli:
            argv = [str(Path(sys.executable).parent / "ragbot"), "worker", "-c", str(concurrency), "-n", name]
            argv += ["--beat"] if beat else []
        else:
            argv = [sys.executable, "-m", "celery", "-A", "ragbot.workers.celery_app", "worker", "--loglevel", "info",
                    "-c", str(concurrency), "--prefetch-multiplier", "1", "-n", name, "--without-mingle",
                    "--without-gossip"] + (["--beat"] if beat else [])
        self.argv = argv
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, ready_timeout: float = 30) -> WorkerProcess:
        """Start and wait for Celery's 'ready' line."""
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        wait_until(lambda: self._alive() and " ready." in self.log()[offset:], timeout=ready_timeout,
                   what=f"the worker to start; log:\n{self.log()[-3000:]}")
        return self

    def _alive(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"worker exited with {self.proc.returncode}; log:\n{self.log()[-3000:]}")
        return True

    def log(self) -> str:
        """Everything the worker wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, not a shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM to the main process only, as an orchestrator sends it), escalating to SIGKILL."""
        if self.proc is None or self.proc.poll() is not None:
            return
        # Not to the group: a pool child killed while holding the pool's queue lock can hang the parent's shutdown.
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()


_TOPICS = ("leave", "expenses", "on-call", "laptops", "travel", "security", "onboarding", "payroll", "offices", "VPN")
_VERBS = ("explains", "describes", "lists", "sets out", "covers")


def make_corpus(n: int, *, seed: int = 7) -> dict[str, bytes]:
    """n small, distinct Markdown documents (a few chunks each), keyed by file name."""
    import random

    rng = random.Random(seed)
    docs: dict[str, bytes] = {}
    for i in range(n):
        topic = _TOPICS[i % len(_TOPICS)]
        paragraphs = [
            f"Section {p} of policy {i} {rng.choice(_VERBS)} how {topic} works for team {rng.randint(1, 99)}. "
            f"Ask the {topic} owner before step {rng.randint(1, 9)}; keep receipts for {rng.randint(2, 90)} days."
            for p in range(2 + i % 9)
        ]
        docs[f"policy-{i:02d}.md"] = (f"# Policy {i}: {topic}\n\n" + "\n\n".join(paragraphs)).encode()
    return docs


def add_files(engine: Engine, corpus: dict[str, bytes], *, space: str = "local") -> dict[str, int]:
    """Store each file as a queued document; returns file name -> document id."""
    from ragbot.domain import Scope
    from ragbot.ingestion import intake

    ids = {}
    for name, data in corpus.items():
        acc = intake.add_file(engine, scope=Scope(space), data=data, filename=name, source_uri=f"/docs/{name}",
                              max_bytes=10**7)
        ids[name] = acc.document_id
    return ids


def chunk_texts(engine: Engine) -> dict[int, list[str]]:
    """Document id -> its chunk texts in ordinal order."""
    out: dict[int, list[str]] = {}
    with engine.connect() as conn:
        for doc_id, chunk in conn.execute(text("SELECT document_id, text FROM chunks ORDER BY document_id, ordinal")):
            out.setdefault(doc_id, []).append(chunk)
    return out


def duplicate_ordinals(engine: Engine) -> int:
    """How many (document, ordinal) pairs occur more than once."""
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM (SELECT 1 FROM chunks GROUP BY document_id, ordinal HAVING count(*) > 1) d")
        ).scalar_one()
