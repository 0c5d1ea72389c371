"""Where a Discord question or upload belongs: spaces are guilds, threads count as their parent channel."""

from __future__ import annotations

import re
from typing import Any

import discord

from ragbot.domain import Scope, Turn


def space_for(guild_id: int | None, user_id: int) -> str:
    """A guild's space; a DM gets a private space per user, so DMs never see a server's documents."""
    return f"discord:{guild_id}" if guild_id else f"discord:dm:{user_id}"


def channel_key(channel: Any) -> str | None:
    """The channel documents are scoped to: a thread maps to its parent; DMs have none."""
    if channel is None or isinstance(channel, discord.DMChannel | discord.GroupChannel):
        return None
    parent_id = getattr(channel, "parent_id", None)
    if isinstance(channel, discord.Thread) and parent_id:
        return str(parent_id)
    return str(channel.id)


def scope_of(guild_id: int | None, channel: Any, user_id: int) -> Scope:
    """The scope a question is answered in: server-wide documents plus those of this channel."""
    if not guild_id:
        return Scope(space_for(None, user_id))
    return Scope(space_for(guild_id, user_id), channel_key(channel))


def strip_mention(text: str, bot_id: int, role_id: int | None = None) -> str:
    """The question without the bot's @mention (or a mention of its managed role)."""
    text = re.sub(rf"<@!?{bot_id}>", " ", text)
    if role_id is not None:
        text = re.sub(rf"<@&{role_id}>", " ", text)
    return text.strip()


def to_history(messages: list[discord.Message], bot_id: int, role_id: int | None = None) -> list[Turn]:
    """Earlier messages (oldest first) as conversation turns; consecutive messages of one side are merged."""
    turns: list[Turn] = []
    for m in messages:
        if m.type not in (discord.MessageType.default, discord.MessageType.reply):
            continue
        role = "assistant" if m.author.id == bot_id else "user"
        text = strip_mention(m.content, bot_id, role_id)
        if not text:
            continue
        sources = cited_sources(m.embeds) if role == "assistant" else ()
        if turns and turns[-1].role == role:
            # One answer split over several messages.
            turns[-1] = Turn(role, f"{turns[-1].text}\n{text}", turns[-1].sources + sources)
        else:
            turns.append(Turn(role, text, sources))
    return turns


_SOURCE_LINE = re.compile(r"^`\[\d+\]` (?:\[.+?\]\((?P<url>[^)\s]+)\)|\*\*(?P<title>.+?)\*\*)", re.M)
_ESCAPED = re.compile(r"\\([*_~`|>\[\]()\\])")


def cited_sources(embeds: list[discord.Embed]) -> tuple[str, ...]:
    """The sources (URLs) or titles listed in the "Sources" embed of one of the bot's answers, for follow-ups."""
    found: list[str] = []
    for embed in embeds:
        if embed.title != "Sources" or not embed.description:
            continue
        for m in _SOURCE_LINE.finditer(embed.description):
            found.append(m.group("url") or _ESCAPED.sub(r"\1", m.group("title")))
    return tuple(found)
