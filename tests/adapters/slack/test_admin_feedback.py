"""/ragbot-admin feedback lists recent 👎 with question, answer, comment and cited documents; stats counts votes."""

from __future__ import annotations

import json

from tests.adapters.slack.conftest import HANDBOOK
from tests.adapters.slack.test_feedback import _vote


def _admin(h, command: str) -> str:  # type: ignore[no-untyped-def]
    before = len(h.responses())
    h.command("/ragbot-admin", command, user="UADMIN")
    reply = h.fake.wait_for(lambda: h.responses()[before:])[0]
    assert reply["response_type"] == "ephemeral"
    return reply.get("text", "") + json.dumps(reply.get("blocks") or [], ensure_ascii=False)


def test_feedback_lists_downvotes_and_stats_count_votes(make_slack) -> None:
    h = make_slack()
    h.fake.add_user("UADMIN", is_admin=True)
    assert "No 👎 lately" in _admin(h, "feedback")
    h.ingest("leave.md", HANDBOOK)
    ts = h.mention("How many vacation days do I get?")
    answer = h.final_answer("C1", ts)[-1]
    _vote(h, answer, "ragbot_vote_up", "U2")
    _vote(h, answer, "ragbot_vote_down", "U1")
    view = h.fake.wait_for(lambda: h.fake.api_calls("views.open"))[0].body["view"]
    h.interaction({"type": "view_submission", "user": {"id": "U1"}, "view": {
        **view, "id": "V2", "state": {"values": {"comment": {"comment": {"value": "It is 27 days since 2025."}}}}}})

    listing = h.fake.wait_for(lambda: (t := _admin(h, "feedback")) and "27 days" in t and t)
    assert "How many vacation days do I get?" in listing and "25 vacation days" in listing
    assert "<@U1>" in listing and "*Cited:* Leave policy" in listing  # who voted, and the cited document
    assert "👍 1 · 👎 1" in _admin(h, "stats")
    assert "`feedback`" in _admin(h, "help")
