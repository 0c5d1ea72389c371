"""Asking: @mention, thread follow-ups and /ask, answered in threads with streaming edits and sources."""

from __future__ import annotations

import time
import urllib.request

from sqlalchemy import text

from ragbot.adapters.slack.formatting import PLACEHOLDER, STREAMING_MARK
from ragbot.domain import Turn
from tests.adapters.slack.conftest import HANDBOOK, ScriptedChat
from tests.fakes.providers import FakeChatModel

LEAVE_URL = "https://intranet.example.com/handbook/leave"


def _blocks_text(message: dict) -> str:
    return "\n".join(b.get("text", {}).get("text", "") for b in message.get("blocks") or [])


def test_mention_posts_placeholder_then_streams_updates_then_sources(make_slack) -> None:
    reply = "Employees get 25 vacation days per year [1]. Unused vacation days carry over until March [1]."
    h = make_slack(ScriptedChat(reply, pieces=10, delay=0.08))
    h.ingest("leave.md", HANDBOOK, source_uri=LEAVE_URL)
    ts = h.mention("How many vacation days do I get per year?")

    messages = h.final_answer("C1", ts)
    placeholder = h.fake.api_calls("chat.postMessage")[0]
    assert placeholder.body["thread_ts"] == ts and placeholder.body["text"] == PLACEHOLDER
    edits = [c for c in h.fake.api_calls("chat.update") if c.body["ts"] == messages[0]["ts"]]
    interim, final = edits[:-1], edits[-1]
    assert interim and all(c.body["text"].endswith(STREAMING_MARK) for c in interim)
    assert placeholder.at < interim[0].at < final.at
    answer = _blocks_text(final.body)
    assert "25 vacation days per year [1]" in answer
    assert f"*Sources*\n[1] <{LEAVE_URL}|Leave policy> — Leave policy" in answer
    buttons = [b for b in final.body["blocks"] if b.get("block_id") == "ragbot_feedback"][0]["elements"]
    with h.services.engine.connect() as conn:
        row = conn.execute(text("SELECT id, user_id, channel, grounded FROM questions")).one()
    assert [b["value"] for b in buttons] == [str(row.id)] * 2
    assert (row.user_id, row.channel, row.grounded) == ("U1", "C1", True)
    with urllib.request.urlopen(h.server.url + "/metrics", timeout=10) as resp:
        exposed = resp.read().decode()
    assert 'ragbot_answers_total{grounded="true",platform="slack"}' in exposed


def test_thread_follow_up_uses_the_thread_as_history(make_slack) -> None:
    chat = FakeChatModel()
    h = make_slack(chat)
    h.ingest("leave.md", HANDBOOK)
    root = h.mention("How many vacation days do I get?")
    first = h.final_answer("C1", root)
    h.thread_reply("Do unused vacation days carry over?", thread_ts=root)
    h.fake.wait_for(lambda: len(chat.seen) == 2 and h.final_answer("C1", root) and
                    sum(1 for m in h.fake.thread("C1", root) if m.get("bot_id")) == 2)

    question, _, history = chat.seen[-1]
    assert question == "Do unused vacation days carry over?"
    # The answer's Sources list travels with it, so that the follow-up can favour the documents cited before.
    assert history == [Turn("user", "How many vacation days do I get?"),
                       Turn("assistant", first[0]["text"], ("Leave policy",))]
    assert h.fake.api_calls("conversations.replies")


def test_replies_in_threads_the_bot_did_not_answer_are_left_alone(make_slack) -> None:
    h = make_slack()
    h.fake.add_message("C1", "1700000500.000100", "U2", "Lunch at noon?")
    h.thread_reply("Sure, see you there", thread_ts="1700000500.000100")
    h.fake.wait_for(lambda: h.fake.api_calls("conversations.replies"))
    time.sleep(0.3)  # a matching listener would post its placeholder within milliseconds
    assert not h.fake.api_calls("chat.postMessage")


def test_ask_command_answers_in_a_thread_under_the_question(make_slack) -> None:
    h = make_slack()
    h.ingest("leave.md", HANDBOOK)
    status, body = h.command("/ask", "How many vacation days do I get?")
    assert status == 200 and body == ""

    root = h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))[0]
    assert root.body["metadata"]["event_payload"]["question"] == "How many vacation days do I get?"
    root_ts = h.fake.messages["C1"][0]["ts"]
    answer = h.final_answer("C1", root_ts)
    assert "25 vacation days" in answer[-1]["text"] and "*Sources*" in _blocks_text(answer[-1])

    h.command("/ask", "   ")
    assert "/ask How many" in h.fake.wait_for(h.responses)[0]["text"]


def test_a_code_block_in_an_answer_reaches_slack_as_code(make_slack) -> None:
    # Markdown rules must not reach into code: "# undo" is a shell comment, not a heading; "- n" is an argument.
    reply = ("Roll back with [1]:\n```bash\n# undo the release\nkubectl rollout undo deploy/api\n- n 2 <x>\n```\n"
             "Vacation days are **25** [1].")
    h = make_slack(ScriptedChat(reply, pieces=7, delay=0.02))
    h.ingest("leave.md", HANDBOOK)
    ts = h.mention("How many vacation days do I get per year?")
    answer = _blocks_text(h.final_answer("C1", ts)[0])
    assert "```\n# undo the release\nkubectl rollout undo deploy/api\n- n 2 &lt;x&gt;\n```" in answer
    assert "bash" not in answer  # Slack would show a language tag as a line of code
    assert "Vacation days are *25* [1]." in answer  # prose around the block is still converted
