"""/admin docs|stats|gaps|feedback|delete|reindex for members with Manage Server or the configured admin role."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord

from ragbot.adapters.discord.context import run_or_refuse
from ragbot.adapters.discord.formatting import chunked_lines, document_lines, feedback_lines, gaps_lines, stats_text
from ragbot.adapters.discord.replies import NO_PINGS
from ragbot.adapters.discord.scope import space_for
from ragbot.adapters.discord.views import ConfirmView
from ragbot.config import Settings
from ragbot.domain import Adder

if TYPE_CHECKING:
    from ragbot.adapters.discord.context import RagbotContext

_log = logging.getLogger(__name__)


def is_admin(user: discord.abc.User, settings: Settings) -> bool:
    """Manage Server (or Administrator), the configured admin role (name or id), or a listed admin user."""
    if str(user.id) in settings.admin_users or f"discord:{user.id}" in settings.admin_users:
        return True
    if not isinstance(user, discord.Member):
        return False
    perms = user.guild_permissions
    if perms.manage_guild or perms.administrator:
        return True
    wanted = (settings.admin_role or "").strip().lower()
    return bool(wanted) and any(wanted in (r.name.lower(), str(r.id)) for r in user.roles)


def refusal(settings: Settings) -> str:
    """Why a member may not use /admin (shown only to them)."""
    role = f" or the **{settings.admin_role}** role" if settings.admin_role else ""
    return f"🔒 Sorry, `/admin` is for members with the **Manage Server** permission{role}."


async def require_admin(cog: RagbotContext, interaction: discord.Interaction) -> bool:
    """True for admins; everyone else gets an ephemeral refusal."""
    if interaction.guild_id and is_admin(interaction.user, cog.settings):
        return True
    await interaction.response.send_message(refusal(cog.settings), ephemeral=True)
    return False


def acting_admin(interaction: discord.Interaction) -> Adder:
    """The admin running a command, as the audit trail names them."""
    return Adder(f"discord:{interaction.user.id}", interaction.user.display_name, "slash", True)


def space_of(interaction: discord.Interaction) -> str:
    """The space an interaction belongs to: its server, or the member's DMs."""
    return space_for(interaction.guild_id, interaction.user.id)


async def send_pages(interaction: discord.Interaction, pages: list[str]) -> None:
    """Ephemeral pages of at most 2,000 characters: the first as the response, the rest as followups."""
    await interaction.response.send_message(pages[0], ephemeral=True, allowed_mentions=NO_PINGS)
    for page in pages[1:]:
        await interaction.followup.send(page, ephemeral=True, allowed_mentions=NO_PINGS)


async def docs(cog: RagbotContext, interaction: discord.Interaction, failed: bool = False) -> None:
    """List this server's documents with their state (or only the failed ones)."""
    found = await cog.run(cog.uses.admin.documents, space=space_of(interaction), failed=failed)
    if failed and not found:
        await send_pages(interaction, ["No failed documents."])
        return
    await send_pages(interaction, chunked_lines(document_lines(found)))


async def stats(cog: RagbotContext, interaction: discord.Interaction) -> None:
    """Counts of documents, chunks and questions."""
    numbers = await cog.run(cog.uses.admin.stats, space=space_of(interaction))
    await send_pages(interaction, [stats_text(numbers)])


async def gaps(cog: RagbotContext, interaction: discord.Interaction) -> None:
    """Recent questions without a grounded answer."""
    rows = await cog.run(cog.uses.admin.gaps, space=space_of(interaction))
    await send_pages(interaction, chunked_lines(gaps_lines(rows)))


async def feedback(cog: RagbotContext, interaction: discord.Interaction) -> None:
    """Recent 👎 with the question, the answer, the comment and the cited documents."""
    rows = await cog.run(cog.uses.admin.feedback, space=space_of(interaction))
    await send_pages(interaction, chunked_lines(feedback_lines(rows)))


async def _confirm(interaction: discord.Interaction, question: str, label: str,
                   action: Callable[[], Awaitable[str]]) -> None:
    view = ConfirmView(user_id=interaction.user.id, label=label, action=action)
    await interaction.response.send_message(question, view=view, ephemeral=True, allowed_mentions=NO_PINGS)
    view.message = await interaction.original_response()


async def delete(cog: RagbotContext, interaction: discord.Interaction, document: str) -> None:
    """Ask for confirmation, then forget a document with its chunks and stored bytes."""
    space = space_of(interaction)
    doc = await run_or_refuse(cog, interaction, cog.uses.admin.find, document, space=space)
    if doc is None:
        return

    async def action() -> str:
        gone = await cog.run(cog.uses.admin.forget, str(doc.id), space=space, by=acting_admin(interaction))
        return f"🗑️ Deleted **{discord.utils.escape_markdown(gone.title)}** (`{gone.id}`) and its {gone.chunks} chunks."

    await _confirm(interaction, f"Delete **{discord.utils.escape_markdown(doc.title)}** (`{doc.id}`, {doc.chunks} "
                   "chunks)? Answers will no longer cite it.", "Delete", action)


async def reindex(cog: RagbotContext, interaction: discord.Interaction, document: str | None) -> None:
    """Re-embed one document at once, or every document of the server after a confirmation."""
    space = space_of(interaction)

    async def action() -> str:
        results = await cog.run(cog.uses.admin.reindex, ref=document, space=space, background=True,
                                by=acting_admin(interaction))
        return f"🔁 Queued {len(results)} document{'s' if len(results) != 1 else ''} for reindexing."

    if document:
        if await run_or_refuse(cog, interaction, cog.uses.admin.find, document, space=space) is None:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content=await action())
        return
    count = len(await cog.run(cog.uses.admin.documents, space=space))
    await _confirm(interaction, f"Reindex all {count} documents of this server? Answers may be incomplete "
                   "until the workers finish.", "Reindex all", action)


async def autocomplete_documents(cog: RagbotContext, interaction: discord.Interaction, current: str
                                 ) -> list[discord.app_commands.Choice[str]]:
    """Document choices for /admin delete and reindex, matching what was typed."""
    if not interaction.guild_id or not is_admin(interaction.user, cog.settings):
        return []
    found = await cog.run(cog.uses.admin.documents, space=space_of(interaction))
    needle = current.lower()
    return [discord.app_commands.Choice(name=f"{d.title} ({d.id})"[:100], value=str(d.id))
            for d in found if needle in d.title.lower() or needle == str(d.id)][:25]
