"""Upload status messages edited by the workers (the Slack StatusUpdater of bot.chat.status)."""

from __future__ import annotations

from typing import Any

from ragbot.adapters.slack import trail
from ragbot.adapters.slack.client import make_web_client
from ragbot.adapters.slack.formatting import UPDATE_TEXT_LIMIT, clip
from ragbot.config import Settings


class SlackStatusUpdater:
    """Edits a document's status message with chat.update."""

    platform = "slack"

    def __init__(self, settings: Settings) -> None:
        self.client = make_web_client(settings)

    def update(self, chat_ref: dict[str, Any], text: str, *, state: str) -> None:
        """Replace the status message's text (chat_ref holds its channel and ts)."""
        if trail.is_trail(chat_ref):  # a file shared in a watched channel: reactions on its message instead
            trail.show(self.client, chat_ref, state, text)
            return
        self.client.chat_update(channel=chat_ref["channel"], ts=chat_ref["ts"], text=clip(text, UPDATE_TEXT_LIMIT))

    def tell(self, user_id: str, text: str) -> None:
        """A direct message from the bot (posting to a user id opens the DM)."""
        self.client.chat_postMessage(channel=user_id, text=clip(text, UPDATE_TEXT_LIMIT))


def chat_ref(channel: str, ts: str, team: str | None) -> dict[str, Any]:
    """The reference stored with a document so that workers can edit its status message."""
    return {"platform": "slack", "channel": channel, "ts": ts, "team": team}
