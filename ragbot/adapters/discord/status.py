"""Status messages in Discord markdown, edited from worker processes over plain Discord REST (no gateway there)."""

from __future__ import annotations

import logging
import time
from typing import Any

import discord
import httpx

from ragbot.adapters.discord import trail
from ragbot.chat.status import StaleNotice, Status
from ragbot.chat.status_words import Markup
from ragbot.config import Settings

_log = logging.getLogger(__name__)
LIMIT = 2000


def chat_ref(channel_id: int, message_id: int) -> dict[str, Any]:
    """The chat_ref stored on a document so a worker can find its status message."""
    return {"platform": "discord", "channel_id": str(channel_id), "message_id": str(message_id)}


def bold(title: str) -> str:
    """A plain title in Discord bold, its markdown characters escaped (a file named my_notes*.md stays as named)."""
    return f"**{discord.utils.escape_markdown(title)}**"


render = Markup(bold)  # status data in Discord markdown: render.status(status), render.stale(notice)



class DiscordStatusUpdater:
    """Edits a status message with the bot token: PATCH /channels/{channel}/messages/{message}."""

    platform = "discord"

    def __init__(self, settings: Settings, *, client: httpx.Client | None = None, max_attempts: int = 4) -> None:
        self.base = settings.discord_api_base_url.rstrip("/")
        self.token = settings.discord_token or ""
        self.max_attempts = max_attempts
        self._client = client or httpx.Client(timeout=10.0)

    def update(self, chat_ref: dict[str, Any], status: Status) -> None:
        """Replace the status message's text; 429s wait for Retry-After, other failures raise."""
        text = render.status(status)
        url = f"{self.base}/channels/{chat_ref['channel_id']}/messages/{chat_ref['message_id']}"
        headers = {"Authorization": f"Bot {self.token}", "User-Agent": "DiscordBot (ragbot, 0.1)"}
        if trail.is_trail(chat_ref):  # a file shared in a watched channel: reactions on its message instead
            trail.show(self._client, self.base, headers, chat_ref, status.state, text)
            return
        body = {"content": text[:LIMIT]}
        for attempt in range(1, self.max_attempts + 1):
            response = self._client.patch(url, json=body, headers=headers)
            if response.status_code != 429 or attempt == self.max_attempts:
                response.raise_for_status()
                return
            delay = _retry_after(response)
            _log.info("Discord rate-limited a status edit; retrying in %.2fs", delay)
            time.sleep(delay)


    def tell(self, user_id: str, notice: StaleNotice) -> None:
        """A direct message over REST: open (or find) the DM channel, then post in it."""
        headers = {"Authorization": f"Bot {self.token}", "User-Agent": "DiscordBot (ragbot, 0.1)"}
        dm = self._client.post(f"{self.base}/users/@me/channels", json={"recipient_id": user_id}, headers=headers)
        dm.raise_for_status()
        sent = self._client.post(f"{self.base}/channels/{dm.json()['id']}/messages",
                                 json={"content": render.stale(notice)[:LIMIT], "allowed_mentions": {"parse": []}},
                                 headers=headers)
        sent.raise_for_status()


def _retry_after(response: httpx.Response) -> float:
    """Seconds to wait from the Retry-After header or the JSON body's retry_after, capped at a minute."""
    value: Any = response.headers.get("Retry-After")
    if value is None:
        try:
            value = response.json().get("retry_after")
        except ValueError:
            value = None
    try:
        return min(60.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        return 1.0
