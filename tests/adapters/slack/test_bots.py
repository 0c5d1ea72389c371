"""Mentions from other bots: ignored (no bot-to-bot loops) unless the bot is in RAGBOT_SLACK_ALLOWED_BOTS."""

from __future__ import annotations

import logging

import pytest

from ragbot.config import Settings
from tests.adapters.slack.conftest import HANDBOOK, Harness

EVENTS_LOG = "ragbot.adapters.slack.listeners.events"


def _bot_mention(h: Harness, text: str, *, bot_id: str, channel: str = "C1") -> str:
    """Another app's bot @mentions Ragbot, as Slack delivers it (bot_id and bot_profile next to its user)."""
    ts = h.next_ts()
    full = f"<@{h.fake.bot_user}> {text}"
    event = {"type": "app_mention", "user": "UOTHERBOT", "bot_id": bot_id, "text": full, "ts": ts,
             "channel": channel, "event_ts": ts, "bot_profile": {"id": bot_id, "name": "otherbot"}}
    assert h.event(event) == 200
    return ts


def test_a_mention_from_another_bot_is_ignored(make_slack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=EVENTS_LOG)
    h = make_slack()
    h.ingest("leave.md", HANDBOOK)
    _bot_mention(h, "How many vacation days do I get?", bot_id="B0THER")

    # The listener logs its decision and returns, so once the line is there nothing more will be posted.
    h.fake.wait_for(lambda: any("B0THER" in r.getMessage() for r in caplog.records if r.name == EVENTS_LOG))
    assert not h.fake.api_calls("chat.postMessage")
    with h.services.engine.connect() as conn:
        assert not conn.exec_driver_sql("SELECT 1 FROM questions").all()


def test_a_mention_from_an_allowed_bot_is_answered(make_slack) -> None:
    h = make_slack(slack_allowed_bots=["B0K"])
    h.ingest("leave.md", HANDBOOK)
    asked = _bot_mention(h, "How many vacation days do I get?", bot_id="B0K")
    answer = h.final_answer("C1", asked)
    assert "25 vacation days" in answer[0]["text"]



def test_allowed_bots_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGBOT_SLACK_ALLOWED_BOTS", "B0K, B0TWO,")
    assert Settings().slack_allowed_bots == ["B0K", "B0TWO"]
