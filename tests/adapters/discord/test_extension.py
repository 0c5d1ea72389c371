"""Ragbot as an extension: loaded into a host bot with its own command; both work."""

from __future__ import annotations

import discord
from discord.ext import commands

from tests.adapters.discord.conftest import add_document, run, running
from tests.adapters.discord.test_ask import HANDBOOK
from tests.fakes.discord_server import FakeDiscord


def host_bot(services) -> commands.Bot:  # type: ignore[no-untyped-def]
    """Somebody else's bot with a /ping of its own."""
    intents = discord.Intents.default()
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)

    @bot.tree.command(name="ping", description="Host's own command")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong from the host")

    bot.ragbot_services = services  # type: ignore[attr-defined]  # skip building services from the environment
    return bot


def test_extension_adds_ragbot_next_to_the_hosts_commands(services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)
    bot = host_bot(services)
    names: list[str] = []

    async def scenario() -> None:
        async with running(bot, fake):
            await bot.load_extension("ragbot.adapters.discord.extension")
            names.extend(sorted(c.name for c in bot.tree.get_commands()))
            ping = fake.command("ping")
            ask = fake.command("ask", {"question": "Who approves travel expenses?"})
            await fake.wait_for(lambda: fake.requests("POST", rf"/{ping}/callback"), what="/ping")
            await fake.wait_for(lambda: any(c.body and c.body.get("embeds") for c in fake.requests("PATCH", ask)),
                                what="/ask")
            await bot.unload_extension("ragbot.adapters.discord.extension")
            names.append("|")
            names.extend(sorted(c.name for c in bot.tree.get_commands()))

    run(scenario())
    assert names == ["Save to Ragbot", "admin", "ask", "ping", "upload", "|", "ping"]  # the menu goes with the rest
    (pong,) = fake.requests("POST", r"/callback$")[:1]
    assert pong.body["data"]["content"] == "pong from the host"
    final = [c.body for c in fake.requests("PATCH", r"/messages/@original") if c.body.get("embeds")][-1]
    assert "manager" in final["content"] and final["embeds"][0]["title"] == "Sources"


def test_a_discord_admin_entry_that_is_not_an_id_stops_the_bot_naming_the_setting(settings) -> None:
    import pytest

    from ragbot.adapters.discord.client import run as run_bot
    from ragbot.errors import RagbotError

    bad = settings.model_copy(update={"discord_token": "t", "admin_users": ["discord:ada"]})
    with pytest.raises(RagbotError, match="RAGBOT_ADMIN_USERS names discord:ada"):
        run_bot(bad)
