"""/admin owner, /admin audit and /admin docs failed:True, against the fake Discord API and the real database."""

from __future__ import annotations

from sqlalchemy import text

from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.fakes.discord_server import ADMIN_ID, MEMBER_ID, FakeDiscord


async def _reply(fake: FakeDiscord, token: str) -> str:
    await fake.wait_for(lambda: fake.requests("POST", rf"/{token}/callback"))
    return fake.requests("POST", rf"/{token}/callback")[0].body["data"]["content"]


def test_owner_moves_a_document_and_audit_lists_it(services, fake: FakeDiscord) -> None:
    doc_id = add_document(services, "# Policy\n\nThe office opens at nine.")
    replies: dict[str, str] = {}

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            token = fake.command("admin", {"document": "policy"}, sub="owner", users={"user": MEMBER_ID},
                                 uid=ADMIN_ID)
            replies["owner"] = await _reply(fake, token)
            token = fake.command("admin", {}, sub="audit", uid=ADMIN_ID)
            replies["audit"] = await _reply(fake, token)
            token = fake.command("admin", {}, sub="audit", uid=MEMBER_ID, permissions=0)
            replies["refused"] = await _reply(fake, token)

    run(scenario())
    assert f"now belongs to <@{MEMBER_ID}>" in replies["owner"]
    with services.engine.connect() as conn:
        owner = conn.execute(text("SELECT uploader FROM documents WHERE id = :d"), {"d": doc_id}).scalar_one()
    assert owner == f"discord:{MEMBER_ID}"
    assert f"<@{ADMIN_ID}> **owner** Policy (`{doc_id}`)" in replies["audit"]
    assert f"to max (discord:{MEMBER_ID})" in replies["audit"]
    assert "Manage Server" in replies["refused"]


def test_docs_failed_lists_only_failed_documents(services, fake: FakeDiscord) -> None:
    add_document(services, "# Policy\n\nThe office opens at nine.")
    with services.engine.begin() as conn:
        conn.execute(text("INSERT INTO documents (space_id, title, source_kind, source_uri, status, error)"
                          " SELECT space_id, 'broken', 'upload', 'broken.pdf', 'failed', 'not a PDF' FROM documents"))
    replies: dict[str, str] = {}

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            token = fake.command("admin", {"failed": True}, sub="docs", uid=ADMIN_ID)
            replies["failed"] = await _reply(fake, token)

    run(scenario())
    assert "broken" in replies["failed"] and "not a PDF" in replies["failed"] and "Policy" not in replies["failed"]
