"""/admin: refused (ephemerally) for members without Manage Server; confirmation before destructive actions."""

from __future__ import annotations

from sqlalchemy import text

from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.fakes.discord_server import ADMIN_ID, MEMBER_ID, FakeDiscord

EPHEMERAL = 64


def test_non_admin_is_refused_ephemerally_and_nothing_happens(services, fake: FakeDiscord) -> None:
    doc_id = add_document(services, "# Policy\n\nThe office opens at nine.")

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            for sub, options in (("delete", {"document": str(doc_id)}), ("stats", {})):
                token = fake.command("admin", options, sub=sub, uid=MEMBER_ID, permissions=0)
                await fake.wait_for(lambda t=token: fake.requests("POST", rf"/{t}/callback"))

    run(scenario())
    refusals = [c.body for c in fake.requests("POST", r"/callback")]
    assert len(refusals) == 2
    for body in refusals:
        assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
        assert "Manage Server" in body["data"]["content"]
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar_one() == 1


def test_admin_delete_asks_for_confirmation_first(services, fake: FakeDiscord) -> None:
    doc_id = add_document(services, "# Policy\n\nThe office opens at nine.")

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            token = fake.command("admin", {"document": str(doc_id)}, sub="delete", uid=ADMIN_ID)
            await fake.wait_for(lambda: fake.interactions[token]["original"])
            prompt = fake.messages[fake.interactions[token]["original"]]
            assert "Delete **Policy**" in prompt["content"]
            with services.engine.connect() as conn:  # nothing happens before the confirmation
                assert conn.execute(text("SELECT count(*) FROM documents")).scalar_one() == 1
            confirm = prompt["components"][0]["components"][0]["custom_id"]
            fake.click(prompt, confirm, uid=ADMIN_ID)
            await fake.wait_for(lambda: "Deleted" in prompt["content"], what="the deletion")

    run(scenario())
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar_one() == 0


def test_admin_listings_and_single_reindex_answer_privately(services, fake: FakeDiscord) -> None:
    doc_id = add_document(services, "# Policy\n\nThe office opens at nine.")
    bodies: dict[str, dict] = {}

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            for sub, options in (("docs", {}), ("stats", {}), ("gaps", {}), ("reindex", {"document": "Policy"})):
                token = fake.command("admin", options, sub=sub, uid=ADMIN_ID)
                if sub == "reindex":  # deferred, then the outcome is edited in
                    await fake.wait_for(lambda t=token: fake.requests("PATCH", rf"/{t}/messages/@original"))
                    bodies[sub] = fake.requests("PATCH", rf"/{token}/messages/@original")[-1].body
                else:
                    await fake.wait_for(lambda t=token: fake.requests("POST", rf"/{t}/callback"))
                    bodies[sub] = fake.requests("POST", rf"/{token}/callback")[0].body["data"]

    run(scenario())
    assert f"`{doc_id}` **Policy**" in bodies["docs"]["content"] and bodies["docs"]["flags"] & EPHEMERAL
    assert "**Documents:** 1 (ready 1)" in bodies["stats"]["content"]
    assert "No unanswered questions" in bodies["gaps"]["content"]
    assert "Queued 1 document for reindexing" in bodies["reindex"]["content"]


def test_admin_delete_finds_a_title_in_any_case_as_autocomplete_offers_it(services, fake: FakeDiscord) -> None:
    add_document(services, "# Obsolete\n\nThe old travel policy.")

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            token = fake.command("admin", {"document": "obsolete"}, sub="delete", uid=ADMIN_ID)
            await fake.wait_for(lambda: fake.interactions[token]["original"])
            prompt = fake.messages[fake.interactions[token]["original"]]
            assert "Delete **Obsolete**" in prompt["content"], prompt["content"]

    run(scenario())


def test_an_unknown_document_or_site_is_refused_privately_with_the_reason(services, fake: FakeDiscord) -> None:
    add_document(services, "# Policy\n\nThe office opens at nine.")

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            for sub, options in (("delete", {"document": "no-such-doc"}), ("reindex", {"document": "no-such-doc"}),
                                 ("owner", {"document": "no-such-doc"}),
                                 ("resync-site", {"site": "https://nowhere.example/"}),
                                 ("forget-site", {"site": "https://nowhere.example/"})):
                users = {"user": MEMBER_ID} if sub == "owner" else None
                token = fake.command("admin", options, sub=sub, uid=ADMIN_ID, users=users)
                await fake.wait_for(lambda t=token: fake.requests("POST", rf"/{t}/callback"), what=sub)

    run(scenario())
    replies = [c.body["data"] for c in fake.requests("POST", r"/callback")]
    assert len(replies) == 5
    assert all(r["flags"] & EPHEMERAL and r["content"].startswith("❌ No ") for r in replies), replies
    assert sum("No document matches 'no-such-doc'" in r["content"] for r in replies) == 3
    assert sum("No site matches" in r["content"] for r in replies) == 2
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar_one() == 1
