"""Status messages in Slack mrkdwn, edited by the workers (the Slack StatusUpdater of ragbot.chat.status)."""

from __future__ import annotations

from typing import Any

from ragbot.adapters.slack import trail
from ragbot.adapters.slack.client import make_web_client
from ragbot.adapters.slack.formatting import UPDATE_TEXT_LIMIT, clip, escape
from ragbot.chat.status import StaleNotice, Status
from ragbot.chat.status_words import Markup
from ragbot.config import Settings


def bold(title: str) -> str:
    """A plain title in Slack bold, escaped for mrkdwn."""
    return f"*{escape(title)}*"


render = Markup(bold)  # status data in Slack mrkdwn: render.status(status), render.stale(notice)


class SlackStatusUpdater:
    """Edits a document's status message with chat.update."""

    platform = "slack"

    def __init__(self, settings: Settings) -> None:
        self.client = make_web_client(settings)

    def update(self, chat_ref: dict[str, Any], status: Status) -> None:
        """Replace the status message's text (chat_ref holds its channel and ts)."""
        text = render.status(status)
        if trail.is_trail(chat_ref):  # a file shared in a watched channel: reactions on its message instead
            trail.show(self.client, chat_ref, status.state, text)
            return
        self.client.chat_update(channel=chat_ref["channel"], ts=chat_ref["ts"], text=clip(text, UPDATE_TEXT_LIMIT))

    def tell(self, user_id: str, notice: StaleNotice) -> None:
        """A direct message from the bot (posting to a user id opens the DM)."""
        self.client.chat_postMessage(channel=user_id, text=clip(render.stale(notice), UPDATE_TEXT_LIMIT))


def chat_ref(channel: str, ts: str, team: str | None) -> dict[str, Any]:
    """The reference stored with a document so that workers can edit its status message."""
    return {"platform": "slack", "channel": channel, "ts": ts, "team": team}
