"""`ragbot ingest`, `docs`, `forget`, `reindex`, `jobs`, `retry`: managing the index from the terminal."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ragbot.cli import walk
from ragbot.cli.app import app, console, err_console, services, settings
from ragbot.domain import DocumentInfo, Scope
from ragbot.errors import IngestError, RagbotError, TransientError
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.observability.redaction import redact

_log = logging.getLogger(__name__)

SpaceOpt = Annotated[str | None, typer.Option("--space", "-s", help="Space (workspace) to use; default 'local'.")]
ChannelOpt = Annotated[str | None, typer.Option("--channel", "-c", help="Limit to one channel; default: whole space.")]


def _accept(svc, scope: Scope, item: str):  # type: ignore[no-untyped-def]
    """Accept one file or URL; returns Accepted, raising IngestError for bad input."""
    if item.startswith(("http://", "https://")):
        return intake.add_url(svc.engine, scope=scope, url=item)
    path = Path(item)
    max_bytes = svc.settings.max_upload_bytes
    intake.check_upload(filename=path.name, size=path.stat().st_size, max_bytes=max_bytes)
    return intake.add_file(svc.engine, scope=scope, data=path.read_bytes(), filename=path.name,
                           source_uri=str(path.resolve()), max_bytes=max_bytes)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, directories (walked recursively) or http(s) URLs.")],
    space: SpaceOpt = None,
    channel: ChannelOpt = None,
    background: Annotated[bool, typer.Option("--background", help="Queue for the workers instead.")] = False,
    crawl: Annotated[bool, typer.Option("--crawl", help="Crawl the whole site under the URL (docs/crawl.md).")] = False,
    max_pages: Annotated[int | None, typer.Option("--max-pages", help="Page budget of --crawl (default 200).")] = None,
) -> None:
    """Add documents to the index (unchanged ones cost nothing)."""
    scope = Scope(space or settings().default_space, channel)
    if crawl or max_pages is not None:
        from ragbot.cli.sites_cmds import crawl_command

        raise typer.Exit(crawl_command(paths, scope=scope, crawl=crawl, max_pages=max_pages, background=background))
    svc = services()
    todo = walk.plan(paths)
    items = todo.items
    failures = 0
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err_console,
                  transient=True) as progress:
        task = progress.add_task("ingesting", total=len(items))
        for item in items:
            progress.update(task, description=Path(item).name[:40])
            failures += _ingest_one(svc, scope, item, background)
            progress.advance(task)
    failures += sum(_failed(problem) for problem in todo.problems)
    if todo.skipped:
        err_console.print(f"[dim]{escape(todo.skipped_line())}[/dim]", highlight=False)
    if failures:
        raise typer.Exit(1)


def _ingest_one(svc, scope: Scope, item: str, background: bool) -> int:  # type: ignore[no-untyped-def]
    """Ingest one file or URL and print its line; returns 1 when it failed. Nothing it raises stops the batch."""
    accepted = None
    try:
        accepted = _accept(svc, scope, item)
        if background:
            accepted = intake.enqueue(svc.queue, accepted, engine=svc.engine)
            console.print(f"[cyan]queued[/cyan] {item} (document {accepted.document_id}): {accepted.message}",
                          highlight=False)
            return 0
        if not accepted.changed:
            console.print(f"[dim]unchanged[/dim] {item}", highlight=False)
            return 0
        result = ingest_document(svc.ingest, accepted.document_id, on_wait=lambda: _waiting(item))
    except (IngestError, OSError) as exc:
        return _failed(_reason(item, exc))
    except TransientError as exc:
        # No worker retries a foreground run: record why, so the document never sits queued without a reason.
        reason = f"{exc} Run `ragbot retry {accepted.document_id}` to try again." if accepted else str(exc)
        if accepted is not None:
            svc.jobs.give_up(accepted.document_id, reason)
        return _failed(reason)
    except RagbotError as exc:
        return _failed(_reason(item, exc))
    except Exception:
        _log.exception("unexpected error ingesting %s", item)
        return _failed(f"{item}: an unexpected error stopped it; the details are in the log.")
    if result.status == "failed":
        return _failed(result.message)
    if result.status == "skipped":
        console.print(f"[dim]skipped[/dim] {item}: another run indexed it first ({result.message})", highlight=False)
        return 0
    console.print(f"[green]ready[/green] {item}: {result.chunks} chunks", highlight=False)
    return 0


def _waiting(item: str) -> None:
    err_console.print(f"[dim]waiting[/dim] {item}: another run is indexing this document; "
                      "this one goes on when it finishes", highlight=False)


def _reason(item: str, exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"{item}: no such file or directory"
    return text if item in text or Path(item).name in text else f"{item}: {text}"


def _failed(reason: str) -> int:
    err_console.print(f"[red]failed[/red] {escape(redact(reason))}", highlight=False)
    return 1


def _docs_table(docs: list[DocumentInfo]) -> Table:
    table = Table("id", "title", "status", "chunks", "scope", "source", "added by")
    for d in docs:
        # A queued document with an error is waiting for a retry or for the queue: say why.
        status = f"{d.status}: {d.error}" if d.error and d.status in ("failed", "queued") else d.status
        if d.status == "processing":
            status = f"processing {d.progress}%"
        if d.stale:
            status += " (stale: not cited)"
        table.add_row(str(d.id), d.title, status, str(d.chunks), d.space + (f"#{d.channel}" if d.channel else ""),
                      d.source, d.provenance)
    return table


def _doc_json(d: DocumentInfo) -> dict[str, object]:
    return {"id": d.id, "title": d.title, "source": d.source, "status": d.status, "chunks": d.chunks,
            "space": d.space, "channel": d.channel, "error": d.error, "progress": d.progress, "version": d.version,
            "uploader": d.uploader, "uploader_name": d.uploader_name, "added_via": d.added_via,
            "added_at": d.added_at.isoformat() if d.added_at else None, "stale": d.stale}


@app.command()
def docs(
    space: SpaceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    failed: Annotated[bool, typer.Option("--failed", help="Only documents that failed, with the reason.")] = False,
) -> None:
    """List documents with their status and chunk count."""
    found = services().admin.documents(space=space, failed=failed)
    if as_json:
        print(json.dumps([_doc_json(d) for d in found], indent=2))
    elif not found:
        console.print("No failed documents." if failed else "No documents yet. Add some with `ragbot ingest PATH`.")
    else:
        console.print(_docs_table(found))


@app.command()
def forget(doc: Annotated[str, typer.Argument(help="Document id, source path/URL or title.")],
           space: SpaceOpt = None) -> None:
    """Delete a document and its chunks."""
    gone = services().admin.forget(doc, space=space)
    console.print(f"deleted {gone.id}: {gone.title}", highlight=False)


@app.command()
def reindex(
    doc: Annotated[str | None, typer.Argument(help="Document id, source or title.")] = None,
    all_docs: Annotated[bool, typer.Option("--all", help="Reindex every document.")] = False,
    space: SpaceOpt = None,
    background: Annotated[bool, typer.Option("--background", help="Queue for the workers instead.")] = False,
) -> None:
    """Re-embed a document or everything (needed after changing the embedding model)."""
    if bool(doc) == all_docs:
        raise typer.BadParameter("give either a document or --all")
    svc = services() if doc or not all_docs else _services_for_reindex()
    results = svc.admin.reindex(ref=doc, space=space, background=background)
    failed = [r for r in results if r.status == "failed"]
    for r in failed:
        err_console.print(f"[red]failed[/red] {r.document_id}: {r.message}", highlight=False)
    console.print(f"reindexed {len(results) - len(failed)} of {len(results)} documents"
                  + (" (queued)" if background else ""))
    if failed:
        raise typer.Exit(1)


def _services_for_reindex():  # type: ignore[no-untyped-def]
    # A model change is exactly what reindex --all is for, so the index check must not refuse it.
    return services(check_index=False)


@app.command()
def jobs(space: SpaceOpt = None) -> None:
    """List documents that are queued or processing."""
    found = services().admin.in_flight(space=space)
    console.print(_docs_table(found) if found else "Nothing in flight.")


@app.command()
def retry(doc: Annotated[str, typer.Argument(help="Document id, source or title.")], space: SpaceOpt = None) -> None:
    """Queue a failed document again."""
    result = services().admin.retry(doc, space=space)
    console.print(f"{doc}: {result.message}", highlight=False)
