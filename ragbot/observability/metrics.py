"""Prometheus series, the helpers the core calls to update them, and the /metrics + /healthz endpoints."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.registry import Collector

_log = logging.getLogger(__name__)

# True/False, or (ok, detail) like the Slack HTTP server's health callback.
Health = Callable[[], "bool | tuple[bool, str]"]
DOC_STATES = ("queued", "processing", "ready", "failed")

QUESTIONS = Counter("ragbot_questions", "Questions asked, by platform and outcome (answered, rate_limited, failed).",
                    ["platform", "outcome"])
ANSWER_LATENCY = Histogram("ragbot_answer_latency_seconds", "Time to a complete answer, by platform.", ["platform"],
                           buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60))
# Grounded ratio = rate(grounded="true") / rate(all); a counter pair survives restarts and sums across replicas.
ANSWERS = Counter("ragbot_answers", "Answers given, by platform and whether the documents supported them.",
                  ["platform", "grounded"])
VOTES = Counter("ragbot_votes", "👍/👎 on answers, by platform and value (up, down).", ["platform", "value"])
INGEST_DURATION = Histogram("ragbot_ingest_duration_seconds", "Time to ingest one document, by resulting state.",
                            ["state"], buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600))
INGESTED = Counter("ragbot_ingest_documents", "Ingestion runs by resulting state (ready, failed, skipped, retry).",
                   ["state"])
PROVIDER_ERRORS = Counter("ragbot_provider_errors", "Errors from embedding/answering providers, by operation and kind.",
                          ["operation", "kind"])
RETRIES = Counter("ragbot_provider_retries", "Retries scheduled after transient provider or database errors.",
                  ["operation"])
RATE_LIMIT_UNAVAILABLE = Counter(
    "ragbot_rate_limit_unavailable", "Rate-limit checks let through because the limit store could not be reached.",
    ["store"])

# Collectors evaluated at scrape time; kept here too because multiprocess mode serves a fresh registry.
_SCRAPE_COLLECTORS: list[Collector] = []


def question_answered(platform: str, seconds: float, grounded: bool) -> None:
    """Count an answered question with its latency and whether it was grounded."""
    QUESTIONS.labels(platform, "answered").inc()
    ANSWER_LATENCY.labels(platform).observe(seconds)
    ANSWERS.labels(platform, "true" if grounded else "false").inc()


def question_refused(platform: str, outcome: str) -> None:
    """Count a question that got no answer: outcome is rate_limited or failed."""
    QUESTIONS.labels(platform, outcome).inc()


def vote(platform: str, value: int) -> None:
    """Count a vote on an answer: 1 is up, -1 is down."""
    VOTES.labels(platform, "up" if value > 0 else "down").inc()


def provider_error(operation: str, kind: str = "transient") -> None:
    """Count a provider error; operation is answer, ingest or rerank (or a provider), kind transient or permanent."""
    PROVIDER_ERRORS.labels(operation, kind).inc()


def rate_limit_unavailable(store: str) -> None:
    """Count a rate-limit check that failed open (its store was down): alert when this grows."""
    RATE_LIMIT_UNAVAILABLE.labels(store).inc()


def retry_scheduled(operation: str) -> None:
    """Count a retry that will happen later (a task re-queued, a provider call repeated)."""
    RETRIES.labels(operation).inc()


def ingest_retry(seconds: float) -> None:
    """Count an ingestion that hit a transient provider or database error and goes back to the queue."""
    provider_error("ingest")
    retry_scheduled("ingest")
    document_ingested("retry", seconds)


def document_ingested(state: str, seconds: float) -> None:
    """Count one ingestion run and how long it took."""
    INGESTED.labels(state).inc()
    INGEST_DURATION.labels(state).observe(seconds)


def add_scrape_collector(collector: Collector) -> None:
    """Publish a collector read at each scrape, also in a prefork worker's merged registry."""
    REGISTRY.register(collector)
    _SCRAPE_COLLECTORS.append(collector)


def remove_scrape_collector(collector: Collector) -> None:
    """Stop publishing a collector added with add_scrape_collector."""
    REGISTRY.unregister(collector)
    _SCRAPE_COLLECTORS.remove(collector)


def _registry() -> CollectorRegistry:
    # A prefork Celery worker counts in child processes. With PROMETHEUS_MULTIPROC_DIR set (prometheus_client
    # reads it at import), each child writes its samples to files there and this process must serve the merge.
    if values.ValueClass is values.MutexValue:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    for collector in _SCRAPE_COLLECTORS:
        registry.register(collector)
    return registry


def render_metrics() -> tuple[bytes, str]:
    """The Prometheus text exposition and its content type, for any HTTP server to return."""
    return generate_latest(_registry()), CONTENT_TYPE_LATEST


def _respond(path: str, health: Health | None) -> tuple[int, str, bytes]:
    path = path.split("?", 1)[0].rstrip("/") or "/"
    if path == "/metrics":
        body, ctype = render_metrics()
        return 200, ctype, body
    if path == "/healthz":
        try:
            verdict = health() if health is not None else True
        except Exception:  # noqa: BLE001 - a crashing health check means unhealthy, not a 500 with a trace
            _log.exception("health check raised")
            verdict = (False, "health check raised")
        ok, detail = verdict if isinstance(verdict, tuple) else (verdict, "ok" if verdict else "unhealthy")
        return (200 if ok else 503), "text/plain; charset=utf-8", f"{detail}\n".encode()
    return 404, "text/plain; charset=utf-8", b"not found; try /metrics or /healthz\n"


def metrics_wsgi_app(health: Health | None = None) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """A WSGI app answering /metrics and /healthz, for a WSGI server or dispatcher to mount."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        status, ctype, body = _respond(environ.get("PATH_INFO", "/"), health)
        reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
        start_response(f"{status} {reason}", [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    return app


class _Handler(BaseHTTPRequestHandler):
    health: Health | None = None

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        status, ctype, body = _respond(self.path, type(self).health)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        # Probes hit this every few seconds; access lines would drown the real logs.
        return


def start_metrics_server(host: str, port: int, *, health: Health | None = None) -> ThreadingHTTPServer:
    """Serve /metrics and /healthz from a daemon thread; port 0 picks a free port (see .server_address)."""
    handler = type("MetricsHandler", (_Handler,), {"health": staticmethod(health) if health else None})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="ragbot-metrics", daemon=True)
    thread.start()
    _log.info("metrics and health on http://%s:%s/metrics", host, server.server_address[1])
    return server
