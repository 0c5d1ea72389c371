"""`ragbot serve discord`: run the Discord bot."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from ragbot.cli.app import serve_app, settings


@serve_app.command("discord")
def serve_discord(
    http: Annotated[bool, typer.Option("--http", help="Serve interactions on POST /interactions (Ed25519, "
                                                     "DISCORD_PUBLIC_KEY) instead of the gateway.")] = False,
    host: Annotated[str, typer.Option(help="Bind address for --http.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Port for --http (POST /interactions, GET /healthz).")] = 8080,
) -> None:
    """Run the Discord bot (DISCORD_TOKEN; DISCORD_DEV_GUILD_ID syncs commands instantly to one server)."""
    from ragbot.adapters.discord.client import run
    from ragbot.observability.logging import configure_from_settings

    configure_from_settings(settings())
    # The bot runs for days: log what it does at INFO, without discord.py's own duplicate handler.
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("discord").setLevel(logging.WARNING)
    run(settings(), http=(host, port) if http else None)
