"""The reaction trail on a shared file's message: ⏳ while it is indexed, then ✅, or ❌ and one reply saying why."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot.adapters.slack.formatting import UPDATE_TEXT_LIMIT, clip

_log = logging.getLogger(__name__)
WORKING, DONE, FAILED = "hourglass_flowing_sand", "white_check_mark", "x"
STYLE = "reactions"  # chat_ref["style"] of a document whose progress is shown as reactions, not a status message


def is_trail(chat_ref: dict[str, Any]) -> bool:
    """Whether a document's progress shows as reactions on the message that shared it."""
    return chat_ref.get("style") == STYLE


def _react(client: WebClient, ref: dict[str, Any], name: str, *, remove: bool = False) -> None:
    try:
        if remove:
            client.reactions_remove(channel=ref["channel"], timestamp=ref["ts"], name=name)
        else:
            client.reactions_add(channel=ref["channel"], timestamp=ref["ts"], name=name)
    except SlackApiError as exc:
        # already_reacted / no_reaction after a redelivery are harmless; anything else only costs the emoji.
        _log.info("reaction %s on %s failed: %s", name, ref.get("ts"), exc.response.get("error"))


def working(client: WebClient, ref: dict[str, Any]) -> None:
    """⏳ on the message: the file is on its way in."""
    _react(client, ref, WORKING)


def done(client: WebClient, ref: dict[str, Any]) -> None:
    """⏳ → ✅."""
    _react(client, ref, WORKING, remove=True)
    _react(client, ref, DONE)


def failed(client: WebClient, ref: dict[str, Any], text: str) -> None:
    """⏳ → ❌ and one reply in the message's thread with the reason."""
    _react(client, ref, WORKING, remove=True)
    _react(client, ref, FAILED)
    try:
        client.chat_postMessage(channel=ref["channel"], thread_ts=ref.get("thread_ts") or ref["ts"],
                                text=clip(text, UPDATE_TEXT_LIMIT))
    except SlackApiError as exc:
        _log.warning("could not reply about a failed shared file: %s", exc.response.get("error"))


def show(client: WebClient, ref: dict[str, Any], state: str, text: str) -> None:
    """Show a status as the trail: only the outcomes change it (ready ✅; failed ❌ and the text as the reply)."""
    if state == "ready":
        done(client, ref)
    elif state == "failed":
        failed(client, ref, text)
