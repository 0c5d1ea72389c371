"""Peak RSS, stage by stage, of an ingest process and of a real worker on a directory of real HTML pages with the
local model (part of benchmarks/worker_memory.py --html; target: both at most 500 MB on 200 pages).

The ingest process does what `ragbot ingest DIR` does, in a fresh Python process; between stages it resets the
kernel's peak-RSS counter (/proc/self/clear_refs), so each stage's figure is its own peak. The worker is
`ragbot worker --concurrency 1` (Celery prefork) fed by `ragbot ingest DIR --background` through Redis; its pool
process's VmHWM is read from /proc once every page is indexed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[1]

_STAGES = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])

def status(key, pid="self"):
    return int([l for l in open(f"/proc/{pid}/status") if l.startswith(key + ":")][0].split()[1]) / 1024

def stage(name):
    peaks[name] = round(status("VmHWM"))
    with open("/proc/self/clear_refs", "w") as f:  # "5" resets the peak RSS to the current RSS
        f.write("5")

peaks = {}
from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.loaders import load_bytes
from ragbot.ingestion.pipeline import ingest_document
from ragbot.ingestion.splitter import split_sections
from ragbot.providers.local_embedder import LocalEmbedder
from ragbot.wiring import build
stage("start-up (interpreter, libraries)")
root, url = Path(sys.argv[1]), sys.argv[2]
pages = sorted(p for p in root.rglob("*.html"))
embedder = LocalEmbedder()
embedder.load()
svc = build(Settings(database_url=url), embedder=embedder)
stage("model loaded, database connected")
chunks = sum(len(split_sections(load_bytes(p.read_bytes(), p.name, max_bytes=10**8).sections)) for p in pages)
stage("load and split every page (no embedding)")
started = time.perf_counter()
for p in pages:
    acc = intake.add_file(svc.engine, scope=Scope("mem"), data=p.read_bytes(), filename=p.name,
                          source_uri=str(p), max_bytes=10**8)
    ingest_document(svc.ingest, acc.document_id)
seconds = time.perf_counter() - started
stage("ingest: embed, COPY, index, page by page")
print(json.dumps({"pages": len(pages), "chunks": chunks, "seconds": seconds, "peaks": peaks}))
"""


def _database(admin: Engine, url: str, name: str) -> str:
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return url.replace("/postgres?", f"/{name}?")


def _vmhwm(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
            except OSError:
                continue
    return out


def ingest_process(pages_dir: Path, url: str) -> dict:
    """The stage peaks of one `ragbot ingest DIR`-like process."""
    out = subprocess.run([sys.executable, "-c", _STAGES, str(pages_dir), url, str(ROOT)], capture_output=True,
                         text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def worker_process(pages_dir: Path, url: str, data_dir: Path, redis_url: str, timeout: float = 3600) -> dict:
    """Peak RSS of a real one-process worker (pool child and Celery's main process) ingesting the pages."""
    from ragbot.storage import db

    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "DATABASE_", "REDIS_"))}
    env.update(DATABASE_URL=url, REDIS_URL=redis_url, RAGBOT_EMBEDDER="local", RAGBOT_DATA_DIR=str(data_dir),
               RAGBOT_LOG_LEVEL="WARNING")
    cli = [sys.executable, "-m", "ragbot.cli"]
    worker = subprocess.Popen([*cli, "worker", "--concurrency", "1"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run([*cli, "ingest", str(pages_dir), "--space", "mem", "--background"], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        engine = db.make_engine(url)
        started = time.perf_counter()
        peaks: dict[int, float] = {}  # per pool process: Celery replaces one after 200 tasks, so poll as it runs
        while time.perf_counter() - started < timeout:
            for pid in _children(worker.pid):
                try:
                    peaks[pid] = max(peaks.get(pid, 0.0), _vmhwm(pid))
                except OSError:
                    continue  # it just exited
            with engine.connect() as conn:
                waiting = conn.execute(text("SELECT count(*) FROM documents WHERE status NOT IN ('ready', 'failed')"
                                            )).scalar_one()
                chunks = conn.execute(text("SELECT count(*) FROM chunks")).scalar_one()
            if not waiting:
                break
            time.sleep(1)
        seconds = time.perf_counter() - started
        engine.dispose()
        return {"chunks": chunks, "seconds": seconds, "main_mb": round(_vmhwm(worker.pid)),
                "pool_mb": round(max(peaks.values(), default=0.0)), "waiting": waiting}
    finally:
        worker.terminate()
        worker.wait(60)


def report(pages: list[str], *, redis_url: str, worker: bool = True, ingest: bool = True) -> None:
    """Copy the pages, then measure the ingest process and (if asked) the worker, each in its own database."""
    from pythondoc_corpus import ensure_installed

    from ragbot.storage import db
    from ragbot.storage.embedded import embedded_url, stop_embedded

    html = ensure_installed()
    tmp = Path(tempfile.mkdtemp(prefix="ragbot-bench-htmlmem-"))
    tmp.chmod(0o755)
    pages_dir = tmp / "pages"
    for page in pages:
        (pages_dir / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(html / page, pages_dir / page)
    try:
        url = embedded_url(tmp)
        admin = db.make_engine(url)
        size = sum((pages_dir / p).stat().st_size for p in pages) / 1e6
        print(f"\npeak RSS on {len(pages)} real HTML pages ({size:.1f} MB), local int8 MiniLM (target <= 500 MB)")
        if ingest:
            run = ingest_process(pages_dir, _database(admin, url, "mem_ingest"))
            print(f"ingest process ({run['chunks']} chunks, {run['seconds']:.0f} s of ingesting), stage peaks:")
            for name, mb in run["peaks"].items():
                print(f"  {name:46} {mb:6} MB")
            print(f"  {'whole process':46} {max(run['peaks'].values()):6} MB")
        if worker:
            w = worker_process(pages_dir, _database(admin, url, "mem_worker"), tmp, redis_url)
            print(f"worker (ragbot worker -c 1, {w['chunks']} chunks in {w['seconds']:.0f} s"
                  f"{'' if not w['waiting'] else ', NOT FINISHED'}): pool process {w['pool_mb']} MB,"
                  f" Celery main process {w['main_mb']} MB")
        admin.dispose()
    finally:
        stop_embedded(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
