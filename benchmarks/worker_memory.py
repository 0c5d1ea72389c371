"""Peak memory of one ingestion of a large upload, as a worker runs it (DESIGN target: < 600 MB RSS at 200 MB).

The upload is Markdown text of the requested size; embeddings come from a hash embedder at numpy speed, so
the figure is the pipeline's own memory (the local ONNX model adds about 100 MB, the Voyage client almost
nothing). Each size is uploaded by one subprocess and ingested by a fresh one, as a worker would: the ingesting
process reports its VmHWM, and its RSS before ingesting (interpreter and libraries) as the baseline.

    .venv/bin/python benchmarks/worker_memory.py --mb 10 50 200
    .venv/bin/python benchmarks/worker_memory.py --html 200   # real HTML pages, local model (html_memory.py)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SETUP = r"""
import json, sys, time
sys.path.insert(0, sys.argv[3])
from benchmarks.ingest import HashEmbedder
from sqlalchemy import text
from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel

def status(key):
    return int([l for l in open("/proc/self/status") if l.startswith(key + ":")][0].split()[1]) / 1024

size_mb, url = float(sys.argv[1]), sys.argv[2]
settings = Settings(database_url=url, max_upload_mb=size_mb + 10)
svc = build(settings, embedder=HashEmbedder(), chat=FakeChatModel())
# Without the HNSW index (build() creates it): its upkeep is the database server's memory and time, not the
# worker's, and it made a 20 MB run take minutes.
with svc.engine.begin() as conn:
    conn.execute(text("DROP INDEX IF EXISTS chunks_embedding_hnsw"))
"""

_UPLOAD = _SETUP + r"""
para = "Every release is tagged, announced in the release channel and rolled back with the runbook. "
# Numbered paragraphs: every chunk is distinct, as in a real document, so nothing is shared through the cache.
count = int(size_mb * 1048576 / (len(para) * 3 + 10))
data = ("# Big guide\n\n" + "\n\n".join(f"{i}. " + para * 3 for i in range(count))).encode()
acc = intake.add_file(svc.engine, scope=Scope("local"), data=data, filename="big.md", source_uri="big.md",
                      max_bytes=settings.max_upload_bytes)
print(json.dumps({"document_id": acc.document_id}))
"""

_INGEST = _SETUP + r"""
base = status("VmRSS")
started = time.perf_counter()
result = ingest_document(svc.ingest, int(sys.argv[4]))
print(json.dumps({"mb": size_mb, "status": result.status, "chunks": result.chunks,
                  "seconds": time.perf_counter() - started, "baseline_mb": base, "peak_mb": status("VmHWM")}))
with svc.engine.begin() as conn:
    conn.execute(text("TRUNCATE chunks"))  # else the next size's build() indexes these chunks before dropping it
"""


def _child(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run each size in its own process against a throw-away embedded PostgreSQL."""
    from ragbot.storage.embedded import embedded_url, stop_embedded

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[10, 50])
    parser.add_argument("--html", type=int, metavar="PAGES",
                        help="instead: this many pages of the Python manual with the local model (200 for the target)")
    parser.add_argument("--no-worker", action="store_true", help="with --html: the ingest process only")
    parser.add_argument("--worker-only", action="store_true", help="with --html: the worker only")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11", help="with --html: the worker's broker")
    args = parser.parse_args()
    if args.html:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from html_memory import report
        from pythondoc_corpus import ingest_pages

        report(ingest_pages(args.html), redis_url=args.redis, worker=not args.no_worker, ingest=not args.worker_only)
        return
    data_dir = Path(tempfile.mkdtemp(prefix="ragbot-bench-mem-"))
    data_dir.chmod(0o755)
    try:
        url = embedded_url(data_dir)
        print(f"{'upload':>8} {'chunks':>8} {'seconds':>8} {'baseline MB':>12} {'peak RSS MB':>12}")
        for mb in args.mb:
            uploaded = _child(_UPLOAD, str(mb), url, str(ROOT))
            r = _child(_INGEST, str(mb), url, str(ROOT), str(uploaded["document_id"]))
            print(f"{r['mb']:>6.0f}MB {r['chunks']:>8} {r['seconds']:>8.1f} {r['baseline_mb']:>12.0f}"
                  f" {r['peak_mb']:>12.0f}", flush=True)
    finally:
        stop_embedded(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
