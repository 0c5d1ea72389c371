"""`ragbot health`: one line per check, non-zero exit on any failure, so it can serve as a probe."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ragbot.cli.app import app, fail, settings

_NAMES = "database, pgvector, migrations, broker, embedder, chat"


@app.command()
def health(
    only: Annotated[list[str] | None, typer.Option("--only", help=f"Run just these checks ({_NAMES}).")] = None,
    skip: Annotated[list[str] | None, typer.Option("--skip", help="Leave these checks out.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of lines.")] = False,
) -> None:
    """Check the database, pgvector, migrations, the broker, the embedder and the chat model; exit 1 if any fails."""
    # Imported here: every other command pays nothing for the health module.
    from ragbot.health import CHECKS, run_checks
    from ragbot.health import as_json as to_json

    unknown = [n for n in [*(only or []), *(skip or [])] if n not in CHECKS]
    if unknown:
        raise fail(f"unknown check {', '.join(unknown)}; choose from {_NAMES}")
    names = [n for n in (only or CHECKS) if n not in (skip or [])]
    results = run_checks(settings(), names)
    if as_json:
        typer.echo(json.dumps(to_json(results)))
    else:
        for result in results:
            typer.echo(result.line())
    if not all(r.ok for r in results):
        raise typer.Exit(1)
