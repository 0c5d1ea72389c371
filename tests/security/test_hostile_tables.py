"""Hostile tables and oversized documents through the whole pipeline: refused before embedding, in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from ragbot.domain import Scope
from ragbot.errors import FileTooLarge
from ragbot.ingestion import intake
from ragbot.ingestion.loaders import load_bytes
from ragbot.ingestion.pipeline import ingest_document
from ragbot.providers.local_embedder import LocalEmbedder
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.security import hostile as h

ROOT = Path(__file__).resolve().parents[2]
PEAK_MB, SECONDS = 600, 10.0  # docs/security.md's promise for any hostile file

# A worker-like process: real local embedder, real database, the full pipeline, one file after another.
_WORKER = """
import json, sys, time
from pathlib import Path
from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.errors import FileTooLarge
from ragbot.ingestion import intake
from ragbot.ingestion.loaders import load_bytes
from ragbot.ingestion.pipeline import ingest_document
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel
svc = build(Settings(database_url=sys.argv[2], data_dir=sys.argv[3]), chat=FakeChatModel())
out = {}
for path in sorted(Path(sys.argv[1]).iterdir()):
    started = time.monotonic()
    acc = intake.add_file(svc.engine, scope=Scope("local"), data=path.read_bytes(), filename=path.name,
                          source_uri=path.name, max_bytes=svc.settings.max_upload_bytes)
    result = ingest_document(svc.ingest, acc.document_id)
    out[path.name] = [result.status, result.message, round(time.monotonic() - started, 2)]
# VmHWM belongs to this process's own memory map; ru_maxrss would carry over the forking pytest's peak.
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
out["peak_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(out))
"""

HOSTILE = {
    "wide.csv": (h.wide_csv, "over the limit of 300 columns"),
    "one-line.csv": (h.one_line_csv, "line 1 is over 1 MB"),
    "long.csv": (h.long_csv, "more than 20,000,000 characters"),
}


def test_a_worker_refuses_wide_and_long_tables_before_embedding_in_bounded_memory(
        clean_db, pg_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = tmp_path / "files"
    files.mkdir()
    for name, (make, _) in HOSTILE.items():
        (files / name).write_bytes(make())
    (files / "offices.csv").write_bytes(b"city,address\nLisbon,Rua da Prata 112\nPorto,Rua de Santa Catarina 9\n")
    run = subprocess.run([sys.executable, "-c", _WORKER, str(files), pg_url, str(tmp_path / "data")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    peak = report.pop("peak_mb")
    print(f"\nhostile tables, full pipeline with the local model: peak {peak:.0f} MB RSS;",
          {name: seconds for name, (_, _, seconds) in report.items()})
    assert peak < PEAK_MB, f"a worker peaked at {peak:.0f} MB on hostile tables"
    assert report["offices.csv"][0] == "ready"
    for name, (_, limit) in HOSTILE.items():
        status, message, seconds = report[name]
        assert status == "failed" and message.startswith(f"{name}: ") and limit in message, report[name]
        assert seconds < SECONDS, (name, seconds)
    with clean_db.connect() as conn:
        cached = conn.execute(text("SELECT count(*) FROM embedding_cache")).scalar()
    assert cached == 1  # only the one chunk of offices.csv was ever embedded


def test_a_document_past_the_chunk_limit_is_refused_before_any_embedding(clean_db, settings) -> None:  # type: ignore[no-untyped-def]
    embedder = FakeEmbedder()
    svc = build(settings.model_copy(update={"max_chunks_per_document": 5}), embedder=embedder, chat=FakeChatModel())
    long_text = " ".join(f"word{i}" for i in range(2000))  # about 30 chunks by size alone
    headings = "".join(f"# Part {i}\n\nLine {i}.\n\n" for i in range(30))  # short, but 30 sections: 30 chunks
    for name, body in (("long.txt", long_text), ("parts.md", headings)):
        acc = intake.add_file(svc.engine, scope=Scope("local"), data=body.encode(), filename=name, source_uri=name,
                              max_bytes=svc.settings.max_upload_bytes)
        result = ingest_document(svc.ingest, acc.document_id)
        assert result.status == "failed", result
        assert result.message.startswith(f"{name}: ") and "RAGBOT_MAX_CHUNKS_PER_DOCUMENT" in result.message
        assert "5 chunks" in result.message
    assert embedder.calls == 0
    with svc.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM chunks")).scalar() == 0
    svc.engine.dispose()


def test_a_cell_past_the_limit_names_the_file_row_and_limit() -> None:
    data = b"q,a\nshort,fine\nlong," + b"word " * 5000 + b"\n"
    with pytest.raises(FileTooLarge) as caught:
        load_bytes(data, "faq.csv", max_bytes=50 * h.MB)
    message = str(caught.value)
    assert message.startswith("faq.csv: ") and "row 3" in message and "20,000 characters" in message


def test_the_default_chunk_limit_fits_the_largest_allowed_text_upload(settings) -> None:  # type: ignore[no-untyped-def]
    per_chunk = settings.chunk_size - settings.chunk_overlap
    assert settings.chunk_limit * per_chunk >= settings.max_upload_bytes
    bigger = settings.model_copy(update={"max_upload_mb": 210.0})
    assert bigger.chunk_limit * per_chunk >= bigger.max_upload_bytes


def test_local_embedding_batches_are_bounded_by_padded_tokens_and_keep_the_order() -> None:
    embedder = LocalEmbedder(batch_tokens=1024)
    texts = [("word " * n).strip() for n in (200, 3, 150, 1, 40, 230, 5, 90) * 6]
    embedder.load()
    encodings = embedder._tokenizer.encode_batch(texts)
    lengths = [len(e.ids) for e in encodings]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    batches = embedder._batches(order, lengths)
    assert [i for b in batches for i in b] == order  # sorted by length across the whole call
    assert all(len(b) * max(lengths[i] for i in b) <= 1024 for b in batches if len(b) > 1)
    assert len(batches[0]) > len(batches[-1])  # short texts share wide batches, long ones narrow ones
    together = embedder.embed_documents(texts)
    alone = [embedder.embed_documents([t])[0] for t in texts[:8]]
    for a, b in zip(together[:8], alone, strict=True):
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-4
