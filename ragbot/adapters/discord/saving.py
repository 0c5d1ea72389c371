"""The "Save to Ragbot" message context menu: the clicked message's thread becomes one cited document."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from ragbot import saved_threads
from ragbot.adapters.discord import trail
from ragbot.adapters.discord.administering import is_admin
from ragbot.adapters.discord.replies import NO_PINGS
from ragbot.adapters.discord.scope import channel_key, space_for
from ragbot.adapters.discord.uploading import upload_refusal_for
from ragbot.domain import Scope
from ragbot.errors import RagbotError

if TYPE_CHECKING:
    from ragbot.adapters.discord.context import RagbotContext

_log = logging.getLogger(__name__)
MENU_NAME = "Save to Ragbot"
MAX_MESSAGES = 2000  # a thread longer than this is saved up to its latest MAX_MESSAGES


def context_menu(cog: RagbotContext) -> app_commands.ContextMenu:
    """The message context-menu command; the Cog adds it to the bot's tree when it loads."""

    async def save_to_ragbot(interaction: discord.Interaction, message: discord.Message) -> None:
        await save(cog, interaction, message)

    menu = app_commands.ContextMenu(name=MENU_NAME, callback=save_to_ragbot)
    menu.guild_only = True  # a DM has no channel to keep the thread for
    return menu


async def _thread_of(message: discord.Message) -> tuple[list[discord.Message], str, discord.Message]:
    """(messages oldest first, permalink, first message): the thread the message is in or started, else itself."""
    thread = message.channel if isinstance(message.channel, discord.Thread) else message.thread
    if thread is None:
        return [message], message.jump_url, message
    messages = [m async for m in thread.history(limit=MAX_MESSAGES)]
    messages.reverse()
    starter = message if message.thread is not None else None
    if starter is None and thread.parent is not None:
        # A thread opened from a message has that message's id; other threads simply have no starter.
        with contextlib.suppress(discord.HTTPException, AttributeError):
            starter = await thread.parent.fetch_message(thread.id)  # type: ignore[union-attr]
    if starter is not None:
        messages.insert(0, starter)
    return messages, thread.jump_url, messages[0] if messages else message


def _items(messages: list[discord.Message]) -> list[saved_threads.ThreadMessage]:
    return [saved_threads.ThreadMessage(m.author.display_name, m.created_at, m.content) for m in messages]


async def save(cog: RagbotContext, interaction: discord.Interaction, message: discord.Message) -> None:
    """Save the thread for this channel (its threads included) and say so privately."""
    if refusal := upload_refusal_for(interaction.user, cog.settings):  # saving adds a document: the upload policy
        await interaction.response.send_message(refusal, ephemeral=True)
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        messages, permalink, first = await _thread_of(message)
    except discord.HTTPException as exc:
        await interaction.followup.send(f"❌ I couldn't read this thread ({exc.status}); I need *Read Message "
                                        "History* there.", ephemeral=True)
        return
    ref: dict[str, Any] = {"platform": "discord", "channel_id": str(first.channel.id),
                           "message_id": str(first.id), "style": trail.STYLE}
    scope = Scope(space_for(interaction.guild_id, interaction.user.id), channel_key(message.channel))
    with contextlib.suppress(discord.HTTPException):
        await first.add_reaction(trail.WORKING)
    try:
        title, accepted = await cog.run(
            saved_threads.save_thread, cog.chat, scope=scope, permalink=permalink, messages=_items(messages),
            saver=f"discord:{interaction.user.id}", saver_name=interaction.user.display_name,
            is_admin=is_admin(interaction.user, cog.settings), chat_ref=ref)
    except RagbotError as exc:
        with contextlib.suppress(discord.HTTPException):
            await first.remove_reaction(trail.WORKING, cog.bot.user)  # type: ignore[arg-type]
            await first.add_reaction(trail.FAILED)
        await interaction.followup.send(f"❌ This thread was not saved: {exc}"[:2000], ephemeral=True,
                                        allowed_mentions=NO_PINGS)
        return
    if not accepted.changed:
        with contextlib.suppress(discord.HTTPException):
            await first.remove_reaction(trail.WORKING, cog.bot.user)  # type: ignore[arg-type]
            await first.add_reaction(trail.DONE)
        text = f"✅ **{title}** is already saved, unchanged."
    else:
        text = f"💾 Saving this thread as **{title}**: ✅ appears on its first message once answers can cite it."
    await interaction.followup.send(text[:2000], ephemeral=True, allowed_mentions=NO_PINGS)
