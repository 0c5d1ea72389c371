"""/admin feedback lists recent 👎 with question, answer, comment and cited documents; /admin stats counts votes."""

from __future__ import annotations

from ragbot.domain import Scope
from tests.adapters.discord.conftest import SPACE, add_document, make_bot, run, running
from tests.fakes.discord_server import ADMIN_ID, MEMBER_ID, FakeDiscord

EPHEMERAL = 64


def test_feedback_lists_downvotes_and_stats_count_votes(services, fake: FakeDiscord) -> None:
    add_document(services, "# Policy\n\nThe office opens at nine.", name="policy.md")
    chat = services.chat_service("discord")
    asked = chat.ask("When does the office open?", scope=Scope(SPACE), user=str(MEMBER_ID))
    assert asked.question_id is not None
    chat.vote(question_id=asked.question_id, user=str(MEMBER_ID), vote=-1, comment="It opens at eight now.")
    chat.vote(question_id=asked.question_id, user=str(ADMIN_ID), vote=1)
    bodies: dict[str, dict] = {}

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            for sub in ("feedback", "stats"):
                token = fake.command("admin", {}, sub=sub, uid=ADMIN_ID)
                await fake.wait_for(lambda t=token: fake.requests("POST", rf"/{t}/callback"))
                bodies[sub] = fake.requests("POST", rf"/{token}/callback")[0].body["data"]

    run(scenario())
    listing = bodies["feedback"]["content"]
    assert bodies["feedback"]["flags"] & EPHEMERAL
    assert "When does the office open?" in listing and "opens at nine" in listing
    assert "It opens at eight now." in listing and f"<@{MEMBER_ID}>" in listing and "**Cited:** Policy" in listing
    assert "👍 1 · 👎 1" in bodies["stats"]["content"]
