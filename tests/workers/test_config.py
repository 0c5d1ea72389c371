"""The Celery configuration: reliability settings, start-up checks, task names and the broker without Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ragbot.config import Settings
from ragbot.errors import RagbotError
from ragbot.providers.celery_queue import CeleryQueue, broker_url, check_time_limits
from ragbot.workers.config import make_app
from ragbot.workers.policy import backoff
from tests.workers.support import add_files, doc_row, make_corpus, wait_until

TASKS = ["ragbot.crawl_site", "ragbot.delete_document", "ragbot.ingest_document", "ragbot.ingest_url",
         "ragbot.prune", "ragbot.reconcile", "ragbot.reindex_document", "ragbot.reindex_space", "ragbot.resync_sites",
         "ragbot.resync_urls"]


def test_app_is_crash_safe_and_schedules_the_reconciler_and_url_resync(tmp_path: Path) -> None:
    s = Settings(redis_url="redis://127.0.0.1:6379/3", data_dir=tmp_path, stuck_after_seconds=900,
                 url_resync_minutes=30, task_soft_time_limit=100, task_time_limit=120, visibility_timeout=400)
    conf = make_app(s).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (100, 120)
    assert conf.broker_transport_options["visibility_timeout"] == 400
    schedule = {e["task"]: e["schedule"] for e in conf.beat_schedule.values()}
    assert schedule == {"ragbot.reconcile": timedelta(seconds=60), "ragbot.resync_urls": timedelta(minutes=30),
                        "ragbot.resync_sites": timedelta(minutes=30), "ragbot.prune": timedelta(days=1)}


@pytest.mark.parametrize(("soft", "hard", "vt"), [(660, 660, 3600), (700, 660, 3600), (600, 3600, 3600), (0, 5, 9)])
def test_unsafe_time_limits_are_refused_with_a_clear_error(soft: int, hard: int, vt: int) -> None:
    s = Settings(redis_url="redis://x/0", task_soft_time_limit=soft, task_time_limit=hard, visibility_timeout=vt)
    with pytest.raises(RagbotError, match="RAGBOT_VISIBILITY_TIMEOUT"):
        check_time_limits(s)


def test_ragbot_worker_refuses_unsafe_limits_in_one_line(worker_env: dict[str, str]) -> None:
    env = {**worker_env, "RAGBOT_TASK_TIME_LIMIT": "7200"}
    out = subprocess.run([str(Path(sys.executable).parent / "ragbot"), "worker"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("error: Worker time limits") and "7200" in out.stderr
    assert "Traceback" not in out.stderr


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    waits = [backoff(n, visibility_timeout=3600) for n in range(12)]
    assert 0.5 <= waits[0] <= 1 and 4 <= waits[3] <= 8
    assert max(waits) <= 300 and backoff(20, visibility_timeout=60) <= 30
    assert len({round(backoff(4, visibility_timeout=3600), 6) for _ in range(20)}) > 1  # jittered


def test_every_task_is_registered_by_name(worker_env: dict[str, str]) -> None:
    code = ("import ragbot.workers.tasks; from ragbot.workers.celery_app import app; "
            "print(sorted(n for n in app.tasks if n.startswith('ragbot.')))")
    out = subprocess.run([sys.executable, "-c", code], env=worker_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(TASKS)


def test_core_never_imports_celery_or_workers() -> None:
    code = ("import sys, ragbot.ingestion.jobs, ragbot.admin, ragbot.wiring, ragbot.ingestion.intake; "
            "print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('celery', 'kombu') or m.startswith('ragbot.workers')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_without_redis_the_worker_runs_on_the_postgres_fallback_broker(clean_db, pg_url, worker_env,
                                                                       start_worker) -> None:
    env = {k: v for k, v in worker_env.items() if k != "REDIS_URL"}
    assert broker_url(Settings(database_url=pg_url)).startswith("sqla+postgresql+psycopg://")
    start_worker(env, concurrency=1, via_cli=True)
    doc_id = add_files(clean_db, make_corpus(1))["policy-00.md"]
    CeleryQueue.from_settings(Settings(database_url=pg_url)).enqueue("ragbot.ingest_document", document_id=doc_id)
    wait_until(lambda: doc_row(clean_db, doc_id).status == "ready", timeout=40, what="ingestion over the fallback")
