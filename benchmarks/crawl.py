"""Crawl speed on real documentation served on loopback: a first crawl, a re-sync with nothing changed, and a crawl
ingested end to end with the local model.

The site is the Python 3.11 manual from Debian's `python3.11-doc` (/usr/share/doc/python3.11/html), served by a
plain http.server on 127.0.0.1 (RAGBOT_ALLOW_PRIVATE_URLS on, RAGBOT_CRAWL_DELAY_MS 0, so the figures are
Ragbot's own cost, not the politeness pause). Each run uses a throw-away embedded PostgreSQL.

    .venv/bin/python benchmarks/crawl.py --pages 200            # library/: crawl + store, then an unchanged re-sync
    .venv/bin/python benchmarks/crawl.py --ingest tutorial/     # a small folder, indexed end to end
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import shutil
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.storage.embedded import embedded_url, stop_embedded
from ragbot.wiring import build

DOCS = Path("/usr/share/doc/python3.11/html")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _NoQueue:
    """Pages are stored but not ingested: measures the crawl itself."""

    def __init__(self) -> None:
        self.sent = 0

    def enqueue(self, task_name: str, **kwargs: Any) -> None:
        self.sent += 1


class _CountingEmbedder:
    def __init__(self, inner: Any) -> None:
        self.inner, self.calls, self.model_id, self.dim = inner, 0, inner.model_id, inner.dim

    def embed_documents(self, texts: Any) -> Any:
        self.calls += 1
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Any:
        return self.inner.embed_query(text)


def _serve() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(DOCS)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _timed(svc: Any, site_id: int, embedder: _CountingEmbedder, label: str, *, inline: bool = False) -> float:
    started, calls = time.perf_counter(), embedder.calls
    outcome = svc.sites.crawl_site(site_id, inline=inline)
    seconds = time.perf_counter() - started
    fetched = outcome.report.fetched if outcome.report else 0
    print(f"{label}: {fetched} pages in {seconds:.2f} s = {fetched / seconds:.1f} pages/s; "
          f"{outcome.new_or_changed} new or changed, {outcome.unchanged} unchanged, "
          f"{embedder.calls - calls} embedding calls")
    return seconds


def main() -> None:
    """Run the crawl benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default="library/", help="folder of the manual to crawl (default library/)")
    parser.add_argument("--pages", type=int, default=200, help="page budget (--max-pages)")
    parser.add_argument("--ingest", metavar="FOLDER", help="also crawl FOLDER and index it with the local model")
    args = parser.parse_args()
    if not DOCS.is_dir():
        raise SystemExit(f"{DOCS} is missing: apt-get install python3.11-doc")
    from ragbot.providers.local_embedder import LocalEmbedder

    local = LocalEmbedder()
    local.load()
    embedder = _CountingEmbedder(local)
    server, base = _serve()
    data_dir = Path(tempfile.mkdtemp(prefix="ragbot-bench-crawl-"))
    data_dir.chmod(0o755)
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average, {os.cpu_count()} cores)")
    try:
        settings = Settings(database_url=embedded_url(data_dir), data_dir=data_dir, allow_private_urls=True,
                            crawl_delay_ms=0)
        svc = build(settings, embedder=embedder, queue=_NoQueue())
        site = svc.sites.add_site(scope=Scope("bench"), url=f"{base}/{args.folder}", max_pages=args.pages)
        _timed(svc, site.id, embedder, f"crawl {args.folder} (fetch + store, indexing left to workers)")
        if args.ingest:
            small = svc.sites.add_site(scope=Scope("bench"), url=f"{base}/{args.ingest}", max_pages=args.pages)
            seconds = _timed(svc, small.id, embedder, f"crawl + index {args.ingest} (local model)", inline=True)
            with svc.engine.connect() as conn:
                chunks = int(conn.execute(text("SELECT coalesce(sum(chunk_count), 0) FROM documents"
                                               " WHERE site_id = :s"), {"s": small.id}).scalar() or 0)
            print(f"  {chunks} chunks = {chunks / seconds:.1f} chunks/s")
            _timed(svc, small.id, embedder, f"re-sync {args.ingest}, nothing changed", inline=True)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS: {rss:.0f} MB")
        svc.engine.dispose()
    finally:
        server.shutdown()
        stop_embedded(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
