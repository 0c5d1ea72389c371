"""Answering: /ask, @mentions (in a new or the current thread), follow-ups in the bot's threads, and DMs."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import discord

from ragbot.adapters.discord.formatting import THINKING, UPLOAD_HINT, answer_pieces, sources_embed
from ragbot.adapters.discord.replies import EXPIRED_NOTE, ChannelReply, InteractionReply, Streamer, TokenExpired
from ragbot.adapters.discord.scope import scope_of, strip_mention, to_history
from ragbot.adapters.discord.views import feedback_view
from ragbot.chat.service import TROUBLE, Asked
from ragbot.domain import Answer, Scope, Turn

if TYPE_CHECKING:
    from ragbot.adapters.discord.context import RagbotContext

_log = logging.getLogger(__name__)
Reply = InteractionReply | ChannelReply
EMPTY_QUESTION = "Ask me a question after the mention, e.g. “@Ragbot how do I request leave?”"


async def ask_command(cog: RagbotContext, interaction: discord.Interaction, question: str) -> None:
    """/ask: defer at once (Discord allows 3 s), then stream into the response and finish with the sources."""
    await interaction.response.defer(thinking=True)
    scope = scope_of(interaction.guild_id, interaction.channel, interaction.user.id)
    reply = InteractionReply(interaction, budget=cog.settings.discord_interaction_budget)
    await answer(cog, reply, question, scope=scope, user_id=interaction.user.id)


async def answer(cog: RagbotContext, reply: Reply, question: str, *, scope: Scope, user_id: int,
                 history: list[Turn] | None = None) -> None:
    """Ask the core in a worker thread while streaming deltas back to Discord, then deliver the answer."""
    streamer = Streamer(reply.edit, interval=cog.settings.discord_edit_interval)
    try:
        asked = await cog.run(cog.chat.ask, question, scope=scope, user=str(user_id), history=history or (),
                              on_delta=streamer.on_delta, hint=UPLOAD_HINT)
    except Exception:  # ChatService already turns answering failures into text; this is e.g. the database
        _log.exception("could not answer a question")
        asked = Asked(Answer(text=TROUBLE, grounded=False), None, refused=True)
    finally:
        await streamer.stop()
    await deliver(reply, asked)


async def _send_all(reply: Reply, pieces: list[str], embed: discord.Embed | None, view: discord.ui.View | None,
                    *, edit_first: bool) -> None:
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        send = reply.edit if i == 0 and edit_first else reply.send
        await send(piece, embed=embed if last else None, view=view if last else None)


async def deliver(reply: Reply, asked: Asked) -> None:
    """The answer in 2,000-character pieces; the last one carries the sources embed and 👍/👎."""
    pieces = answer_pieces(asked.answer.text)
    embed = sources_embed(asked.answer)
    view = feedback_view(asked.question_id) if asked.question_id is not None and not asked.refused else None
    try:
        await _send_all(reply, pieces, embed, view, edit_first=True)
    except TokenExpired:
        if not isinstance(reply, InteractionReply):
            raise  # only an interaction's token expires
        for target in reply.fallbacks():
            try:
                # The asker is the only one pinged, so they learn the answer arrived after all.
                note = await target.notify(f"{target.mention} {EXPIRED_NOTE}".strip(), reply.interaction.user)
                await _send_all(target, pieces, embed, view, edit_first=False)
                await reply.point_to(note)
                return
            except discord.HTTPException:  # e.g. no Send Messages in that channel: try the next place
                _log.warning("could not post a late answer", exc_info=True)
        _log.error("an answer was lost: its interaction token expired and no channel or DM accepted it")
    except discord.HTTPException:
        _log.exception("could not deliver an answer")
        with contextlib.suppress(discord.HTTPException, TokenExpired):
            await reply.send(TROUBLE)


def own_role_id(guild: discord.Guild | None) -> int | None:
    """The role Discord manages for the bot in a guild; autocomplete offers it right next to the bot user."""
    role = guild.self_role if guild is not None else None
    return role.id if role is not None else None


def mentions_me(message: discord.Message, me_id: int) -> bool:
    """Whether a message @mentions the bot or its managed role (people pick either from autocomplete)."""
    role_id = own_role_id(message.guild)
    return me_id in message.raw_mentions or any(role.id == role_id for role in message.role_mentions)


def _kind(cog: RagbotContext, message: discord.Message) -> str | None:
    """Whether (and how) a message is for the bot: 'dm', 'thread' (the bot's own thread) or 'mention'."""
    me = cog.bot.user
    if me is None or message.author.bot or message.author.id == me.id:
        return None
    mentioned = mentions_me(message, me.id)
    if message.guild is None:
        return "dm" if isinstance(message.channel, discord.DMChannel) else None
    if isinstance(message.channel, discord.Thread) and message.channel.owner_id == me.id:
        # Without the message-content intent a message that does not mention us arrives empty.
        return "thread" if mentioned or cog.reads_content else None
    return "mention" if mentioned else None


async def _history(cog: RagbotContext, channel: discord.abc.Messageable, before: discord.Message) -> list[Turn]:
    """The conversation so far: earlier messages of the thread (with its starter message) or of the DM."""
    me = cog.bot.user
    assert me is not None
    limit = max(0, cog.settings.discord_history_messages)
    messages = [m async for m in channel.history(limit=limit, before=before)]
    messages.reverse()
    if isinstance(channel, discord.Thread) and channel.parent is not None and len(messages) < limit:
        starter = channel.starter_message
        if starter is None:
            # A thread opened from a message has that message's id; other threads simply have no starter.
            with contextlib.suppress(discord.HTTPException, AttributeError):
                starter = await channel.parent.fetch_message(channel.id)  # type: ignore[union-attr]
        if starter is not None:
            messages.insert(0, starter)
    return to_history(messages, me.id, own_role_id(getattr(channel, "guild", None)))


def thread_name(question: str) -> str:
    """A readable thread title from the question (Discord allows 100 characters)."""
    name = " ".join(question.split()) or "Question"
    return name if len(name) <= 90 else name[:89] + "…"


async def on_message(cog: RagbotContext, message: discord.Message) -> None:
    """Mentions open a thread (or answer in the current one); the bot's threads and DMs need no mention."""
    kind = _kind(cog, message)
    if kind is None:
        return
    me = cog.bot.user
    assert me is not None
    # Two replicas on one token both receive every event; only the first to claim the message answers.
    if not await cog.run(cog.chat.first_delivery, f"message:{message.id}"):
        return
    question = strip_mention(message.content, me.id, own_role_id(message.guild))
    channel: discord.abc.Messageable = message.channel
    reply: ChannelReply
    history: list[Turn] = []
    if not question:
        # An image or sticker in a thread is not for us, nor is a file (offered or ingested by watching).
        if (kind != "thread" or mentions_me(message, me.id)) and not message.attachments:
            with contextlib.suppress(discord.HTTPException):
                await message.reply(EMPTY_QUESTION, mention_author=False)
        return
    if kind == "mention" and not isinstance(channel, discord.Thread):
        # A channel's other messages are not this conversation: no history; the new thread starts it.
        reply = ChannelReply(channel, reference=message)
        if isinstance(channel, discord.TextChannel):
            try:
                thread = await message.create_thread(name=thread_name(question), auto_archive_duration=1440)
                reply = ChannelReply(thread)
            except discord.HTTPException as exc:  # no permission to create threads: answer in the channel
                _log.info("could not open a thread (%s); answering in the channel", exc)
    else:
        reply = ChannelReply(channel, reference=message if kind == "mention" else None)
        try:
            history = await _history(cog, channel, message)
        except discord.HTTPException as exc:  # e.g. no Read Message History permission: answer without it
            _log.info("could not read the conversation history: %s", exc)
    try:
        await reply.edit(THINKING)  # acknowledge at once; the answer replaces it
    except discord.HTTPException:
        _log.warning("cannot post in channel %s; the bot may lack Send Messages there", message.channel.id)
        return
    scope = scope_of(message.guild.id if message.guild else None, message.channel, message.author.id)
    await answer(cog, reply, question, scope=scope, user_id=message.author.id, history=history)
