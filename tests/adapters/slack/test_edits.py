"""An edited question is answered again in Ragbot's existing reply, but only when it is the thread's latest."""

from __future__ import annotations

import logging

import pytest

from tests.adapters.slack.conftest import HANDBOOK
from tests.fakes.providers import FakeChatModel

EDITS_LOG = "ragbot.adapters.slack.listeners.edits"


def _final_edits(h, ts: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """Final (block-carrying) chat.update bodies of one bot message."""
    return [c.body for c in h.fake.api_calls("chat.update") if c.body.get("ts") == ts and c.body.get("blocks")]


def test_an_edited_question_is_answered_again_in_the_same_reply(make_slack) -> None:
    chat = FakeChatModel()
    h = make_slack(chat)
    h.ingest("handbook.md", HANDBOOK)
    asked = h.mention("How many vacation days do I get?")
    (reply,) = h.final_answer("C1", asked)
    posts_before = len(h.fake.api_calls("chat.postMessage"))

    edit = h.fake.edit_message("C1", asked, f"<@{h.fake.bot_user}> When must I submit expense receipts?")
    assert h.event(edit) == 200
    h.fake.wait_for(lambda: len(_final_edits(h, reply["ts"])) == 2)

    assert chat.seen[-1][0] == "When must I submit expense receipts?"
    assert "30 days" in _final_edits(h, reply["ts"])[-1]["text"]
    assert len(h.fake.api_calls("chat.postMessage")) == posts_before  # the reply was edited, nothing new posted
    assert [m["ts"] for m in h.fake.thread("C1", asked) if m.get("bot_id")] == [reply["ts"]]


def test_editing_an_earlier_question_leaves_the_thread_alone(make_slack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=EDITS_LOG)
    chat = FakeChatModel()
    h = make_slack(chat)
    h.ingest("handbook.md", HANDBOOK)
    first = h.mention("How many vacation days do I get?")
    h.final_answer("C1", first)
    h.thread_reply("When must I submit expense receipts?", thread_ts=first)
    h.fake.wait_for(lambda: len(chat.seen) == 2 and
                    sum(1 for m in h.fake.thread("C1", first) if m.get("bot_id") and "30 days" in m["text"]))
    updates_before = len(h.fake.api_calls("chat.update"))

    assert h.event(h.fake.edit_message("C1", first, f"<@{h.fake.bot_user}> Do vacation days carry over?")) == 200
    h.fake.wait_for(lambda: any(first in r.getMessage() for r in caplog.records if r.name == EDITS_LOG))
    assert len(chat.seen) == 2 and len(h.fake.api_calls("chat.update")) == updates_before
