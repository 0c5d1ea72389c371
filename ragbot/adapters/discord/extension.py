"""discord.py extension: `await bot.load_extension("ragbot.adapters.discord.extension")` adds Ragbot to a host bot."""

from __future__ import annotations

import asyncio
import logging

from discord.ext import commands

from ragbot.adapters.discord.cogs.ragbot import RagbotCog
from ragbot.adapters.discord.views import COG_NAME
from ragbot.adapters.status import build_services
from ragbot.config import load_settings
from ragbot.wiring import Services

_log = logging.getLogger(__name__)


async def setup(bot: commands.Bot) -> None:
    """Add the Ragbot Cog; the host's own commands, listeners and command sync are left alone."""
    services: Services | None = getattr(bot, "ragbot_services", None)  # a host may build (or fake) them itself
    owned = services is None
    if services is None:
        # Connecting and migrating block; keep the host's event loop responsive meanwhile.
        services = await asyncio.to_thread(build_services, load_settings())
    missing = [name for name in ("guilds", "guild_messages", "dm_messages") if not getattr(bot.intents, name)]
    if missing:
        _log.warning("host bot lacks intents %s: mentions, threads or DMs will not reach Ragbot", missing)
    if services.settings.discord_message_content and not bot.intents.message_content:
        _log.info("host bot has no message_content intent: follow-ups in Ragbot threads need an @mention")
    cog = RagbotCog(bot, services.use_cases("discord"), services.settings)
    if owned:
        cog.release = services.engine.dispose
    await bot.add_cog(cog)


async def teardown(bot: commands.Bot) -> None:
    """Remove the Cog and its app commands; discord.py only removes Cogs defined in the extension module itself."""
    cog = bot.get_cog(COG_NAME)
    await bot.remove_cog(COG_NAME)
    if isinstance(cog, RagbotCog) and cog.release is not None:
        cog.release()
