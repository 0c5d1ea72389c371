"""Worker process plumbing through Celery signals: Ragbot's log format, /metrics and /healthz, child clean-up."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import signals

from ragbot.config import Settings

_log = logging.getLogger(__name__)
_state = {"ready": False}


def install(settings: Settings, broker_url: str) -> None:
    """Connect the handlers (once per process: the app module is imported once)."""

    @signals.setup_logging.connect(weak=False)
    def _logging(loglevel: Any = None, **_: Any) -> None:
        # Connecting here stops Celery from installing its own handlers: one format (text or JSON) everywhere,
        # with secrets redacted, in the main process and the pool children alike.
        from ragbot.observability.logging import configure_logging, secrets_of

        level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else (loglevel or settings.log_level)
        configure_logging(settings.log_format == "json", level, secrets=secrets_of(settings))

    @signals.worker_init.connect(weak=False)
    def _serve(**_: Any) -> None:
        if not settings.metrics_port:
            return
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        from ragbot.observability import metrics, state
        from ragbot.storage.db import database_url

        try:
            metrics.start_metrics_server(settings.metrics_host, settings.metrics_port, health=_health)
        except OSError as exc:  # another process has the port: ingestion matters more than metrics
            _log.warning("metrics server not started on port %s: %s", settings.metrics_port, exc)
            return
        # NullPool: this engine lives in the parent, and pooled connections would be inherited by forked children.
        state.watch_state(create_engine(database_url(settings), poolclass=NullPool), broker_url)

    @signals.worker_ready.connect(weak=False)
    def _ready(**_: Any) -> None:
        _state["ready"] = True

    @signals.worker_process_shutdown.connect(weak=False)
    def _child_exit(pid: int | None = None, **_: Any) -> None:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # drop the dead child's live gauges from the merge
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid or os.getpid())


def _health() -> tuple[bool, str]:
    """Healthy once the worker consumes; a broker outage is not a reason to restart it."""
    return (True, "worker ready") if _state["ready"] else (False, "worker starting")
