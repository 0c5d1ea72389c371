"""`ragbot serve discord`: run the Discord bot."""

from __future__ import annotations

import logging

from ragbot.cli.app import serve_app, settings


@serve_app.command("discord")
def serve_discord() -> None:
    """Run the Discord bot (DISCORD_TOKEN; DISCORD_DEV_GUILD_ID syncs commands instantly to one server)."""
    from ragbot.adapters.discord.client import run
    from ragbot.observability.logging import configure_from_settings

    configure_from_settings(settings())
    # The bot runs for days: log what it does at INFO, without discord.py's own duplicate handler.
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("discord").setLevel(logging.WARNING)
    run(settings())
