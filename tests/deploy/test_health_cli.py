"""`ragbot health` as a probe runs it: a subprocess, one line per check, exit status the verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.deploy.conftest import env_names
from tests.support import free_port


def ragbot(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "ragbot"
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from ragbot.cli import main; main()"]
    return subprocess.run(cmd + args, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def base_env(engine: Engine, pg_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    """This process's environment without any Ragbot setting, plus a good configuration."""
    settings = {n for names in env_names().values() for n in names}
    env = {k: v for k, v in os.environ.items() if k.upper() not in settings}
    env.update(DATABASE_URL=pg_url, REDIS_URL=redis_url, RAGBOT_DATA_DIR=str(tmp_path), RAGBOT_EMBEDDER="local",
               RAGBOT_LOG_FORMAT="text")
    return env  # `engine` has migrated the session database to head


def lines_by_check(stdout: str) -> dict[str, str]:
    return {line.split()[1]: line for line in stdout.splitlines() if line.strip()}


def test_health_passes_on_a_good_configuration(base_env: dict[str, str]) -> None:
    out = ragbot(["health"], base_env)
    assert out.returncode == 0, out.stdout + out.stderr
    checks = lines_by_check(out.stdout)
    assert list(checks) == ["database", "pgvector", "migrations", "broker", "embedder", "chat"]
    assert all(line.startswith("ok ") for line in checks.values()), out.stdout
    assert "PONG" in checks["broker"] and "384 dimensions" in checks["embedder"]


def test_health_fails_naming_the_database_on_a_broken_url(base_env: dict[str, str]) -> None:
    base_env["DATABASE_URL"] = f"postgresql://ragbot:s3cret-pw@127.0.0.1:{free_port()}/ragbot"
    out = ragbot(["health", "--skip", "embedder"], base_env)
    assert out.returncode == 1, out.stdout + out.stderr
    checks = lines_by_check(out.stdout)
    assert checks["database"].startswith("FAIL database") and "refused" in checks["database"].lower()
    assert checks["migrations"].startswith("FAIL") and checks["broker"].startswith("ok ")
    assert "s3cret-pw" not in out.stdout + out.stderr


def test_health_fails_naming_the_broker_when_redis_is_unreachable(base_env: dict[str, str]) -> None:
    base_env["REDIS_URL"] = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    out = ragbot(["health", "--json"], base_env)
    assert out.returncode == 1, out.stdout + out.stderr
    report = json.loads(out.stdout)
    failed = {c["name"]: c["detail"] for c in report["checks"] if not c["ok"]}
    assert list(failed) == ["broker"] and "cannot reach" in failed["broker"]
    assert "hunter2-secret" not in out.stdout + out.stderr


def test_health_without_redis_names_the_fallback_broker(base_env: dict[str, str]) -> None:
    del base_env["REDIS_URL"]
    out = ragbot(["health", "--only", "broker"], base_env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("ok   broker") and "REDIS_URL unset" in out.stdout and "database" in out.stdout


def test_health_rejects_an_unknown_check(base_env: dict[str, str]) -> None:
    out = ragbot(["health", "--only", "dns"], base_env)
    assert out.returncode == 2 and "unknown check dns" in out.stderr
