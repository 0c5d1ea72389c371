"""`ragbot worker` and `ragbot beat`: run the Celery background workers with defaults fit for this machine."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from ragbot.cli.app import app, err_console, fail, settings
from ragbot.errors import RagbotError

CELERY_APP = "ragbot.workers.celery_app"  # started by name: the bot package never imports the workers package


def _celery_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", CELERY_APP, *args]


def _preflight() -> None:
    """Check the settings here, so a bad value is one readable line rather than a Celery traceback."""
    from ragbot.providers.celery_queue import broker_url, check_time_limits
    from ragbot.storage.db import redact

    try:
        check_time_limits(settings())
        url = broker_url(settings())  # also starts the embedded database when DATABASE_URL is unset
    except RagbotError as exc:
        raise fail(str(exc)) from exc
    kind = "Redis" if settings().redis_url else "Postgres fallback (no REDIS_URL)"
    err_console.print(f"broker: {kind} {redact(url)}", highlight=False)


def _exec(argv: list[str]) -> None:
    # exec hands signals straight to Celery (TERM = warm shutdown), with no Python wrapper in between.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option("--concurrency", "-c", help="Worker processes; default: CPUs.")]
    = None,
    beat: Annotated[bool, typer.Option("--beat", "-B", help="Also run the scheduler (reconciler, URL re-sync).")]
    = False,
    loglevel: Annotated[str | None, typer.Option("--loglevel", "-l", help="Default: RAGBOT_LOG_LEVEL.")] = None,
    hostname: Annotated[str | None, typer.Option("--hostname", "-n", help="Worker name, e.g. ingest1@%h.")] = None,
) -> None:
    """Run a background ingestion worker (Redis, or the database itself when REDIS_URL is unset)."""
    _preflight()
    args = ["worker", "--loglevel", loglevel or settings().log_level, "--pool", "prefork",
            "--concurrency", str(concurrency or os.cpu_count() or 1), "--prefetch-multiplier", "1"]
    if hostname:
        args += ["--hostname", hostname]
    if beat:
        args += ["--beat", "--schedule", str(settings().data_dir / "celerybeat-schedule")]
    _exec(_celery_argv(*args))


@app.command()
def beat(
    loglevel: Annotated[str | None, typer.Option("--loglevel", "-l", help="Default: RAGBOT_LOG_LEVEL.")] = None,
) -> None:
    """Run the scheduler alone (one per deployment): the reconciler and the URL re-sync."""
    _preflight()
    schedule = str(settings().data_dir / "celerybeat-schedule")
    _exec(_celery_argv("beat", "--loglevel", loglevel or settings().log_level, "--schedule", schedule))
