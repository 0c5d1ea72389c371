"""What Discord handlers may use of the Cog that runs them, so that no handler imports the Cog."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

import discord
from discord.ext import commands

from ragbot.chat.service import ChatService
from ragbot.chat.usecases import UseCases
from ragbot.config import Settings
from ragbot.errors import RagbotError

T = TypeVar("T")


class RagbotContext(Protocol):
    """The bot, the use cases (chat, admin, sites, watches), settings, and how to run blocking or background work."""

    bot: commands.Bot
    uses: UseCases
    chat: ChatService  # uses.chat, the one every handler needs
    settings: Settings
    reads_content: bool  # message content arrives: thread follow-ups need no mention

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run blocking core code off the event loop."""
        ...

    def background(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Start a task that outlives the handler (kept referenced until it ends)."""
        ...

    async def record_vote(self, interaction: discord.Interaction, question_id: int, vote: int) -> None:
        """Store a 👍/👎 and follow up as the platform expects."""
        ...


async def run_or_refuse(cog: RagbotContext, interaction: discord.Interaction, fn: Callable[..., T], /, *args: Any,
                        **kwargs: Any) -> T | None:
    """Run blocking core code; a RagbotError (no such document, not allowed) is told privately and gives None."""
    try:
        return await cog.run(fn, *args, **kwargs)
    except RagbotError as exc:
        await interaction.response.send_message(f"❌ {exc}", ephemeral=True)
        return None
