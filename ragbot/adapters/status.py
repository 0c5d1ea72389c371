"""The chat status updaters an entry point hands to the composition root: one per platform it has a token for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragbot.chat.status import StatusUpdater
from ragbot.config import Settings, load_settings

if TYPE_CHECKING:
    from ragbot.wiring import Services


def status_updaters(settings: Settings) -> list[StatusUpdater]:
    """Slack and Discord updaters for the platforms this process has tokens for (imported only then)."""
    updaters: list[StatusUpdater] = []
    if settings.slack_bot_token:
        from ragbot.adapters.slack.status import SlackStatusUpdater

        updaters.append(SlackStatusUpdater(settings))
    if settings.discord_token:
        from ragbot.adapters.discord.status import DiscordStatusUpdater

        updaters.append(DiscordStatusUpdater(settings))
    return updaters


def build_services(settings: Settings | None = None) -> Services:
    """Ragbot's services for a chat entry point, with chat status edits on every platform it has a token for."""
    from ragbot.wiring import build

    settings = settings or load_settings()
    return build(settings, status_updaters=status_updaters(settings))
