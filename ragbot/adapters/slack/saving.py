"""The "Save to Ragbot" message shortcut: the whole thread of the clicked message becomes one cited document."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot import saved_threads
from ragbot.adapters.slack import asking, trail
from ragbot.adapters.slack.asking import tell_user
from ragbot.adapters.slack.formatting import escape
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.domain import Scope
from ragbot.errors import RagbotError

_log = logging.getLogger(__name__)
SAVE_CALLBACK = "ragbot_save_thread"
MAX_MESSAGES = 2000  # a thread longer than this is saved up to here


def _authors(rt: SlackRagbot, client: WebClient, team: str | None, messages: list[dict[str, Any]],
             bot_user_id: str | None, bot_id: str | None) -> dict[str, str]:
    """Display names of the people in a thread (users.info, cached), by user id."""
    names: dict[str, str] = {}
    for m in messages:
        user = m.get("user")
        if user and user not in names and not asking.is_bot_message(m, bot_user_id, bot_id):
            names[user] = rt.profile(client, team, user)[1] or user
    return names


def _replies(client: WebClient, channel: str, root: str) -> list[dict[str, Any]]:
    """Every message of a thread, oldest first, page by page (up to MAX_MESSAGES)."""
    messages: list[dict[str, Any]] = []
    cursor = None
    while len(messages) < MAX_MESSAGES:
        resp = client.conversations_replies(channel=channel, ts=root, limit=200, cursor=cursor)
        messages.extend(resp.get("messages") or [])
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not resp.get("has_more") or not cursor:
            break
    return messages[:MAX_MESSAGES]


def _thread(rt: SlackRagbot, client: WebClient, team: str | None, channel: str, root: str,
            bot_user_id: str | None, bot_id: str | None) -> list[saved_threads.ThreadMessage]:
    messages = _replies(client, channel, root)
    names = _authors(rt, client, team, messages, bot_user_id, bot_id)
    kept = []
    for m in messages:
        if asking.is_bot_message(m, bot_user_id, bot_id):
            author = "Ragbot"
        else:
            author = names.get(m.get("user") or "") or str((m.get("bot_profile") or {}).get("name") or "a bot")
        at = datetime.fromtimestamp(float(m.get("ts") or 0), UTC)
        kept.append(saved_threads.ThreadMessage(author, at, str(m.get("text") or "")))
    return kept


def save(rt: SlackRagbot, client: WebClient, *, team: str | None, user: str, channel: str, message: dict[str, Any],
         bot_user_id: str | None, bot_id: str | None) -> None:
    """Save the clicked message's thread (or the message alone) as one document of this channel."""
    if refusal := rt.upload_refusal(client, team, user):  # saving adds a document: the upload policy decides
        tell_user(client, channel, user, refusal)
        return
    root = str(message.get("thread_ts") or message.get("ts") or "")
    ref = {"platform": "slack", "channel": channel, "ts": root, "team": team, "style": trail.STYLE,
           "thread_ts": root}
    try:
        items = _thread(rt, client, team, channel, root, bot_user_id, bot_id)
        permalink = str(client.chat_getPermalink(channel=channel, message_ts=root)["permalink"])
    except SlackApiError as exc:
        error = exc.response.get("error")
        tell_user(client, channel, user, f"❌ I couldn't read this thread ({error}). Invite me to the channel "
                                         "(`/invite @Ragbot`) and try again.")
        return
    trail.working(client, ref)
    is_admin, display = rt.profile(client, team, user)
    try:
        title, accepted = saved_threads.save_thread(
            rt.chat, scope=Scope(rt.space(team), channel), permalink=permalink, messages=items,
            saver=f"slack:{user}", saver_name=display, is_admin=is_admin, chat_ref=ref)
    except RagbotError as exc:
        trail.failed(client, ref, f"❌ This thread was not saved: {escape(str(exc))}")
        return
    if not accepted.changed:
        trail.done(client, ref)
        tell_user(client, channel, user, f"✅ *{escape(title)}* is already saved, unchanged.")
        return
    tell_user(client, channel, user, f"💾 Saving this thread as *{escape(title)}*: ✅ appears on its first message "
                                     "once answers can cite it.")


def register(app: App, rt: SlackRagbot) -> None:
    """Add the message shortcut listener."""

    @app.shortcut(SAVE_CALLBACK)
    def ragbot_save_thread(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()  # within 3 s; reading the thread and storing it happen after
        channel = str((body.get("channel") or {}).get("id", ""))
        user = str((body.get("user") or {}).get("id", ""))
        rt.submit(save, rt, client, team=context.team_id or (body.get("team") or {}).get("id"), user=user,
                  channel=channel, message=body.get("message") or {}, bot_user_id=context.bot_user_id,
                  bot_id=context.bot_id, on_error=lambda msg: tell_user(client, channel, user, msg))
