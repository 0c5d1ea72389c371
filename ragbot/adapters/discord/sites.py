"""Crawled sites on Discord: /upload url:… crawl:True, and /admin sites, resync-site, forget-site."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from ragbot.adapters.discord.administering import is_admin
from ragbot.adapters.discord.context import run_or_refuse
from ragbot.adapters.discord.formatting import chunked_lines
from ragbot.adapters.discord.replies import NO_PINGS
from ragbot.adapters.discord.scope import space_for
from ragbot.adapters.discord.status import bold, chat_ref
from ragbot.domain import Adder, Scope
from ragbot.errors import RagbotError
from ragbot.storage.sites import SiteInfo

if TYPE_CHECKING:
    from ragbot.adapters.discord.context import RagbotContext


async def crawl_url(cog: RagbotContext, interaction: discord.Interaction, url: str, scope: Scope) -> None:
    """Register the site and queue its crawl; the workers edit its one status message with the counts."""
    url = url.strip()
    message = await interaction.followup.send(f"🕸️ {bold(url)}: crawl queued.", wait=True,
                                              allowed_mentions=NO_PINGS)
    admin = bool(interaction.guild_id) and is_admin(interaction.user, cog.settings)
    by = Adder(f"discord:{interaction.user.id}", interaction.user.display_name, "crawl", admin)
    try:
        _, outcome = await cog.run(cog.uses.sites.start_crawl, scope=scope, url=url, by=by,
                                   chat_ref=chat_ref(message.channel.id, message.id))
    except RagbotError as exc:
        await message.edit(content=f"❌ {bold(url)}: {exc}", allowed_mentions=NO_PINGS)
        return
    if outcome != "crawl queued":
        await message.edit(content=f"🕸️ {bold(url)}: {outcome}", allowed_mentions=NO_PINGS)


def _line(s: SiteInfo) -> str:
    pages = ", ".join(f"{k} {v}" for k, v in sorted(s.pages.items())) or "no pages"
    when = f"last crawled {s.crawled_at:%Y-%m-%d %H:%M}" if s.crawled_at else "never crawled to the end"
    note = f" — {discord.utils.escape_markdown(s.note)}" if s.note else ""
    return f"`{s.id}` **{s.root_url}** · {s.state} · {pages} · {when}{note}"


async def list_sites(cog: RagbotContext, interaction: discord.Interaction) -> None:
    """/admin sites: the server's crawled sites."""
    space = space_for(interaction.guild_id, interaction.user.id)
    found = await cog.run(cog.uses.sites.list_sites, space=space)
    lines = [_line(s) for s in found] or ["No sites yet. Add one with `/upload url:… crawl:True`."]
    pages = chunked_lines(lines)
    await interaction.response.send_message(pages[0], ephemeral=True, allowed_mentions=NO_PINGS)
    for page in pages[1:]:
        await interaction.followup.send(page, ephemeral=True, allowed_mentions=NO_PINGS)


async def resync_site(cog: RagbotContext, interaction: discord.Interaction, site: str) -> None:
    """/admin resync-site: crawl a site again now."""
    space = space_for(interaction.guild_id, interaction.user.id)
    found = await run_or_refuse(cog, interaction, cog.uses.sites.find_site, site, space=space)
    if found is None:
        return
    outcome = await cog.run(cog.uses.sites.queue_crawl, found.id)
    await interaction.response.send_message(f"🔁 **{found.root_url}**: {outcome}; its status message shows the "
                                            "counts.", ephemeral=True, allowed_mentions=NO_PINGS)


async def forget_site(cog: RagbotContext, interaction: discord.Interaction, site: str) -> None:
    """/admin forget-site: ask, then delete a site and all its pages."""
    from ragbot.adapters.discord.views import ConfirmView

    space = space_for(interaction.guild_id, interaction.user.id)
    found = await run_or_refuse(cog, interaction, cog.uses.sites.find_site, site, space=space)
    if found is None:
        return

    async def action() -> str:
        by = Adder(f"discord:{interaction.user.id}", interaction.user.display_name, "slash", True)
        gone, pages = await cog.run(cog.uses.sites.forget_site, str(found.id), space=space, by=by)
        return f"🗑️ Forgot **{gone.root_url}** and its {pages} pages."

    view = ConfirmView(user_id=interaction.user.id, label="Forget site", action=action)
    await interaction.response.send_message(
        f"Delete **{found.root_url}** and its {found.page_total} pages? Answers will stop citing them.", view=view,
        ephemeral=True, allowed_mentions=NO_PINGS)
    view.message = await interaction.original_response()
