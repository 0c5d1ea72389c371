"""Thin named tasks over bot.ingestion: each calls one core function and decides only whether to retry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from ragbot.adapters.status import status_updaters
from ragbot.crawl import sync as sites_sync
from ragbot.errors import NotFound
from ragbot.ingestion import jobs
from ragbot.ingestion.intake import INGEST_TASK
from ragbot.ingestion.pipeline import IngestResult
from ragbot.ingestion.pipeline import ingest_document as run_ingest
from ragbot.providers.celery_queue import CeleryQueue, is_fallback
from ragbot.storage.ops import purge_delivered_messages
from ragbot.wiring import Services, build
from ragbot.workers.celery_app import app, settings
from ragbot.workers.policy import MAX_RETRIES, RETRYABLE, backoff

_log = logging.getLogger(__name__)
_services: Services | None = None


def services() -> Services:
    """The services of this worker process, built on first use (after the fork, never shared across it)."""
    global _services
    if _services is None:
        # Same wiring as the bot, so progress edits the chat status message; sends go through this app.
        _services = build(settings, queue=CeleryQueue(app), status_updaters=status_updaters(settings))
        _services.ingest.passthrough = (SoftTimeLimitExceeded,)  # _document_task explains the time limit
    return _services


def _document_task(task: Task, document_id: int, work: Callable[[Services], IngestResult]) -> dict[str, Any]:
    """Run work for one document: retry transient faults with backoff, fail the document when it is hopeless."""
    try:
        svc = services()
        result = work(svc)
    except NotFound as exc:
        _log.info("document %s is gone: %s", document_id, exc)
        return {"document_id": document_id, "status": "gone"}
    except SoftTimeLimitExceeded:
        # Another attempt would hit the same limit, so this is permanent.
        reason = (f"Indexing took longer than {settings.task_soft_time_limit} s. Split the file into smaller "
                  "ones, or ask an admin to raise RAGBOT_TASK_SOFT_TIME_LIMIT.")
        services().jobs.give_up(document_id, reason)
        return {"document_id": document_id, "status": "failed", "message": reason}
    except RETRYABLE as exc:
        if task.request.retries >= task.max_retries:
            reason = f"{exc} Gave up after {task.request.retries + 1} attempts; retry it later."
            services().jobs.give_up(document_id, reason)
            return {"document_id": document_id, "status": "failed", "message": reason}
        delay = backoff(task.request.retries, visibility_timeout=settings.visibility_timeout)
        _log.warning("document %s: %s; retry %d in %.1f s", document_id, exc, task.request.retries + 1, delay)
        raise task.retry(exc=exc, countdown=delay) from exc
    return asdict(result)


def _maintenance_task(task: Task, work: Callable[[Services], Any]) -> Any:
    """Run a periodic or fan-out job; transient faults retry, the next beat tick covers the rest."""
    try:
        return work(services())
    except RETRYABLE as exc:
        raise task.retry(exc=exc, countdown=backoff(task.request.retries,
                                                    visibility_timeout=settings.visibility_timeout)) from exc


_OPTIONS: dict[str, Any] = {"bind": True, "max_retries": MAX_RETRIES, "acks_late": True, "reject_on_worker_lost": True}


@app.task(name=INGEST_TASK, **_OPTIONS)
def ingest_document(self: Task, document_id: int, force: bool = False) -> dict[str, Any]:
    """Ingest one queued document (a redelivery of a finished version is a no-op)."""
    return _document_task(self, document_id, lambda svc: run_ingest(svc.ingest, document_id, force=force))


@app.task(name=jobs.URL_TASK, **_OPTIONS)
def ingest_url(self: Task, document_id: int) -> dict[str, Any]:
    """Re-fetch a URL source and re-index it only when its content changed."""
    return _document_task(self, document_id, lambda svc: svc.jobs.resync_url(document_id))


@app.task(name="ragbot.reindex_document", **_OPTIONS)
def reindex_document(self: Task, document_id: int) -> dict[str, Any]:
    """Rebuild one document's chunks from its stored content."""
    return _document_task(self, document_id, lambda svc: svc.jobs.reindex_document(document_id))


@app.task(name="ragbot.reindex_space", **_OPTIONS)
def reindex_space(self: Task, space: str) -> int:
    """Queue every document of a space for re-indexing."""
    return _maintenance_task(self, lambda svc: svc.jobs.reindex_space(space))


@app.task(name="ragbot.delete_document", **_OPTIONS)
def delete_document(self: Task, document_id: int) -> bool:
    """Delete a document once no ingestion of it is running."""
    return _maintenance_task(self, lambda svc: svc.jobs.delete_document(document_id))


@app.task(name="ragbot.prune", **_OPTIONS)
def prune(self: Task) -> dict[str, int]:
    """Apply the retention settings (run daily by beat)."""
    return _maintenance_task(self, lambda svc: svc.jobs.prune())


@app.task(name="ragbot.reconcile", **_OPTIONS)
def reconcile(self: Task, older_than_seconds: int | None = None) -> list[int]:
    """Re-send documents stuck in queued or processing (run by beat)."""
    age = settings.stuck_after_seconds if older_than_seconds is None else older_than_seconds

    def work(svc: Services) -> list[int]:
        if is_fallback(str(app.conf.broker_url)):
            purge_delivered_messages(svc.engine)
        return svc.jobs.reconcile(older_than_seconds=age)

    return _maintenance_task(self, work)


@app.task(name=sites_sync.CRAWL_TASK, **_OPTIONS)
def crawl_site(self: Task, site_id: int, quiet: bool = False) -> dict[str, Any]:
    """Crawl a site: pages go to ingest tasks; it stops itself before the task's time limit."""
    def work(svc: Services) -> dict[str, Any]:
        try:
            done = svc.sites.crawl_site(site_id, quiet=quiet, time_budget=0.9 * settings.task_soft_time_limit)
        except NotFound:
            return {"site_id": site_id, "status": "gone"}
        return {"site_id": site_id, "changed": done.new_or_changed, "unchanged": done.unchanged,
                "forgotten": done.forgotten}

    return _maintenance_task(self, work)


@app.task(name=sites_sync.RESYNC_SITES_TASK, **_OPTIONS)
def resync_sites(self: Task) -> list[int]:
    """Queue a re-crawl of every site (run by beat)."""
    return _maintenance_task(self, lambda svc: svc.sites.resync_sites())


@app.task(name="ragbot.resync_urls", **_OPTIONS)
def resync_urls(self: Task) -> list[int]:
    """Send every ready URL source for a re-fetch (run by beat)."""
    return _maintenance_task(self, lambda svc: svc.jobs.resync_urls())
