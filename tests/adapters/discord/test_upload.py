"""/upload: an attachment from the fake CDN is stored, ingested by a worker, and its status message edited."""

from __future__ import annotations

from sqlalchemy import text
from yarl import URL

from ragbot.adapters.discord.status import DiscordStatusUpdater, chat_ref
from ragbot.chat.status import Status
from tests.adapters.discord.conftest import make_bot, run, running
from tests.fakes.discord_server import CHANNEL_ID, MEMBER_ID, FakeDiscord

GUIDE = "# Deploys\n\nDeploys go out every Tuesday after the change review. Roll back with the deploy button."


def test_upload_from_cdn_ends_ready_and_status_message_is_edited(services, fake: FakeDiscord) -> None:
    attachment = fake.add_file("deploys.md", GUIDE.encode())
    too_big = {**fake.add_file("huge.pdf", b"%PDF"), "size": 10 * 1024**3}

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            fake.command("upload", attachments={"file": attachment, "file2": too_big})

            def ready_status() -> bool:
                ready = "✅ **deploys.md**: ready as “Deploys”"
                return any(ready in m["content"] for m in fake.channel_log(CHANNEL_ID))

            await fake.wait_for(ready_status, what="the ready status edit")

    run(scenario())
    with services.engine.connect() as conn:
        doc = conn.execute(text("SELECT * FROM documents")).one()
    assert doc.status == "ready" and doc.space_id.startswith("discord:") and doc.channel is None
    assert doc.uploader.startswith("discord:") and doc.chat_ref["platform"] == "discord"
    # Citations open the message that shows the upload.
    assert doc.link.endswith(f"/{doc.chat_ref['channel_id']}/{doc.chat_ref['message_id']}")
    # The file came from the CDN; the oversized one was refused from its declared size, never downloaded.
    assert [c.path for c in fake.calls if c.path.startswith("/cdn/")] == [URL(attachment["url"]).path]
    # The worker edited the status message over plain REST with the bot token.
    edits = fake.requests("PATCH", rf"/channels/{CHANNEL_ID}/messages/{doc.chat_ref['message_id']}")
    assert edits and "ready" in edits[-1].body["content"]
    texts = [m["content"] for m in fake.channel_log(CHANNEL_ID)]
    assert any("huge.pdf" in t and "limit" in t for t in texts)
    assert any(t.startswith("📥 Adding 2 documents to this server's knowledge base") for t in texts)


def test_worker_status_edit_waits_out_a_429(settings, fake: FakeDiscord) -> None:
    message = fake._store(CHANNEL_ID, "⏳ queued", {"id": "1", "username": "bot", "discriminator": "0"})
    fake.fail("PATCH", rf"/channels/{CHANNEL_ID}/messages/", retry_after=0.2)
    s = settings.model_copy(update={"discord_token": "t", "discord_api_base_url": fake.base_url})
    DiscordStatusUpdater(s).update(chat_ref(CHANNEL_ID, int(message["id"])),
                                   Status.upload("Guide", "ready", 100, "3 chunks"))
    assert [c.status for c in fake.requests("PATCH", "/channels/")] == [429, 200]
    assert fake.messages[int(message["id"])]["content"] == "✅ **Guide**: ready (3 chunks). Ask away!"


def test_with_uploaders_admins_a_member_is_refused_privately_and_nothing_is_stored(services, fake: FakeDiscord
                                                                                  ) -> None:
    services.settings.uploaders = "admins"
    services.settings.uploader_role = "Writers"
    attachment = fake.add_file("deploys.md", GUIDE.encode())
    replies: list[dict] = []

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            token = fake.command("upload", attachments={"file": attachment}, uid=MEMBER_ID, permissions=0)
            await fake.wait_for(lambda: fake.requests("POST", rf"/{token}/callback"))
            replies.append(fake.requests("POST", rf"/{token}/callback")[0].body)

    run(scenario())
    body = replies[0]
    assert body["data"]["flags"] & 64  # only the member sees it
    assert "only admins and the **Writers** role may add documents" in body["data"]["content"]
    assert not [c for c in fake.calls if c.path.startswith("/cdn/")]
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar_one() == 0
