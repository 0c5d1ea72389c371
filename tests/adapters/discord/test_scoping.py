"""Channel-scoped documents answer only in their channel and its threads; never elsewhere in the server."""

from __future__ import annotations

from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.fakes.discord_server import BOT_ID, CHANNEL_ID, OTHER_CHANNEL_ID, FakeDiscord

SECRET = "# Incident runbook\n\nPage the on-call engineer through PagerDuty, then open the incident channel."
QUESTION = "How do I page the on-call engineer for an incident?"


def _final(fake: FakeDiscord, token: str) -> dict | None:
    mid = fake.interactions[token]["original"]
    msg = fake.messages.get(mid) if mid else None
    done = msg and msg.get("content") and not msg["content"].endswith(" …") and "Looking" not in msg["content"]
    return msg if done else None


def test_channel_scoped_documents_do_not_leak(services, fake: FakeDiscord) -> None:
    add_document(services, SECRET, name="runbook.md", channel=str(OTHER_CHANNEL_ID))
    answers: dict[str, dict] = {}

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            thread_id = fake.open_thread(OTHER_CHANNEL_ID, "incident chat")
            for label, channel in (("general", CHANNEL_ID), ("engineering", OTHER_CHANNEL_ID),
                                   ("engineering thread", thread_id)):
                token = fake.command("ask", {"question": QUESTION}, channel_id=channel)
                answers[label] = await fake.wait_for(lambda t=token: _final(fake, t), what=label)
            # An @mention inside someone else's thread answers right there, with the parent channel's documents.
            fake.user_message(thread_id, f"<@{BOT_ID}> {QUESTION}", mention_bot=True)
            answers["mention in thread"] = await fake.wait_for(
                lambda: next((m for m in fake.channel_log(thread_id) if m.get("embeds")), None), what="mention")

    run(scenario())
    leaked = answers["general"]
    assert "PagerDuty" not in leaked["content"] and not leaked.get("embeds")
    assert "couldn't find" in leaked["content"] and "/upload" in leaked["content"]  # ungrounded: points to /upload
    for label in ("engineering", "engineering thread", "mention in thread"):
        assert "PagerDuty" in answers[label]["content"], label
        assert "Incident runbook" in answers[label]["embeds"][0]["description"], label
