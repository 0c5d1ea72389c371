"""Where an answer goes (an interaction's response or a channel) and how it streams there."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from ragbot.adapters.discord.formatting import preview

_log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()  # quoted documents must never ping @everyone or roles
EXPIRED_NOTE = ("⏱️ This answer took longer than Discord's 15-minute limit for replying to a command, "
                "so here it is as a regular message.")
MOVED_NOTE = "⏱️ The answer took too long for a command reply; it is here: {url}"


class TokenExpired(Exception):
    """The interaction token is (nearly) 15 minutes old, or Discord already rejected it."""


def _is_token_error(exc: discord.HTTPException) -> bool:
    # 50027 Invalid Webhook Token; 10015 Unknown Webhook: both mean the interaction token is gone.
    return exc.code in (50027, 10015) or exc.status == 401


class InteractionReply:
    """An answer to a slash command: edits the deferred response, then sends followups."""

    def __init__(self, interaction: discord.Interaction, *, budget: float) -> None:
        self.interaction = interaction
        self.deadline = time.monotonic() + budget

    def _check(self) -> None:
        if time.monotonic() >= self.deadline:
            raise TokenExpired

    async def edit(self, content: str, *, embed: discord.Embed | None = None, view: discord.ui.View | None = None
                   ) -> None:
        """Replace the original response."""
        self._check()
        try:
            await self.interaction.edit_original_response(content=content, embed=embed, view=view,
                                                          allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            if _is_token_error(exc):
                raise TokenExpired from exc
            raise

    async def send(self, content: str, *, embed: discord.Embed | None = None, view: discord.ui.View | None = None
                   ) -> None:
        """Add a followup message."""
        self._check()
        kwargs: dict[str, Any] = {"embed": embed} if embed else {}
        if view is not None:
            kwargs["view"] = view
        try:
            await self.interaction.followup.send(content, wait=True, allowed_mentions=NO_PINGS, **kwargs)
        except discord.HTTPException as exc:
            if _is_token_error(exc):
                raise TokenExpired from exc
            raise

    async def point_to(self, message: discord.Message) -> None:
        """Best effort: turn the deferred "thinking…" response into a link to the late answer."""
        # The budget stops answers short of the 15 minutes, so the token usually still works for this one edit.
        try:
            await self.interaction.edit_original_response(content=MOVED_NOTE.format(url=message.jump_url),
                                                          embed=None, view=None, allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            _log.info("could not point the command's response to the late answer: %s", exc)

    def fallbacks(self) -> list[ChannelReply]:
        """Where to answer once the token has expired (the bot token never does): the channel, else a DM."""
        out: list[ChannelReply] = []
        channel = self.interaction.channel
        if channel is not None and hasattr(channel, "send"):
            out.append(ChannelReply(channel, mention=self.interaction.user.mention))  # type: ignore[arg-type]
        out.append(ChannelReply(self.interaction.user))  # a User is Messageable: sending opens a DM
        return out


class ChannelReply:
    """An answer in a channel, thread or DM: one working message edited while streaming, then more messages."""

    def __init__(self, channel: discord.abc.Messageable, *, mention: str = "",
                 reference: discord.Message | None = None) -> None:
        self.channel = channel
        self.mention = mention
        self.reference = reference
        self.message: discord.Message | None = None

    async def _post(self, content: str, embed: discord.Embed | None, view: discord.ui.View | None
                    ) -> discord.Message:
        kwargs: dict[str, Any] = {"embed": embed} if embed else {}
        if view is not None:
            kwargs["view"] = view
        if self.reference is not None and self.message is None:
            kwargs["reference"] = self.reference
            kwargs["mention_author"] = False
        return await self.channel.send(content, allowed_mentions=NO_PINGS, **kwargs)

    async def edit(self, content: str, *, embed: discord.Embed | None = None, view: discord.ui.View | None = None
                   ) -> None:
        """Replace the working message (posting it the first time)."""
        if self.message is None:
            self.message = await self._post(content, embed, view)
        else:
            await self.message.edit(content=content, embed=embed, view=view, allowed_mentions=NO_PINGS)

    async def send(self, content: str, *, embed: discord.Embed | None = None, view: discord.ui.View | None = None
                   ) -> None:
        """Post another message."""
        await self._post(content, embed, view)

    async def notify(self, content: str, user: discord.abc.Snowflake) -> discord.Message:
        """Post a note that pings this one user (its text is ours; answers themselves never ping anyone)."""
        pings = discord.AllowedMentions(everyone=False, roles=False, users=[user], replied_user=False)
        return await self.channel.send(content, allowed_mentions=pings)


class Streamer:
    """Collects answer deltas from a worker thread and edits the reply at most once per interval."""

    def __init__(self, edit: Callable[[str], Awaitable[None]], *, interval: float) -> None:
        self._edit = edit
        self.interval = interval
        self._loop = asyncio.get_running_loop()
        self._parts: list[str] = []
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    def on_delta(self, piece: str) -> None:
        """Called from the answering thread; hands the piece to the event loop."""
        self._loop.call_soon_threadsafe(self._push, piece)

    def _push(self, piece: str) -> None:
        self._parts.append(piece)
        self._changed.set()

    async def _run(self) -> None:
        shown = ""
        while not self._stop.is_set():
            await self._changed.wait()
            self._changed.clear()
            if self._stop.is_set():
                return
            text = preview("".join(self._parts))
            if text != shown:
                try:
                    await self._edit(text)
                    shown = text
                except TokenExpired:
                    return  # the final delivery notices too and falls back to a channel message
                except discord.HTTPException as exc:  # a lost progress edit is harmless; the final one matters
                    _log.info("streaming edit failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    async def stop(self) -> None:
        """Stop editing; returns once no edit is in flight, so the final edit lands last."""
        self._stop.set()
        self._changed.set()
        await self._task
