"""Socket Mode with the real SocketModeHandler, and Ragbot plugged into a host Bolt app with its own listeners."""

from __future__ import annotations

import json

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from ragbot.adapters.slack import register
from ragbot.adapters.slack.formatting import PLACEHOLDER
from ragbot.adapters.slack.http_server import SlackHttpServer
from tests.adapters.slack.conftest import HANDBOOK, SECRET, Harness


def test_socket_mode_answers_a_mention_once_and_acks_every_envelope(make_slack) -> None:
    h = make_slack()
    h.ingest("leave.md", HANDBOOK)
    handler = SocketModeHandler(h.app, app_token="xapp-test")
    handler.connect()
    try:
        ts = h.next_ts()
        text = f"<@{h.fake.bot_user}> How many vacation days do I get?"
        h.fake.add_message("C1", ts, "U1", text)
        event = {"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": "C1", "event_ts": ts}
        payload = json.loads(h.event_body(event, "EvSocket"))
        # A first delivery carries retry_attempt 0; it must be answered, and the redelivery must not.
        h.fake.push({"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                     "retry_attempt": 0, "retry_reason": "", "payload": payload})
        answer = h.final_answer("C1", ts)
        assert "25 vacation days" in answer[-1]["text"]
        h.fake.push({"envelope_id": "env-2", "type": "events_api", "accepts_response_payload": False,
                     "retry_attempt": 1, "retry_reason": "timeout", "payload": payload})
        acked = h.fake.wait_for(lambda: {a.get("envelope_id") for a in h.fake.socket_acks} >= {"env-1", "env-2"})
        assert acked
        opened = h.fake.api_calls("apps.connections.open")[0]
        assert opened.headers["authorization"] == "Bearer xapp-test"
        placeholders = [c for c in h.fake.api_calls("chat.postMessage") if c.body.get("text") == PLACEHOLDER]
        assert len(placeholders) == 1
    finally:
        handler.close()


def test_register_adds_ragbot_to_a_host_app_and_the_host_listeners_keep_working(make_slack) -> None:
    base = make_slack()
    base.ingest("leave.md", HANDBOOK)
    fake = base.fake
    host = App(client=WebClient(token=fake.token, base_url=fake.base_url), signing_secret=SECRET)

    @host.command("/hello")
    def hello(ack) -> None:  # type: ignore[no-untyped-def]
        ack("Hello from the host app")

    rt = register(host, services=base.services)

    @host.message("hello")  # registered after Ragbot: still gets the channel's ordinary messages
    def greet(message, say) -> None:  # type: ignore[no-untyped-def]
        say(f"hi <@{message['user']}>")

    server = SlackHttpServer(host, host="127.0.0.1", port=0).start()
    h = Harness(fake, base.services, host, rt, server, base.queue)
    try:
        status, body = h.command("/hello")
        assert status == 200 and "Hello from the host app" in body
        ts = h.next_ts()
        h.event({"type": "message", "channel_type": "channel", "user": "U7", "text": "hello everyone", "ts": ts,
                 "channel": "C1", "event_ts": ts})
        fake.wait_for(lambda: [c for c in fake.api_calls("chat.postMessage") if c.body["text"] == "hi <@U7>"])

        asked = h.mention("How many vacation days do I get?")
        assert "25 vacation days" in h.final_answer("C1", asked)[-1]["text"]
        assert any(isinstance(r, RateLimitErrorRetryHandler) for r in host.client.retry_handlers)
    finally:
        server.stop()
        rt.pool.shutdown(wait=True)
