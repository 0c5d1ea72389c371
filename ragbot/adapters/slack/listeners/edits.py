"""Edited questions: the latest question in a thread Ragbot answered gets a fresh answer in Ragbot's reply."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot.adapters.slack import asking
from ragbot.adapters.slack.listeners.events import answered_in, first_delivery
from ragbot.adapters.slack.runtime import SlackRagbot

_log = logging.getLogger(__name__)


def _edited_by_a_person(event: dict[str, Any]) -> bool:
    """A person changed a message's text (not a bot's own edit, nor a link preview added to an unchanged text)."""
    new, old = event.get("message") or {}, event.get("previous_message") or {}
    return (event.get("subtype") == "message_changed" and bool(new.get("user")) and not new.get("bot_id")
            and not new.get("subtype") and new.get("text") != old.get("text"))


def _reply_to(messages: list[dict[str, Any]], asked_ts: str, context: BoltContext) -> str | None:
    """Ragbot's reply to the question at asked_ts, if that question is the thread's latest; else None."""
    later = [m for m in messages if float(m.get("ts", 0)) > float(asked_ts)]
    if any(not asking.is_bot_message(m, context.bot_user_id, context.bot_id)
           and not m.get("bot_id") and not m.get("subtype") for m in later):
        return None  # a later question follows: re-answering this one would rewrite the conversation under it
    replies = [m["ts"] for m in later if asking.is_bot_message(m, context.bot_user_id, context.bot_id)]
    return str(replies[0]) if replies else None


def register(app: App, rt: SlackRagbot) -> None:
    """Add the listener for edited questions."""

    def in_a_ragbot_thread(event: dict[str, Any], context: BoltContext, client: WebClient) -> bool:
        # Match only threads Ragbot posted in, so a host app's own listeners still get every other edit.
        thread_ts = (event.get("message") or {}).get("thread_ts")  # Slack sets it on a thread's parent too
        return bool(_edited_by_a_person(event) and thread_ts
                    and answered_in(rt, client, context, event["channel"], thread_ts))

    @app.event({"type": "message", "subtype": "message_changed"}, matchers=[in_a_ragbot_thread])
    def ragbot_edited_question(event: dict[str, Any], body: dict[str, Any], context: BoltContext,
                               client: WebClient, request: BoltRequest) -> None:
        message, channel = event["message"], event["channel"]
        asked_ts = str(message["ts"])
        thread_ts = str(message.get("thread_ts") or asked_ts)
        try:
            messages = asking.thread_messages(client, channel, thread_ts)
        except SlackApiError as exc:
            _log.info("could not read thread %s for an edited question: %s", thread_ts, exc.response.get("error"))
            return
        reply_ts = _reply_to(messages, asked_ts, context)
        if reply_ts is None:
            _log.info("not answering edited message %s again: not the latest question Ragbot answered", asked_ts)
            return
        text = asking.strip_mentions(message.get("text") or "", context.bot_user_id)
        if not text or not first_delivery(rt, body, request):
            return  # an edit down to a bare mention keeps the earlier answer
        q = asking.Question(
            text=text, user=message["user"],
            team=context.team_id or message.get("team"), channel=channel, thread_ts=thread_ts, asked_ts=asked_ts,
            follow_up=thread_ts != asked_ts,
        )
        asking.answer_again(rt, client, q, reply_ts, bot_user_id=context.bot_user_id, bot_id=context.bot_id)
