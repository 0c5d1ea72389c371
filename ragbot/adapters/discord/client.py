"""The standalone Ragbot Discord bot behind `ragbot serve discord`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord.ext import commands

from ragbot.adapters.discord.cogs.ragbot import RagbotCog
from ragbot.adapters.discord.replies import NO_PINGS
from ragbot.chat.pickup import no_worker_warning
from ragbot.chat.usecases import UseCases
from ragbot.config import Settings, load_settings
from ragbot.errors import RagbotError

_log = logging.getLogger(__name__)


def intents(settings: Settings) -> discord.Intents:
    """Only what Ragbot uses; message content is privileged and needed only for mention-free follow-ups."""
    wanted = discord.Intents.none()
    wanted.guilds = True  # channels and threads in the cache: scoping, thread parents, THREAD_CREATE
    wanted.guild_messages = True  # @mentions and follow-ups in the bot's threads
    wanted.dm_messages = True  # questions in DMs
    wanted.message_content = settings.discord_message_content
    return wanted


async def sync_commands(bot: commands.Bot, dev_guild_id: int | None) -> None:
    """Publish the slash commands: instantly to one development guild, else globally (may take up to an hour)."""
    if dev_guild_id:
        guild = discord.Object(id=dev_guild_id)
        bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
        _log.info("synced %d commands to development guild %s", len(synced), dev_guild_id)
    else:
        synced = await bot.tree.sync()
        _log.info("synced %d global commands", len(synced))


class RagbotBot(commands.Bot):
    """A bot that is nothing but Ragbot: the Cog plus command sync; no prefix commands."""

    def __init__(self, uses: UseCases, settings: Settings, **options: Any) -> None:
        self.uses = uses
        self.settings = settings
        options.setdefault("intents", intents(settings))
        options.setdefault("allowed_mentions", NO_PINGS)
        super().__init__(command_prefix=commands.when_mentioned, help_command=None, **options)

    async def setup_hook(self) -> None:
        """Add the Cog (which re-registers the persistent buttons) and sync the slash commands."""
        await self.add_cog(RagbotCog(self, self.uses, self.settings))
        settings = self.settings
        if settings.discord_sync_commands:
            try:
                await sync_commands(self, settings.discord_dev_guild_id)
            except discord.HTTPException:
                _log.exception("could not sync slash commands; the previously synced ones stay active")

    async def on_message(self, message: discord.Message, /) -> None:
        """Mentions are questions for the Cog's listener, never prefix commands."""

    async def on_ready(self) -> None:
        """Say who we are and where."""
        _log.info("Ragbot is online as %s in %d servers", self.user, len(self.guilds))


def run(settings: Settings | None = None, *, http: tuple[str, int] | None = None) -> None:
    """Build the services and run the bot until interrupted; http=(host, port) serves interactions over HTTP."""
    from ragbot.adapters.status import build_services

    settings = settings or load_settings()
    if not settings.discord_token:
        raise RagbotError("DISCORD_TOKEN is not set; see docs/discord.md to create a bot and get its token.")
    for entry in settings.admin_users:  # Discord ids are numbers: anything else can never match anyone
        if entry.startswith("discord:") and not entry.removeprefix("discord:").isdigit():
            raise RagbotError(f"RAGBOT_ADMIN_USERS names {entry}, which is not a Discord user id (a number such as "
                              "discord:80351110224678912); fix or remove it.")
    if http is not None:
        from ragbot.adapters.discord.interactions_http import verify_key

        verify_key(settings.discord_public_key)  # a missing or malformed key is a one-line error before anything
    services = build_services(settings)
    if warning := no_worker_warning(services.queue):
        _log.warning(warning)
    bot = RagbotBot(services.use_cases("discord"), settings)
    if settings.metrics_port:
        from ragbot.observability.metrics import start_metrics_server

        # Discord has no HTTP of its own: probes and Prometheus use this small port.
        start_metrics_server(settings.metrics_host, settings.metrics_port, health=lambda: (bot.is_ready(), "gateway"))
    try:
        if http is not None:
            from ragbot.adapters.discord import interactions_http

            asyncio.run(interactions_http.serve(bot, settings.discord_token, public_key=settings.discord_public_key,
                                                host=http[0], port=http[1]))
        else:
            bot.run(settings.discord_token, log_handler=None)
    except discord.PrivilegedIntentsRequired as exc:
        raise RagbotError(
            "Discord refused the Message Content intent. Enable it for the bot in the Developer Portal, or set "
            "RAGBOT_DISCORD_MESSAGE_CONTENT=false (follow-ups in threads then need an @mention)."
        ) from exc
    except discord.LoginFailure as exc:
        raise RagbotError("Discord rejected DISCORD_TOKEN; copy the bot token again from the Developer Portal."
                          ) from exc
    finally:
        services.engine.dispose()
