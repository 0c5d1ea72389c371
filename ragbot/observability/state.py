"""The ragbot_documents and ragbot_queue_depth gauges, read from PostgreSQL and the broker at each scrape."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ragbot.observability.metrics import DOC_STATES, add_scrape_collector, remove_scrape_collector
from ragbot.storage import ops

_log = logging.getLogger(__name__)


class StateCollector(Collector):
    """Documents by state (from Postgres, the source of truth) and broker queue depth, read at each scrape."""

    def __init__(self, engine: Any, broker_url: str | None, queue: str = "ragbot") -> None:
        self.engine = engine
        self.broker_url = broker_url
        self.queue = queue
        self._redis: Any = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield ragbot_documents{state} and ragbot_queue_depth{queue}; a failing source is skipped."""
        docs = GaugeMetricFamily("ragbot_documents", "Documents by ingestion state.", labels=["state"])
        try:
            counts = dict.fromkeys(DOC_STATES, 0) | self._document_counts()
            for state, n in sorted(counts.items()):
                docs.add_metric([state], n)
            yield docs
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because one source is down
            _log.debug("documents by state unavailable: %s", exc)
        depth = GaugeMetricFamily("ragbot_queue_depth", "Tasks waiting in the broker queue.", labels=["queue"])
        try:
            depth.add_metric([self.queue], self._queue_depth())
            yield depth
        except Exception as exc:  # noqa: BLE001
            _log.debug("queue depth unavailable: %s", exc)

    def _document_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return ops.document_counts(conn)

    def _queue_depth(self) -> int:
        url = self.broker_url or ""
        if url.startswith(("redis://", "rediss://", "unix://")):
            return self._redis_depth(url)
        return self._table_depth()

    def _redis_depth(self, url: str) -> int:
        import redis

        if self._redis is None:
            self._redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        # kombu keeps priorities 3, 6 and 9 in sibling lists named queue + "\x06\x16" + priority.
        keys = [self.queue] + [f"{self.queue}\x06\x16{p}" for p in (3, 6, 9)]
        pipe = self._redis.pipeline()
        for key in keys:
            pipe.llen(key)
        return int(sum(pipe.execute()))

    def _table_depth(self) -> int:
        # The Postgres fallback broker (kombu's SQLAlchemy transport) creates its tables on first use.
        with self.engine.connect() as conn:
            return ops.fallback_queue_depth(conn, queue=self.queue)


def watch_state(engine: Any, broker_url: str | None, queue: str = "ragbot") -> StateCollector:
    """Publish documents by state and queue depth; do it in one process per deployment (the worker's)."""
    collector = StateCollector(engine, broker_url, queue)
    add_scrape_collector(collector)
    return collector


def unwatch_state(collector: StateCollector) -> None:
    """Stop publishing a StateCollector (tests, shutdown)."""
    remove_scrape_collector(collector)
