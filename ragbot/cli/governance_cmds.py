"""`ragbot audit` and `ragbot owner`: who changed what the bot knows, and moving a document to a new owner."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from ragbot.cli.app import app, console, services
from ragbot.ingestion.intake import owner_label
from ragbot.storage.audit import AuditEntry

SpaceOpt = Annotated[str | None, typer.Option("--space", "-s", help="Only this space (workspace); default: all.")]


def _who(entry: AuditEntry) -> str:
    return owner_label(entry.actor, entry.actor_name) if entry.actor or entry.actor_name != "retention" \
        else "retention"


@app.command()
def audit(
    space: SpaceOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many entries.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the latest changes: who added, replaced, deleted, reindexed or gave away which document, and when."""
    entries = services().admin.audit_trail(space=space, limit=limit)
    if as_json:
        print(json.dumps([{"at": e.at.isoformat(), "actor": e.actor, "actor_name": e.actor_name, "action": e.action,
                           "subject": e.subject, "document_id": e.document_id, "detail": e.detail}
                          for e in entries], indent=2))
        return
    if not entries:
        console.print("Nothing has changed yet.")
        return
    table = Table("when (UTC)", "who", "what", "document", "detail")
    for e in entries:
        doc = e.subject + (f" ({e.document_id})" if e.document_id else "")
        table.add_row(f"{e.at:%Y-%m-%d %H:%M}", _who(e), e.action, doc, e.detail or "")
    console.print(table)


@app.command()
def owner(
    doc: Annotated[str, typer.Argument(help="Document id, source or title.")],
    user: Annotated[str, typer.Argument(help="The new owner's id as Ragbot records it, e.g. slack:U123 or "
                                             "discord:4242.")],
    name: Annotated[str | None, typer.Option("--name", help="The new owner's display name.")] = None,
    space: SpaceOpt = None,
) -> None:
    """Give a document to another user, who may then replace or delete it."""
    if not user.startswith(("slack:", "discord:")) or not user.split(":", 1)[1]:
        raise typer.BadParameter("give the user as slack:USERID or discord:USERID", param_hint="USER")
    moved = services().admin.give(doc, to=user, to_name=name, space=space)
    console.print(f"{moved.title} ({moved.id}) now belongs to {owner_label(moved.uploader, moved.uploader_name)}",
                  highlight=False)
