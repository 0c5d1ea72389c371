"""Feedback and DMs: votes are stored, 👎 opens the form and tells uploaders; DMs, DM files and the rate limit."""

from __future__ import annotations

from sqlalchemy import text

from tests.adapters.slack.conftest import HANDBOOK


def _vote(h, message: dict, action_id: str, user: str) -> None:  # type: ignore[no-untyped-def]
    button = [e for b in message["blocks"] if b.get("block_id") == "ragbot_feedback" for e in b["elements"]
              if e["action_id"] == action_id][0]
    h.interaction({"type": "block_actions", "user": {"id": user}, "channel": {"id": "C1"},
                   "response_url": f"{h.fake.root}/response/vote", "message": message, "actions": [button]})


def test_downvote_opens_the_form_stores_the_comment_and_dms_the_uploader(make_slack) -> None:
    h = make_slack()
    h.ingest("leave.md", HANDBOOK, uploader="slack:UOWNER")
    ts = h.mention("How many vacation days do I get?")
    answer = h.final_answer("C1", ts)[-1]
    _vote(h, answer, "ragbot_vote_up", "U2")
    _vote(h, answer, "ragbot_vote_down", "U1")
    view = h.fake.wait_for(lambda: h.fake.api_calls("views.open"))[0].body["view"]
    assert view["callback_id"] == "ragbot_feedback"
    h.interaction({"type": "view_submission", "user": {"id": "U1"}, "view": {
        **view, "id": "V2", "state": {"values": {"comment": {"comment": {"value": "The policy changed in 2025."}}}}}})
    dm = h.fake.wait_for(lambda: [c for c in h.fake.api_calls("chat.postMessage") if c.body["channel"] == "UOWNER"])
    assert "Leave policy" in dm[0].body["text"] and "changed in 2025" in dm[0].body["text"]
    with h.services.engine.connect() as conn:
        votes = conn.execute(text("SELECT user_id, vote, comment FROM feedback ORDER BY user_id")).all()
    assert [tuple(v) for v in votes] == [("U1", -1, "The policy changed in 2025."), ("U2", 1, None)]


def test_dm_questions_file_offers_and_the_rate_limit(make_slack) -> None:
    h = make_slack(questions_per_minute=1)
    h.ingest("leave.md", HANDBOOK)
    ts = h.next_ts()
    h.event({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "ts": ts,
             "text": "How many vacation days do I get?"})
    assert "25 vacation days" in h.final_answer("D1", ts)[-1]["text"]

    again = h.next_ts()
    h.event({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "ts": again,
             "text": "And sick days?"})
    h.fake.wait_for(lambda: any("faster than I can keep up" in (m.get("text") or "")
                                for m in h.fake.thread("D1", again)))

    file_ts = h.next_ts()
    h.event({"type": "message", "subtype": "file_share", "channel_type": "im", "channel": "D1", "user": "U1",
             "ts": file_ts, "text": "", "files": [{"id": "F9", "name": "travel.md"}]})
    offer = h.fake.wait_for(lambda: [c for c in h.fake.api_calls("chat.postMessage")
                                     if "ragbot_add_files" in str(c.body.get("blocks"))])[0]
    button = offer.body["blocks"][1]["elements"][0]
    assert button["value"] == "F9" and button["text"]["text"] == "Add to knowledge base"
