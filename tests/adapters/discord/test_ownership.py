"""Replacing a document from Discord: a member may not overwrite an admin's upload; the admin's copy stays cited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from tests.adapters.discord.conftest import make_bot, run, running
from tests.fakes.discord_server import ADMIN_ID, CHANNEL_ID, MEMBER_ID, FakeDiscord

ADMIN_COPY = b"# Leave\n\nEmployees get twenty-seven vacation days per year."
MEMBER_COPY = b"# Leave\n\nEmployees get zero vacation days per year."


def _log(fake: FakeDiscord) -> list[str]:
    return [m["content"] for m in fake.channel_log(CHANNEL_ID)]


def test_a_member_replacing_an_admins_upload_is_refused_and_the_admins_copy_is_still_cited(
        services, fake: FakeDiscord) -> None:
    async def scenario() -> None:
        async with running(make_bot(services), fake):
            fake.command("upload", attachments={"file": fake.add_file("handbook.md", ADMIN_COPY)}, uid=ADMIN_ID)
            await fake.wait_for(lambda: any("ready" in t for t in _log(fake)), what="the admin's upload")
            fake.command("upload", attachments={"file": fake.add_file("handbook.md", MEMBER_COPY)}, uid=MEMBER_ID,
                         permissions=0)
            await fake.wait_for(lambda: any("already in the knowledge base" in t for t in _log(fake)),
                                what="the refusal")
            token = fake.command("ask", {"question": "How many vacation days do employees get?"}, uid=MEMBER_ID,
                                 permissions=0)
            await fake.wait_for(lambda: any(c.body and c.body.get("embeds") for c in fake.requests("PATCH", token)),
                                what="the answer")
            answer = [c.body for c in fake.requests("PATCH", token) if c.body and c.body.get("embeds")][-1]
            assert "twenty-seven" in answer["content"] and "zero" not in answer["content"]
            token = fake.command("admin", {}, sub="docs", uid=ADMIN_ID)
            await fake.wait_for(lambda: fake.requests("POST", rf"/{token}/callback"), what="the listing")
            listing = fake.requests("POST", rf"/{token}/callback")[0].body["data"]["content"]
            assert f"added by ada, {date.today():%Y-%m-%d} (slash)" in listing

    run(scenario())
    refusal = next(t for t in _log(fake) if "already in the knowledge base" in t)
    assert f"ada (discord:{ADMIN_ID})" in refusal and "ask an admin" in refusal and "another name" in refusal
    with services.engine.connect() as conn:
        doc = conn.execute(text("SELECT uploader, uploader_name, added_via, version FROM documents")).one()
    assert tuple(doc) == (f"discord:{ADMIN_ID}", "ada", "slash", 1)


def test_the_uploader_may_replace_their_own_upload(services, fake: FakeDiscord) -> None:
    async def scenario() -> None:
        async with running(make_bot(services), fake):
            for n, body in enumerate((MEMBER_COPY, ADMIN_COPY), 1):
                fake.command("upload", attachments={"file": fake.add_file("handbook.md", body)}, uid=MEMBER_ID,
                             permissions=0)

                def ready(n: int = n) -> bool:
                    with services.engine.connect() as conn:
                        row = conn.execute(text("SELECT version, status FROM documents")).first()
                    return row is not None and tuple(row) == (n, "ready")

                await fake.wait_for(ready, what=f"version {n} ready")

    run(scenario())
    with services.engine.connect() as conn:
        doc = conn.execute(text("SELECT uploader, uploader_name FROM documents")).one()
    assert tuple(doc) == (f"discord:{MEMBER_ID}", "max")
