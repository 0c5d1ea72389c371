"""Reliability and answers' shape: redeliveries, signatures, ungrounded answers, long answers, channel scope."""

from __future__ import annotations

import json
import re
import time

from ragbot.adapters.slack.formatting import PLACEHOLDER
from tests.adapters.slack.conftest import HANDBOOK, ScriptedChat


def _placeholders(h) -> list:  # type: ignore[no-untyped-def]
    return [c for c in h.fake.api_calls("chat.postMessage") if c.body.get("text") == PLACEHOLDER]


def test_a_retried_delivery_is_not_answered_twice(make_slack) -> None:
    h = make_slack()
    h.ingest("leave.md", HANDBOOK)
    ts = h.mention("How many vacation days do I get?", event_id="EvSAME")
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> How many vacation days do I get?", "ts": ts,
             "channel": "C1", "event_ts": ts}
    assert h.event(event, event_id="EvSAME", retry=1) == 200
    assert h.event(event, event_id="EvSAME", retry=2) == 200
    h.final_answer("C1", ts)
    time.sleep(0.3)
    assert len(_placeholders(h)) == 1


def test_a_bad_signature_gets_401_and_no_answer(make_slack) -> None:
    h = make_slack()
    body = h.event_body({"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "ts": "1.1", "channel": "C1"})
    status, _ = h.post(body, "application/json", signature="v0=" + "0" * 64)
    assert status == 401
    time.sleep(0.2)
    assert not h.fake.api_calls("chat.postMessage")


def test_an_ungrounded_answer_says_so_and_points_to_upload(make_slack) -> None:
    h = make_slack()
    h.ingest("leave.md", HANDBOOK)
    ts = h.mention("Who fixes broken printers?")
    final = h.final_answer("C1", ts)[-1]
    assert "couldn't find an answer" in final["text"] and "/ragbot-upload" in final["text"]
    assert "Sources" not in json.dumps(final["blocks"])


def test_a_5000_character_answer_is_split_within_slack_limits(make_slack) -> None:
    sentence = "Vacation days accrue monthly and carry over until March, see the leave policy [1]. "
    reply = (sentence * (5000 // len(sentence) + 1))[:5000].rsplit(" ", 1)[0]
    assert len(reply) > 4900
    h = make_slack(ScriptedChat(reply, pieces=20))
    h.ingest("leave.md", HANDBOOK)
    ts = h.mention("How do vacation days accrue?")
    messages = h.final_answer("C1", ts)
    assert len(messages) >= 2
    for call in h.fake.api_calls("chat.update") + h.fake.api_calls("chat.postMessage"):
        assert len(call.body.get("text") or "") <= 4000 and len(call.body.get("blocks") or []) <= 50
        for block in call.body.get("blocks") or []:
            assert len(block.get("text", {}).get("text", "")) <= 3000
    pieces = [m["blocks"][0]["text"]["text"] for m in messages]
    assert " ".join(pieces).split() == reply.split()
    assert all(not re.search(r"\[\d*$", p) and not re.match(r"^\d*\]", p) for p in pieces)
    assert "*Sources*" in json.dumps(messages[-1]["blocks"])


def test_channel_scoped_documents_do_not_leak_to_other_channels(make_slack) -> None:
    h = make_slack()
    h.ingest("falcon.md", "# Project Falcon\n\nProject Falcon launches in May with the new billing engine.",
             channel="C1")
    h.ingest("leave.md", HANDBOOK)  # workspace-wide
    elsewhere = h.mention("When does project Falcon launch?", channel="C2")
    leaked = h.final_answer("C2", elsewhere)[-1]
    assert "Falcon launches" not in leaked["text"] and "falcon" not in json.dumps(leaked["blocks"]).lower()

    here = h.mention("When does project Falcon launch?", channel="C1")
    assert "Falcon launches in May" in h.final_answer("C1", here)[-1]["text"]
    everywhere = h.mention("How many vacation days do I get?", channel="C2")
    assert "25 vacation days" in h.final_answer("C2", everywhere)[-1]["text"]


class _BrokenChat(ScriptedChat):
    def stream_answer(self, question, passages, history):  # type: ignore[no-untyped-def]
        raise RuntimeError("db password=hunter2 at line 42")


def test_failures_are_answered_plainly_and_slack_429s_are_waited_out(make_slack) -> None:
    h = make_slack(_BrokenChat(""))
    h.ingest("leave.md", HANDBOOK)
    h.fake.fail_next("chat.postMessage", 1, status=429)
    ts = h.mention("How many vacation days do I get?")

    def final() -> str | None:
        texts = [m.get("text") or "" for m in h.fake.thread("C1", ts) if m.get("bot_id")]
        return next((t for t in texts if t != PLACEHOLDER), None)

    shown = h.fake.wait_for(final)
    assert "something went wrong" in shown and "hunter2" not in shown and "Traceback" not in shown
    assert len(h.fake.api_calls("chat.postMessage")) == 2  # the 429, then the retry after Retry-After
