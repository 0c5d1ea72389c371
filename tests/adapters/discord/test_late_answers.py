"""A late answer (past the interaction budget) pings only the asker and the deferred response links to it."""

from __future__ import annotations

import pytest

from ragbot.adapters.discord.replies import EXPIRED_NOTE
from ragbot.config import Settings
from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.adapters.discord.test_ask import HANDBOOK
from tests.fakes.discord_server import ADMIN_ID, BOT_ID, CHANNEL_ID, GUILD_ID, FakeDiscord


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No time left on any interaction token: every /ask answer goes out as a channel message."""
    return settings.model_copy(update={"discord_interaction_budget": 0.0})


def test_a_late_answer_pings_the_asker_only_and_the_command_response_links_to_it(services,
                                                                                fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)

    async def scenario() -> str:
        async with running(make_bot(services), fake):
            token = fake.command("ask", {"question": "Who approves travel expenses?"})  # asked by ADMIN_ID
            await fake.wait_for(lambda: any("channels/" in str(c.body.get("content")) for c in
                                            fake.requests("PATCH", rf"/webhooks/\d+/{token}/messages/@original")),
                                what="the command's response pointing to the answer")
            return token

    token = run(scenario())
    posts = fake.requests("POST", rf"/channels/{CHANNEL_ID}/messages$")
    note, answer = posts[0], posts[1:]
    assert note.body["content"].startswith(f"<@{ADMIN_ID}> {EXPIRED_NOTE}")
    assert [str(u) for u in note.body["allowed_mentions"]["users"]] == [str(ADMIN_ID)]  # the asker is pinged ...
    assert note.body["allowed_mentions"]["parse"] == []  # ... and nobody else: no @everyone, no roles
    assert "manager" in answer[0].body["content"] and answer[-1].body["embeds"][0]["title"] == "Sources"
    assert all("users" not in c.body["allowed_mentions"] for c in answer)  # document text never pings

    note_id = next(m["id"] for m in fake.channel_log(CHANNEL_ID)
                   if m["author"]["id"] == str(BOT_ID) and EXPIRED_NOTE in m["content"])
    pointer = fake.requests("PATCH", rf"/webhooks/\d+/{token}/messages/@original")[-1]
    assert f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{note_id}" in pointer.body["content"]
