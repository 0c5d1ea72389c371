"""Events: @mentions, DMs to the bot (questions and files), and replies in threads the bot answered."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot.adapters.slack import asking, watching
from ragbot.adapters.slack.formatting import add_files_blocks
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.adapters.slack.uploading import file_names

_log = logging.getLogger(__name__)
_ANSWERABLE_SUBTYPES = (None, "thread_broadcast", "file_share")


def retry_num(request: BoltRequest) -> int:
    """Slack's retry counter; a Socket Mode first delivery carries "0", so only values > 0 are retries."""
    values = request.headers.get("x-slack-retry-num") or ["0"]
    try:
        return int(values[0])
    except ValueError:
        return 0


def first_delivery(rt: SlackRagbot, body: dict[str, Any], request: BoltRequest) -> bool:
    """False for an event already handled (Slack redelivers when our ack was slow or lost)."""
    event_id = body.get("event_id")
    if not event_id:
        return True
    try:
        fresh = rt.chat.first_delivery(event_id)
    except Exception:  # the answer itself will report a database outage to the user; answering twice beats never
        _log.warning("could not record event %s; handling it anyway", event_id, exc_info=True)
        return True
    if not fresh:
        _log.info("skipping redelivered event %s (retry %s)", event_id, retry_num(request))
    return fresh


def _from_a_person(event: dict[str, Any]) -> bool:
    return not event.get("bot_id") and event.get("subtype") in _ANSWERABLE_SUBTYPES and bool(event.get("user"))


def _posting_bot(event: dict[str, Any]) -> str | None:
    """The bot id (B...) of a message a bot posted, else None."""
    return event.get("bot_id") or (event.get("bot_profile") or {}).get("id")


def _ignored_bot(event: dict[str, Any], allowed: list[str]) -> str | None:
    """The posting bot's id when its mention goes unanswered (Bolt already drops Ragbot's own events)."""
    bot_id = _posting_bot(event)
    return bot_id if bot_id and bot_id not in allowed else None


def _mentions_bot(event: dict[str, Any], context: BoltContext) -> bool:
    return bool(context.bot_user_id) and f"<@{context.bot_user_id}" in (event.get("text") or "")


def answered_in(rt: SlackRagbot, client: WebClient, context: BoltContext, channel: str, thread_ts: str) -> bool:
    """Whether Ragbot posted in this thread (remembered; looked up once after a restart)."""
    known = rt.threads.known(channel, thread_ts)
    if known is not None:
        return known
    try:
        messages = asking.thread_messages(client, channel, thread_ts)
    except SlackApiError:
        return False
    answered = any(asking.is_bot_message(m, context.bot_user_id, context.bot_id) for m in messages)
    if answered:
        rt.threads.remember(channel, thread_ts)
    else:
        rt.threads.forget_negative(channel, thread_ts)
    return answered


def register(app: App, rt: SlackRagbot) -> None:
    """Add the event listeners; message listeners match only what Ragbot answers, so host listeners still run."""

    def is_dm(event: dict[str, Any]) -> bool:
        return event.get("channel_type") == "im" and _from_a_person(event)

    def is_follow_up(event: dict[str, Any], context: BoltContext, client: WebClient) -> bool:
        thread_ts = event.get("thread_ts")
        if (event.get("channel_type") == "im" or not thread_ts or thread_ts == event.get("ts")
                or not _from_a_person(event) or _mentions_bot(event, context)):
            return False  # mentions are answered by the app_mention listener
        return answered_in(rt, client, context, event.get("channel", ""), thread_ts)

    def ask(event: dict[str, Any], context: BoltContext, client: WebClient, *, thread_ts: str) -> None:
        q = asking.Question(
            text=asking.strip_mentions(event.get("text") or "", context.bot_user_id),
            # A bot message may carry only bot_id; it then stands in for the asker (rate limits, private notes).
            user=event.get("user") or str(_posting_bot(event)),
            team=context.team_id or event.get("team"), channel=event["channel"], thread_ts=thread_ts,
            asked_ts=event.get("ts"), follow_up=thread_ts != event.get("ts"),
        )
        asking.start(rt, client, q, bot_user_id=context.bot_user_id, bot_id=context.bot_id)

    @app.event("app_mention")
    def ragbot_mention(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient,
                       request: BoltRequest) -> None:
        if str(event.get("channel", "")).startswith("D"):
            return  # a DM is answered once, by the DM listener
        if bot_id := _ignored_bot(event, rt.settings.slack_allowed_bots):
            # Answering other bots invites bot-to-bot loops; logged so an operator can see why and allow one.
            _log.info("ignoring a mention from bot %s (not in RAGBOT_SLACK_ALLOWED_BOTS)", bot_id)
            return
        if not first_delivery(rt, body, request):
            return
        ask(event, context, client, thread_ts=event.get("thread_ts") or event["ts"])

    @app.event("message", matchers=[is_dm])
    def ragbot_direct_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient,
                              request: BoltRequest) -> None:
        if not first_delivery(rt, body, request):
            return
        files = event.get("files") or []
        if files:
            ids = [f["id"] for f in files if f.get("id")]
            try:
                client.chat_postMessage(channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"],
                                        text="Add these files to the knowledge base?",
                                        blocks=add_files_blocks(ids, file_names(files)))
            except SlackApiError as exc:
                _log.warning("could not offer to add DM files: %s", exc.response.get("error"))
            return
        ask(event, context, client, thread_ts=event.get("thread_ts") or event["ts"])

    @app.event("message", matchers=[is_follow_up])
    def ragbot_thread_reply(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient,
                            request: BoltRequest) -> None:
        if not first_delivery(rt, body, request):
            return
        if event.get("files"):  # ingested when the channel is watched, else offered as in DMs
            watching.on_files(rt, client, event, context, bot_thread=True)
            if not asking.strip_mentions(event.get("text") or "", context.bot_user_id).strip():
                return  # a file alone is no question
        ask(event, context, client, thread_ts=event["thread_ts"])
