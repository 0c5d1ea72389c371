"""Small helpers shared by test packages: free ports and a real Redis for the session."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_answers(port: int) -> bool:
    """Whether a Redis on 127.0.0.1:port answers PING."""
    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@contextmanager
def embedded_data_dir(prefix: str = "ragbot-test-") -> Iterator[Path]:
    """A data dir for an embedded PostgreSQL of its own, stopped and removed afterwards."""
    from ragbot.storage.embedded import stop_embedded

    # Not under pytest's tmp dir: pytest keeps that private (0700) and, as root, the server runs as another user.
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    data_dir.chmod(0o755)
    try:
        yield data_dir
    finally:
        stop_embedded(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def running_redis() -> Iterator[int]:
    """The machine's Redis on 6379, or a throwaway redis-server started (and stopped) here; yields its port."""
    if redis_answers(6379):
        yield 6379
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("no Redis on 127.0.0.1:6379 and no redis-server to start: install redis-server")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not redis_answers(port):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start within 10 s")
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


# Knobs of the test suite itself, which a caller may set on purpose.
TEST_KNOBS = ("RAGBOT_TEST_", "RAGBOT_FUZZ_")
_PREFIXES = ("RAGBOT_", "OPENAI_", "SLACK_", "DISCORD_", "VOYAGE_", "ANTHROPIC_")


def scrub_environment(environ: dict[str, str] | None = None) -> list[str]:
    """Remove every variable Ragbot's Settings (or a vendor SDK) would read, so the calling shell cannot steer tests.

    Returns the names removed. Subprocesses started by tests inherit the scrubbed environment.
    """
    import os

    from ragbot.config import Settings

    env = os.environ if environ is None else environ
    names = {"DATABASE_URL", "REDIS_URL"}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names.update(c.upper() for c in getattr(alias, "choices", ()) if isinstance(c, str))
    removed = [k for k in list(env) if (k.upper() in names or k.upper().startswith(_PREFIXES))
               and not k.upper().startswith(TEST_KNOBS)]
    for key in removed:
        del env[key]
    return removed


def fresh_database(pg_url: str, name: str) -> Any:
    """An engine on a new, empty database of the test server (dropped first if a run left it behind)."""
    from sqlalchemy import text

    from ragbot.storage import db

    admin = db.make_engine(pg_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return db.make_engine(pg_url.replace("/postgres?", f"/{name}?"))
