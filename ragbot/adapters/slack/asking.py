"""Answering in a thread: placeholder at once, throttled edits while the answer streams, then the final blocks."""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ragbot.adapters.slack import formatting as fmt
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.chat.service import TROUBLE, Asked
from ragbot.domain import Scope, Turn

_log = logging.getLogger(__name__)
QUESTION_EVENT = "ragbot_question"  # message metadata marking a /ask root message as the user's question
MAX_HISTORY_TURNS = 12
EMPTY_QUESTION = "Ask me a question after the mention, for example: *How many vacation days do I get?*"


@dataclass(frozen=True)
class Question:
    """A question to answer in a Slack thread."""

    text: str
    user: str
    team: str | None
    channel: str
    thread_ts: str  # the thread to answer in
    asked_ts: str | None = None  # the user's own message; history is what came before it
    follow_up: bool = False  # asked inside an existing thread: the thread's earlier turns are history


def strip_mentions(text: str, bot_user_id: str | None) -> str:
    """The question without the bot's @mention."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", "", text)
    return " ".join(text.split())


def is_bot_message(message: dict[str, Any], bot_user_id: str | None, bot_id: str | None) -> bool:
    """Whether a message was posted by this app's bot."""
    return bool((bot_id and message.get("bot_id") == bot_id) or (bot_user_id and message.get("user") == bot_user_id))


def thread_messages(client: WebClient, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """The thread's messages, oldest first (one page is plenty for history)."""
    resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=100, include_all_metadata=True)
    return list(resp.get("messages") or [])


def history_from(messages: list[dict[str, Any]], *, before_ts: str | None, bot_user_id: str | None,
                 bot_id: str | None) -> list[Turn]:
    """Turns of a thread: the bot's messages are the assistant, people are the user; placeholders are skipped."""
    turns: list[Turn] = []
    for m in messages:
        if before_ts and float(m.get("ts", 0)) >= float(before_ts):
            continue
        meta = m.get("metadata") or {}
        sources: tuple[str, ...] = ()
        if meta.get("event_type") == QUESTION_EVENT:
            role, text = "user", str((meta.get("event_payload") or {}).get("question", ""))
        elif is_bot_message(m, bot_user_id, bot_id):
            role, text = "assistant", m.get("text", "")
            sources = cited_sources(m.get("blocks") or [])
            if text == fmt.PLACEHOLDER or text.endswith(fmt.STREAMING_MARK):
                continue  # an answer still being written
        elif m.get("bot_id") or m.get("subtype"):
            continue  # other bots and join/leave notices are not part of the conversation
        else:
            role, text = "user", strip_mentions(m.get("text", ""), bot_user_id)
        if not text:
            continue
        if turns and turns[-1].role == role:
            # Split answers read as one turn.
            turns[-1] = Turn(role, turns[-1].text + "\n" + text, turns[-1].sources + sources)
        else:
            turns.append(Turn(role, text, sources))
    return turns[-MAX_HISTORY_TURNS:]


_SOURCE_LINE = re.compile(r"^\[\d+\] (?:<(?P<url>[^|>]+)\|[^>]*>|\*(?P<title>[^*\n]+)\*)", re.M)


def cited_sources(blocks: list[dict[str, Any]]) -> tuple[str, ...]:
    """The sources (URLs) or titles listed under "Sources" in one of the bot's answers, for follow-ups."""
    found: list[str] = []
    for block in blocks:
        body = str((block.get("text") or {}).get("text", "")) if block.get("type") == "section" else ""
        if not body.startswith("*Sources*"):
            continue
        for m in _SOURCE_LINE.finditer(body):
            found.append(m.group("url") or html.unescape(m.group("title")).replace("¦", "|"))
    return tuple(found)


def post_placeholder(client: WebClient, q: Question) -> str | None:
    """Post the 'looking…' message in the thread; on failure tell the user privately and return None."""
    try:
        resp = client.chat_postMessage(channel=q.channel, thread_ts=q.thread_ts, text=fmt.PLACEHOLDER)
        return str(resp["ts"])
    except SlackApiError as exc:
        _log.warning("could not post a placeholder in %s: %s", q.channel, exc.response.get("error"))
        tell_user(client, q.channel, q.user, "I couldn't post in this conversation "
                  f"({exc.response.get('error')}). Invite me with `/invite @Ragbot` and ask again.")
        return None


def tell_user(client: WebClient, channel: str, user: str, text: str) -> None:
    """A private note to a user: ephemeral in the channel, else a DM."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
        return
    except SlackApiError:
        pass
    try:
        client.chat_postMessage(channel=user, text=text)
    except SlackApiError as exc:
        _log.warning("could not reach user %s: %s", user, exc.response.get("error"))


def start(rt: SlackRagbot, client: WebClient, q: Question, *, bot_user_id: str | None, bot_id: str | None) -> None:
    """Post the placeholder now and answer in the work pool."""
    if not q.text:
        try:
            client.chat_postMessage(channel=q.channel, thread_ts=q.thread_ts, text=EMPTY_QUESTION)
        except SlackApiError as exc:
            _log.warning("could not post the empty-question hint: %s", exc.response.get("error"))
        return
    ts = post_placeholder(client, q)
    if ts is None:
        return
    rt.threads.remember(q.channel, q.thread_ts)

    def failed(message: str) -> None:
        client.chat_update(channel=q.channel, ts=ts, text=message, blocks=[])

    rt.submit(answer, rt, client, q, ts, bot_user_id=bot_user_id, bot_id=bot_id, on_error=failed)


def answer_again(rt: SlackRagbot, client: WebClient, q: Question, reply_ts: str, *, bot_user_id: str | None,
                 bot_id: str | None) -> None:
    """Answer an edited question by turning Ragbot's earlier reply back into the placeholder and streaming into it."""
    try:
        client.chat_update(channel=q.channel, ts=reply_ts, text=fmt.PLACEHOLDER, blocks=[])
    except SlackApiError as exc:  # the reply was deleted, or the bot left: nothing to answer in
        _log.warning("could not reuse reply %s for an edited question: %s", reply_ts, exc.response.get("error"))
        return

    def failed(message: str) -> None:
        client.chat_update(channel=q.channel, ts=reply_ts, text=message, blocks=[])

    rt.submit(answer, rt, client, q, reply_ts, bot_user_id=bot_user_id, bot_id=bot_id, on_error=failed)


class _Streamer:
    """Edits the placeholder with the text so far, at most once per interval and within the shared budget."""

    def __init__(self, rt: SlackRagbot, client: WebClient, channel: str, ts: str) -> None:
        # Progress edits are best effort: a client without retry handlers skips a 429 instead of sleeping.
        self.client = WebClient(token=client.token, base_url=client.base_url, timeout=10)
        self.rt, self.channel, self.ts = rt, channel, ts
        self.interval = rt.settings.slack_stream_interval
        self.parts: list[str] = []
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def delta(self, piece: str) -> None:
        with self.lock:
            self.parts.append(piece)
            now = time.monotonic()
            if now - self.last < self.interval or not self.rt.progress_edits.take():
                return
            self.last = now
            text = fmt.preview("".join(self.parts))
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, text=text)
        except SlackApiError as exc:
            _log.info("skipped a progress edit: %s", exc.response.get("error"))


def answer(rt: SlackRagbot, client: WebClient, q: Question, ts: str, *, bot_user_id: str | None,
           bot_id: str | None) -> Asked:
    """Answer with history from the thread, streaming into the placeholder, then deliver the final messages."""
    history: list[Turn] = []
    if q.follow_up:
        try:
            history = history_from(thread_messages(client, q.channel, q.thread_ts), before_ts=q.asked_ts,
                                   bot_user_id=bot_user_id, bot_id=bot_id)
        except SlackApiError as exc:  # answer without history rather than not at all
            _log.warning("could not read thread %s: %s", q.thread_ts, exc.response.get("error"))
    streamer = _Streamer(rt, client, q.channel, ts)
    asked = rt.chat.ask(q.text, scope=Scope(rt.space(q.team), q.channel), user=q.user, history=history,
                        on_delta=streamer.delta, hint=fmt.NO_ANSWER_HINT)
    deliver(client, q, ts, asked)
    return asked


def deliver(client: WebClient, q: Question, ts: str, asked: Asked) -> None:
    """Replace the placeholder with the answer; long answers continue in more thread messages."""
    messages = fmt.answer_messages(asked.answer, None if asked.refused else asked.question_id)
    first, rest = messages[0], messages[1:]
    try:
        client.chat_update(channel=q.channel, ts=ts, text=first["text"], blocks=first["blocks"])
    except SlackApiError as exc:
        _log.warning("final edit failed (%s); posting the answer instead", exc.response.get("error"))
        try:
            client.chat_postMessage(channel=q.channel, thread_ts=q.thread_ts, **first)
        except SlackApiError:
            client.chat_update(channel=q.channel, ts=ts, text=TROUBLE, blocks=[])
            raise
    for message in rest:
        client.chat_postMessage(channel=q.channel, thread_ts=q.thread_ts, **message)
