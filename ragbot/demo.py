"""`make demo`: ingest the sample handbook offline and answer a few questions with citations."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from ragbot.config import load_settings
from ragbot.domain import Scope
from ragbot.errors import RagbotError
from ragbot.ingestion import intake
from ragbot.ingestion.loaders import iter_files
from ragbot.ingestion.pipeline import ingest_document
from ragbot.wiring import build

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "handbook"
QUESTIONS = [
    "How many vacation days do I get per year?",
    "Which command checks the replica lag for NWL-4471?",
    "Who needs to approve international travel?",
    "What is the airspeed velocity of an unladen swallow?",
]


def main() -> None:
    """Run the demo end to end on the embedded defaults."""
    console = Console()
    settings = load_settings()
    started = time.perf_counter()
    svc = build(settings)
    where = "DATABASE_URL" if settings.database_url else f"embedded PostgreSQL under {settings.data_dir}"
    console.print(f"[bold]Ragbot demo[/bold] — {where}; embedder {svc.embedder.model_id}; answers by {svc.chat.name}")
    scope = Scope(settings.default_space)
    for path in iter_files(SAMPLES):
        acc = intake.add_file(svc.engine, scope=scope, data=path.read_bytes(), filename=path.name,
                              source_uri=str(path.resolve()), max_bytes=settings.max_upload_bytes)
        result = ingest_document(svc.ingest, acc.document_id)
        status = result.status if acc.changed else "unchanged"
        console.print(f"  {status:>9}  {path.relative_to(SAMPLES.parent)}  ({result.chunks} chunks)")
    console.print(f"indexed in {time.perf_counter() - started:.1f} s\n")
    for question in QUESTIONS:
        answer = svc.rag.answer(question, scope=scope, no_answer_hint="Add a document with `ragbot ingest PATH`.")
        sources = "\n".join(
            f"[{c.n}] {c.title}{', ' + c.location if c.location else ''} — {Path(c.source).name}"
            for c in answer.citations
        )
        body = answer.text + (f"\n\n[dim]{sources}[/dim]" if sources else "")
        verdict = "[green]grounded[/green]" if answer.grounded else "[yellow]not in the docs[/yellow]"
        title = f"Q: {question}  {verdict}"
        console.print(Panel(body, title=title, title_align="left", expand=True), markup=True)
    console.print("Try it yourself:  [bold].venv/bin/ragbot chat[/bold]   or   "
                  "[bold].venv/bin/ragbot ask \"...\" --json[/bold]")


if __name__ == "__main__":
    try:
        main()
    except RagbotError as exc:  # a bad setting, a database that will not start: one line, then exit 2
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
