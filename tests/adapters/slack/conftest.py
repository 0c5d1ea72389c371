"""A Slack harness: fake Web API, real Bolt app served over HTTP on 127.0.0.1, real database, signed requests."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from ragbot.adapters.slack.app import build_app
from ragbot.adapters.slack.http_server import SlackHttpServer
from ragbot.adapters.status import status_updaters
from ragbot.domain import CLI_ADDER, Adder, Scope, ScoredChunk, Turn
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.fakes.slack_server import FakeSlack

SECRET = "test-signing-secret"
HANDBOOK = ("# Leave policy\n\nEmployees get 25 vacation days per year. Vacation days carry over until March.\n\n"
            "# Expenses\n\nSubmit expense receipts within 30 days through the finance portal.")


class InlineQueue:
    """An IngestQueue that records what was enqueued and, when asked, runs the pipeline in a thread."""

    def __init__(self, run: bool = True) -> None:
        self.run = run
        self.enqueued: list[tuple[str, dict[str, Any]]] = []
        self.services: Any = None

    def enqueue(self, task_name: str, **kwargs: Any) -> None:
        """Record the task; run ingestion in a thread like a worker would."""
        self.enqueued.append((task_name, kwargs))
        if self.run and task_name == "ragbot.ingest_document":
            threading.Thread(target=ingest_document, args=(self.services.ingest, kwargs["document_id"]),
                             daemon=True).start()


class ScriptedChat(FakeChatModel):
    """Streams a fixed reply in pieces with a pause between them; records what it was given."""

    def __init__(self, reply: str, *, pieces: int = 8, delay: float = 0.0) -> None:
        super().__init__()
        self.reply, self.pieces, self.delay = reply, pieces, delay

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]):  # type: ignore[no-untyped-def]
        """Yield the reply in pieces, pausing before each."""
        self.seen.append((question, list(passages), list(history)))
        size = max(1, len(self.reply) // self.pieces + 1)
        for start in range(0, len(self.reply), size):
            time.sleep(self.delay)
            yield self.reply[start:start + size]


class Harness:
    """Sends signed Slack requests to the served app and exposes the fake Slack it talks to."""

    def __init__(self, fake: FakeSlack, services: Any, app: Any, rt: Any, server: SlackHttpServer,
                 queue: InlineQueue) -> None:
        self.fake, self.services, self.app, self.rt, self.server, self.queue = fake, services, app, rt, server, queue
        self._ids = itertools.count(1)

    def post(self, body: str, content_type: str, *, signature: str | None = None,
             headers: dict[str, str] | None = None, path: str = "/slack/events") -> tuple[int, str]:
        """POST a body signed with the app's secret (or the given signature); returns (status, body)."""
        stamp = str(int(time.time()))
        sig = signature or SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
        host, port = self.server._server.server_address[:2]
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("POST", path, body=body.encode(), headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sig,
            **(headers or {})})
        resp = conn.getresponse()
        out = (resp.status, resp.read().decode())
        conn.close()
        return out

    def next_ts(self) -> str:
        """A fresh message timestamp on the fake's clock."""
        return self.fake.new_ts()

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        """An Events API envelope around an event."""
        return json.dumps({
            "token": "legacy", "team_id": self.fake.team, "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids)}", "event_time": int(time.time()), "event": event,
            "authorizations": [{"team_id": self.fake.team, "user_id": self.fake.bot_user, "is_bot": True}],
        })

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None) -> int:
        """Deliver an event (optionally as Slack's retry number `retry`); returns the HTTP status."""
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.post(self.event_body(event, event_id), "application/json", headers=headers)[0]

    def mention(self, text: str, *, channel: str = "C1", user: str = "U1", thread_ts: str | None = None,
                event_id: str | None = None) -> str:
        """A user @mentions the bot; returns the message ts (the fake also stores the message)."""
        ts = self.next_ts()
        full = f"<@{self.fake.bot_user}> {text}"
        self.fake.add_message(channel, ts, user, full, thread_ts)
        event = {"type": "app_mention", "user": user, "text": full, "ts": ts, "channel": channel, "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        assert self.event(event, event_id=event_id) == 200
        return ts

    def thread_reply(self, text: str, *, thread_ts: str, channel: str = "C1", user: str = "U1") -> str:
        """A person replies in a thread without mentioning the bot; returns the reply's ts."""
        ts = self.next_ts()
        self.fake.add_message(channel, ts, user, text, thread_ts)
        event = {"type": "message", "channel_type": "channel", "user": user, "text": text, "ts": ts,
                 "thread_ts": thread_ts, "channel": channel, "event_ts": ts}
        assert self.event(event) == 200
        return ts

    def command(self, command: str, text: str = "", *, channel: str = "C1", user: str = "U1") -> tuple[int, str]:
        """Run a slash command; its response_url points at the fake."""
        body = urlencode({
            "token": "legacy", "team_id": self.fake.team, "team_domain": "test", "channel_id": channel,
            "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": command,
            "text": text, "api_app_id": "A1", "response_url": f"{self.fake.root}/response/{next(self._ids)}",
            "trigger_id": f"trigger-{next(self._ids)}",
        })
        return self.post(body, "application/x-www-form-urlencoded")

    def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        """Send a button click or a modal submission."""
        payload = {"team": {"id": self.fake.team}, "api_app_id": "A1", "token": "legacy",
                   "trigger_id": f"trigger-{next(self._ids)}", **payload}
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def responses(self) -> list[dict[str, Any]]:
        """Bodies posted to response_url (ephemeral replies to commands and buttons)."""
        return [c.body for c in self.fake.calls if c.path.startswith("/response/")]

    def ingest(self, name: str, body: str, *, channel: str | None = None, source_uri: str | None = None,
               uploader: str | None = None) -> int:
        """Add and index a document synchronously."""
        acc = intake.add_file(self.services.engine, scope=Scope(f"slack:{self.fake.team}", channel),
                              data=body.encode(), filename=name, source_uri=source_uri or name,
                              max_bytes=10**6, by=Adder(uploader, via="slash") if uploader else CLI_ADDER)
        assert ingest_document(self.services.ingest, acc.document_id).status == "ready"
        return acc.document_id

    def final_answer(self, channel: str, thread_ts: str, timeout: float = 15.0) -> list[dict[str, Any]]:
        """The bot's messages in a thread once the answer is complete (it has its buttons or is a refusal)."""
        def done() -> list[dict[str, Any]] | None:
            bot = [m for m in self.fake.thread(channel, thread_ts) if m.get("bot_id") and m["ts"] != thread_ts]
            if any(b.get("block_id") == "ragbot_feedback" for m in bot for b in m.get("blocks") or []):
                return bot
            return None
        return self.fake.wait_for(done, timeout)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started fake Slack Web API."""
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def make_slack(clean_db, settings, fake_slack):  # type: ignore[no-untyped-def]
    """Factory: make_slack(chat=..., **settings) builds services, the Bolt app and its HTTP server."""
    made: list[Harness] = []

    def factory(chat: Any = None, *, run_queue: bool = True, **overrides: Any) -> Harness:
        s = settings.model_copy(update={
            "slack_bot_token": fake_slack.token, "slack_signing_secret": SECRET,
            "slack_base_url": fake_slack.base_url, "slack_stream_interval": 0.05, "slack_answer_threads": 8,
            **overrides})
        queue = InlineQueue(run=run_queue)
        services = build(s, embedder=FakeEmbedder(), chat=chat or FakeChatModel(), queue=queue,
                         status_updaters=status_updaters(s))
        queue.services = services
        app, rt = build_app(services)
        server = SlackHttpServer(app, host="127.0.0.1", port=0).start()
        harness = Harness(fake_slack, services, app, rt, server, queue)
        made.append(harness)
        return harness

    yield factory
    for h in made:
        h.server.stop()
        h.rt.pool.shutdown(wait=True)
        h.services.engine.dispose()
