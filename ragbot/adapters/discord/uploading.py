"""/upload: check sizes before downloading, store, enqueue by task name, and post a status message per document."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord

from ragbot.adapters.discord.administering import is_admin
from ragbot.adapters.discord.replies import NO_PINGS
from ragbot.adapters.discord.scope import channel_key, space_for
from ragbot.adapters.discord.status import chat_ref, render
from ragbot.chat.policy import upload_refusal
from ragbot.chat.status import Status
from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.errors import RagbotError
from ragbot.ingestion.intake import check_upload

if TYPE_CHECKING:
    from ragbot.adapters.discord.context import RagbotContext

_log = logging.getLogger(__name__)
STORE_FAILED = "I couldn't store it just now; please try again in a minute, or tell an admin."


def upload_scope(interaction: discord.Interaction, choice: str) -> Scope:
    """Server-wide by default; 'channel' keeps the documents to this channel and its threads."""
    space = space_for(interaction.guild_id, interaction.user.id)
    if interaction.guild_id and choice == "channel":
        return Scope(space, channel_key(interaction.channel))
    return Scope(space)


def where(scope: Scope) -> str:
    """How a scope reads in a reply."""
    if scope.space.startswith("discord:dm:"):
        return "your private DM knowledge base"
    return f"<#{scope.channel}> (and its threads)" if scope.channel else "this server's knowledge base"


async def _status(interaction: discord.Interaction, status: Status) -> discord.WebhookMessage:
    return await interaction.followup.send(render.status(status), wait=True, allowed_mentions=NO_PINGS)


async def _edit(message: discord.WebhookMessage, status: Status) -> None:
    try:
        await message.edit(content=render.status(status), allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        _log.warning("could not edit an upload status message", exc_info=True)


async def _accepted(message: discord.WebhookMessage, title: str, accepted: Any) -> None:
    """Correct the status message when no worker is going to edit it."""
    if not accepted.changed:
        await _edit(message, Status.upload(title, "ready", 100, "unchanged, already indexed"))
    elif not accepted.queued:
        await _edit(message, Status.upload(title, "queued", 0, accepted.message))
    # Otherwise a worker owns the message now; editing it here could overwrite its newer progress.


async def upload_file(cog: RagbotContext, interaction: discord.Interaction, attachment: discord.Attachment,
                      scope: Scope) -> None:
    """One attachment: refuse early, else post its status message, download, store and enqueue."""
    name = attachment.filename
    try:
        check_upload(filename=name, size=attachment.size, max_bytes=cog.settings.max_upload_bytes)
    except RagbotError as exc:
        await interaction.followup.send(f"❌ {exc}", allowed_mentions=NO_PINGS)
        return
    title = name  # the status is named as uploaded from first edit to last (workers edit it with the same name)
    # The status message exists before the document, so the worker never finishes before it knows where to report.
    message = await _status(interaction, Status.upload(title, "queued"))
    try:
        data = await attachment.read()
    except discord.HTTPException as exc:
        await _edit(message, Status.upload(title, "failed", 0, f"I couldn't download it from Discord ({exc.status})."))
        return
    await _store(cog, message, title, cog.chat.add_file, scope=scope, data=data, filename=name,
                 source_uri=f"discord:upload/{name}", chat_ref=chat_ref(message.channel.id, message.id),
                 **_who(cog, interaction), via="dm" if interaction.guild_id is None else "slash",
                 link=message.jump_url)  # citations open the message that shows the upload


async def upload_url(cog: RagbotContext, interaction: discord.Interaction, url: str, scope: Scope) -> None:
    """A URL: checked (no private addresses unless allowed), registered, fetched by a worker."""
    url = url.strip()
    message = await _status(interaction, Status.upload(url, "queued"))
    await _store(cog, message, url, cog.chat.add_url, scope=scope, url=url,
                 chat_ref=chat_ref(message.channel.id, message.id), **_who(cog, interaction))


def _who(cog: RagbotContext, interaction: discord.Interaction) -> dict[str, Any]:
    """The uploader's id, display name and whether they may replace others' documents."""
    # In a DM the space is the user's own, so no one else's document can be there to replace.
    admin = bool(interaction.guild_id) and is_admin(interaction.user, cog.settings)
    return {"uploader": f"discord:{interaction.user.id}", "uploader_name": interaction.user.display_name,
            "is_admin": admin}


async def _store(cog: RagbotContext, message: discord.WebhookMessage, title: str, add: Callable[..., Any],
                 **kwargs: Any) -> None:
    """Store and enqueue off the event loop; any failure ends in the status message, never in silence."""
    try:
        accepted = await cog.run(add, **kwargs)
    except RagbotError as exc:
        await _edit(message, Status.upload(title, "failed", 0, str(exc)))
        return
    except Exception:
        _log.exception("could not store %s", title)
        await _edit(message, Status.upload(title, "failed", 0, STORE_FAILED))
        return
    await _accepted(message, title, accepted)


def upload_refusal_for(user: discord.abc.User, settings: Settings) -> str | None:
    """None when this member may add documents (RAGBOT_UPLOADERS, RAGBOT_UPLOADER_ROLE); else why not."""
    wanted = (settings.uploader_role or "").strip().lower()
    in_role = bool(wanted) and isinstance(user, discord.Member) and any(
        wanted in (r.name.lower(), str(r.id)) for r in user.roles)
    return upload_refusal(settings, is_admin=is_admin(user, settings), in_uploader_group=in_role,
                          group_label=f"the **{settings.uploader_role}** role" if wanted else "")


async def upload_command(cog: RagbotContext, interaction: discord.Interaction, files: list[discord.Attachment],
                         url: str | None, choice: str, *, crawl: bool = False) -> None:
    """/upload file [file2 file3] [url] [scope] [crawl]: one status message per document (per site when crawling)."""
    if crawl and not url:
        await interaction.response.send_message(
            "`crawl:True` crawls a site: give its link as `url:` too.", ephemeral=True)
        return
    if not files and not url:
        await interaction.response.send_message(
            "Attach a file (`file:`) or give a `url:` to add to the knowledge base.", ephemeral=True)
        return
    if refusal := upload_refusal_for(interaction.user, cog.settings):
        await interaction.response.send_message(refusal, ephemeral=True)
        return
    await interaction.response.defer(thinking=True)
    scope = upload_scope(interaction, choice)
    count = len(files) + (1 if url else 0)
    await interaction.edit_original_response(
        content=f"📥 Adding {count} document{'s' if count > 1 else ''} to {where(scope)}. "
                "Progress is shown below.", allowed_mentions=NO_PINGS)
    for attachment in files:
        try:
            await upload_file(cog, interaction, attachment, scope)
        except discord.HTTPException:
            _log.exception("upload of %s failed", attachment.filename)
    if url:
        try:
            if crawl:
                from ragbot.adapters.discord.sites import crawl_url

                await crawl_url(cog, interaction, url, scope)
            else:
                await upload_url(cog, interaction, url, scope)
        except discord.HTTPException:
            _log.exception("upload of %s failed", url)
