"""CLI polish: a bad --mode is a usage error, and the embedded server can be seen and stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import embedded_data_dir

ROOT = Path(__file__).resolve().parents[2]


def _ragbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ragbot.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "DATABASE_URL", "REDIS_URL"))}
    return {**base, **extra}


def test_an_unknown_mode_is_one_line_and_exit_2(pg_url: str, tmp_path: Path) -> None:
    proc = _ragbot(_env(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(tmp_path)), "ask", "anything", "--mode", "bogus")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: --mode must be one of hybrid, vector, lexical, not 'bogus'."]


def test_db_status_says_whether_the_embedded_server_runs_and_db_stop_stops_it() -> None:
    with embedded_data_dir() as data_dir:
        env = _env(RAGBOT_DATA_DIR=str(data_dir))
        first = _ragbot(env, "db", "status")
        assert first.returncode == 0, first.stderr
        assert "not running (this command starts it)" in first.stdout
        again = _ragbot(env, "db", "status")
        assert "embedded server under" in again.stdout and "running (pid " in again.stdout
        stopped = _ragbot(env, "db", "stop")
        assert stopped.returncode == 0 and "stopped the embedded server" in stopped.stdout
        assert not (data_dir / "pg" / "postmaster.pid").exists()
        idle = _ragbot(env, "db", "stop")
        assert idle.returncode == 0 and "is not running" in idle.stdout


def test_db_stop_leaves_an_external_database_alone(pg_url: str, tmp_path: Path) -> None:
    proc = _ragbot(_env(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(tmp_path)), "db", "stop")
    assert proc.returncode == 0 and "nothing to stop" in proc.stdout


def test_an_invalid_setting_is_one_line_naming_variable_value_and_choices_on_every_entry_point(tmp_path: Path) -> None:
    env = _env(RAGBOT_DATA_DIR=str(tmp_path), RAGBOT_CHAT_MODEL="foo")
    expected = "invalid setting RAGBOT_CHAT_MODEL='foo': use one of "
    entry_points = {
        "cli": [sys.executable, "-m", "ragbot.cli", "docs"],
        "serve": [sys.executable, "-m", "ragbot.cli", "serve", "slack"],
        "demo": [sys.executable, "-m", "ragbot.demo"],
        "celery": [sys.executable, "-m", "celery", "-A", "ragbot.workers.celery_app", "inspect", "ping"],
    }
    for name, argv in entry_points.items():
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode != 0, name
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], (name, proc.stderr)
        assert "Traceback" not in proc.stderr and "pydantic" not in proc.stderr, name
