"""The reaction trail on a shared file's message, from worker processes over plain Discord REST: ⏳ → ✅ / ❌."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

_log = logging.getLogger(__name__)
WORKING, DONE, FAILED = "⏳", "✅", "❌"
STYLE = "reactions"  # chat_ref["style"] of a document whose progress is shown as reactions, not a status message
LIMIT = 2000


def is_trail(chat_ref: dict[str, Any]) -> bool:
    """Whether a document's progress shows as reactions on the message that shared it."""
    return chat_ref.get("style") == STYLE


def trail_ref(channel_id: int, message_id: int, file_id: int) -> dict[str, Any]:
    """The chat_ref of a file shared in a watched channel: its message, and the attachment id it is keyed by."""
    return {"platform": "discord", "channel_id": str(channel_id), "message_id": str(message_id), "style": STYLE,
            "file_id": str(file_id)}


def show(client: httpx.Client, base: str, headers: dict[str, str], ref: dict[str, Any], state: str,
         text: str) -> None:
    """Show a status as the trail: only the outcomes change it (ready ✅; failed ❌ and the text as the reply).

    text is the status already in Discord markdown (status.render).
    """
    if state not in ("ready", "failed"):
        return
    message = f"{base}/channels/{ref['channel_id']}/messages/{ref['message_id']}"
    _call(client, "DELETE", f"{message}/reactions/{quote(WORKING)}/@me", headers)
    outcome = DONE if state == "ready" else FAILED
    _call(client, "PUT", f"{message}/reactions/{quote(outcome)}/@me", headers)
    if outcome == FAILED:
        # One reply to the message, so the person who shared the file sees why; it pings nobody.
        body = {"content": text[:LIMIT], "allowed_mentions": {"parse": []},
                "message_reference": {"message_id": ref["message_id"], "fail_if_not_exists": False}}
        _call(client, "POST", f"{base}/channels/{ref['channel_id']}/messages", headers, body)


def _call(client: httpx.Client, method: str, url: str, headers: dict[str, str],
          body: dict[str, Any] | None = None) -> None:
    response = client.request(method, url, headers=headers, json=body)
    if response.status_code >= 400:
        _log.info("Discord answered %s to %s %s", response.status_code, method, url)
