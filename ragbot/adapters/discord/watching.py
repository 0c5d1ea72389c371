"""Watched channels on Discord: `/admin watch|unwatch|watching`, attachments in messages, deleted messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import discord

from ragbot import watch
from ragbot.adapters.discord import trail, uploading
from ragbot.adapters.discord.administering import is_admin
from ragbot.adapters.discord.replies import NO_PINGS
from ragbot.adapters.discord.scope import channel_key, space_for
from ragbot.domain import Adder, Scope
from ragbot.errors import RagbotError
from ragbot.ingestion.intake import check_upload

if TYPE_CHECKING:
    from ragbot.adapters.discord.context import RagbotContext

_log = logging.getLogger(__name__)
# Shared files in flight at once per bot: a flood waits here, while questions keep being answered.
CONCURRENT_FILES = 2
OFFER_SECONDS = 900.0


def _space(guild_id: int | None) -> str:
    return space_for(guild_id, 0)


def _parent(channel: Any) -> Any:
    """The channel a thread belongs to (a watch covers its threads), else the channel itself."""
    return channel.parent if isinstance(channel, discord.Thread) and channel.parent is not None else channel


def is_public(channel: Any) -> bool:
    """Whether @everyone may see the channel: only then may its files answer the whole server."""
    channel = _parent(channel)
    guild = getattr(channel, "guild", None)
    if guild is None:
        return False
    return bool(channel.permissions_for(guild.default_role).view_channel)


async def watch_command(cog: RagbotContext, interaction: discord.Interaction, scope: str) -> None:
    """/admin watch [scope: channel|server]: files shared here and in its threads are ingested from now on."""
    channel = _parent(interaction.channel)
    server_wide = scope == "server"
    if server_wide and not is_public(channel):
        await interaction.response.send_message(
            "🔒 This channel is private: its files can only answer here, so that they never reach people outside "
            "it. Run `/admin watch` without `scope:server`.", ephemeral=True)
        return
    await cog.run(cog.uses.watches.watch, space=_space(interaction.guild_id), channel=str(channel.id),
                  workspace_wide=server_wide, by=f"discord:{interaction.user.id}")
    where = "the whole server" if server_wide else "this channel only"
    await interaction.response.send_message(
        f"👀 Watching <#{channel.id}>: files shared here and in its threads are added to the knowledge base, "
        f"answering {where}. Their messages get ⏳ then ✅ (or ❌ with a reply saying why).",
        ephemeral=True, allowed_mentions=NO_PINGS)


async def unwatch_command(cog: RagbotContext, interaction: discord.Interaction) -> None:
    """/admin unwatch: stop ingesting this channel's files; documents already added stay."""
    channel = _parent(interaction.channel)
    if await cog.run(cog.uses.watches.unwatch, space=_space(interaction.guild_id), channel=str(channel.id),
                     by=f"discord:{interaction.user.id}"):
        text = f"🙈 No longer watching <#{channel.id}>. Documents already added from it stay (`/admin docs`)."
    else:
        text = f"<#{channel.id}> was not watched; `/admin watching` lists the channels that are."
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


async def watching_command(cog: RagbotContext, interaction: discord.Interaction) -> None:
    """/admin watching: the watched channels of this server."""
    found = await cog.run(cog.uses.watches.watching, space=_space(interaction.guild_id))
    if not found:
        text = "No channel is watched. Run `/admin watch` in a channel to start."
    else:
        text = "**Watched channels**\n" + "\n".join(
            f"• <#{w.channel}> · answers {'the whole server' if w.workspace_wide else 'that channel'}"
            f" · since {w.added_at:%Y-%m-%d}" for w in found)
    await interaction.response.send_message(text[:2000], ephemeral=True, allowed_mentions=NO_PINGS)


def _limit(cog: RagbotContext) -> asyncio.Semaphore:
    semaphore = cog.__dict__.get("_watch_semaphore")
    if semaphore is None:
        semaphore = cog.__dict__["_watch_semaphore"] = asyncio.Semaphore(CONCURRENT_FILES)
    return semaphore


async def on_message(cog: RagbotContext, message: discord.Message) -> None:
    """Attachments in a watched channel (or its threads) are ingested; in Ragbot's own threads they are offered."""
    me = cog.bot.user
    if (not message.attachments or message.guild is None or me is None or message.author.bot
            or message.author.id == me.id):
        return
    key = channel_key(message.channel)
    w = await cog.run(cog.uses.watches.watched, space=_space(message.guild.id), channel=key or "")
    if w is None:
        channel = message.channel
        if isinstance(channel, discord.Thread) and channel.owner_id == me.id:
            with contextlib.suppress(discord.HTTPException):
                await message.reply(_offer_text(message), view=OfferView(cog, message), mention_author=False,
                                    allowed_mentions=NO_PINGS)
        return
    for attachment in message.attachments:
        if not watch.supported(attachment.filename):
            _log.info("watched channel %s: skipping %s (not a kind Ragbot reads)", key, attachment.filename)
            continue  # quietly: a channel full of images must not fill up with replies
        cog.background(_ingest(cog, w, message, attachment))


async def _ingest(cog: RagbotContext, w: watch.Watch, message: discord.Message, attachment: discord.Attachment) -> None:
    """Download one attachment, store it and queue it; the trail shows how it went."""
    async with _limit(cog):
        with contextlib.suppress(discord.HTTPException):
            await message.add_reaction(trail.WORKING)
        name = attachment.filename
        try:
            check_upload(filename=name, size=attachment.size, max_bytes=cog.settings.max_upload_bytes)
            data = await attachment.read()
            author = message.author
            by = Adder(f"discord:{author.id}", author.display_name, watch.VIA, is_admin(author, cog.settings))
            accepted = await cog.run(
                cog.uses.watches.add_shared_file, scope=w.scope(), data=data, filename=name,
                source_uri=f"{message.jump_url}?attachment={attachment.id}", by=by,
                chat_ref=trail.trail_ref(message.channel.id, message.id, attachment.id))
        except discord.HTTPException as exc:
            await _failed(cog, message, f"❌ **{name}**: I couldn't download it from Discord ({exc.status}).")
            return
        except RagbotError as exc:
            await _failed(cog, message, f"❌ **{name}**: {exc}")
            return
        except Exception:
            _log.exception("shared file %s failed", name)
            await _failed(cog, message, f"❌ **{name}**: something went wrong on my side; an admin can see it in "
                                        "the logs.")
            return
        if not accepted.changed:  # the same content is already in: nothing to index
            await _done(cog, message)


async def _done(cog: RagbotContext, message: discord.Message) -> None:
    with contextlib.suppress(discord.HTTPException):
        await message.remove_reaction(trail.WORKING, cog.bot.user)  # type: ignore[arg-type]
        await message.add_reaction(trail.DONE)


async def _failed(cog: RagbotContext, message: discord.Message, text: str) -> None:
    with contextlib.suppress(discord.HTTPException):
        await message.remove_reaction(trail.WORKING, cog.bot.user)  # type: ignore[arg-type]
    with contextlib.suppress(discord.HTTPException):
        await message.add_reaction(trail.FAILED)
        await message.reply(text[:2000], mention_author=False, allowed_mentions=NO_PINGS)


async def on_message_delete(cog: RagbotContext, payload: discord.RawMessageDeleteEvent) -> None:
    """A deleted message takes the documents made from its files with it."""
    if payload.guild_id is None:
        return
    ids = await cog.run(cog.uses.watches.forget_message, space=_space(payload.guild_id),
                        message_id=str(payload.message_id))
    if ids:
        _log.info("message %s deleted: forgot documents %s", payload.message_id, ids)


def _offer_text(message: discord.Message) -> str:
    names = ", ".join(f"**{a.filename}**" for a in message.attachments)
    return f"Want me to answer questions from {names}? Add them to the knowledge base of this channel."


class OfferView(discord.ui.View):
    """'Add to knowledge base' under files shared in Ragbot's thread: the sharer (or an admin) adds them."""

    def __init__(self, cog: RagbotContext, message: discord.Message) -> None:
        super().__init__(timeout=OFFER_SECONDS)
        self.cog, self.message = cog, message

    @discord.ui.button(label="Add to knowledge base", style=discord.ButtonStyle.primary)
    async def add(self, interaction: discord.Interaction, button: discord.ui.Button[OfferView]) -> None:
        """Upload the message's files, each with its status message, scoped to this channel."""
        if interaction.user.id != self.message.author.id and not is_admin(interaction.user, self.cog.settings):
            await interaction.response.send_message("Only the person who shared these files (or an admin) can add "
                                                    "them.", ephemeral=True)
            return
        if refusal := uploading.upload_refusal_for(interaction.user, self.cog.settings):
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        scope = Scope(_space(interaction.guild_id), channel_key(interaction.channel))
        for attachment in self.message.attachments:
            try:
                await uploading.upload_file(self.cog, interaction, attachment, scope)
            except discord.HTTPException:
                _log.exception("adding %s from a thread failed", attachment.filename)
        self.stop()
