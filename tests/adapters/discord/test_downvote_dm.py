"""A 👎 on an answer DMs the Discord uploaders of the cited documents (never the voter), over the real REST client."""

from __future__ import annotations

from sqlalchemy import text

from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.adapters.discord.test_ask import HANDBOOK
from tests.fakes.discord_server import ADMIN_ID, MEMBER_ID, FakeDiscord


def test_a_downvote_dms_the_uploader_of_the_cited_document(services, fake: FakeDiscord) -> None:
    doc = add_document(services, HANDBOOK)
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE documents SET uploader = :u WHERE id = :d"), {"u": f"discord:{MEMBER_ID}", "d": doc})

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            token = fake.command("ask", {"question": "Who approves travel expenses?"}, uid=ADMIN_ID)
            await fake.wait_for(lambda: any(c.body and c.body.get("embeds") for c in fake.requests("PATCH", token)))
            answer = fake.messages[fake.interactions[token]["original"]]
            down = answer["components"][0]["components"][1]["custom_id"]
            fake.click(answer, down, uid=ADMIN_ID)
            await fake.wait_for(lambda: MEMBER_ID in fake.dm_channels
                                and fake.channel_log(fake.dm_channels[MEMBER_ID]), what="the DM to the uploader")

    run(scenario())
    dm = fake.channel_log(fake.dm_channels[MEMBER_ID])
    assert len(dm) == 1 and "unhelpful" in dm[0]["content"] and "Who approves travel expenses?" in dm[0]["content"]
    assert ADMIN_ID not in fake.dm_channels  # the voter is not told about their own vote

