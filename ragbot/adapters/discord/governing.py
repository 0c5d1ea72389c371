"""/admin audit and /admin owner: who changed what the bot knows, and moving a document to a new owner."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from ragbot.adapters.discord.administering import acting_admin, send_pages, space_of
from ragbot.adapters.discord.context import run_or_refuse
from ragbot.adapters.discord.formatting import chunked_lines
from ragbot.ingestion.intake import owner_label
from ragbot.storage.audit import AuditEntry

if TYPE_CHECKING:
    from ragbot.adapters.discord.context import RagbotContext


def _line(e: AuditEntry) -> str:
    if e.actor is None and e.actor_name == "retention":
        who = "retention"
    elif e.actor and e.actor.startswith("discord:"):
        who = f"<@{e.actor.removeprefix('discord:')}>"
    else:
        who = discord.utils.escape_markdown(owner_label(e.actor, e.actor_name))
    doc = f" (`{e.document_id}`)" if e.document_id else ""
    detail = f" — {discord.utils.escape_markdown(e.detail)}" if e.detail else ""
    return (f"• {discord.utils.format_dt(e.at, 'f')} {who} **{e.action}** "
            f"{discord.utils.escape_markdown(e.subject)[:100]}{doc}{detail}")


async def audit(cog: RagbotContext, interaction: discord.Interaction) -> None:
    """The latest changes on this server, newest first."""
    entries = await cog.run(cog.uses.admin.audit_trail, space=space_of(interaction), limit=25)
    lines = [_line(e) for e in entries] or ["Nothing has changed yet."]
    await send_pages(interaction, chunked_lines(["**Latest changes** (newest first)", *lines]))


async def owner(cog: RagbotContext, interaction: discord.Interaction, document: str, user: discord.User) -> None:
    """Give a document to another member, who may then replace or delete it."""
    moved = await run_or_refuse(cog, interaction, cog.uses.admin.give, document, to=f"discord:{user.id}",
                                to_name=user.display_name, space=space_of(interaction), by=acting_admin(interaction))
    if moved is None:
        return
    await send_pages(interaction, [f"👤 **{discord.utils.escape_markdown(moved.title)}** (`{moved.id}`) now belongs "
                                   f"to {user.mention}: they may replace or delete it."])
