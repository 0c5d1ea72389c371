"""serve discord --http: signed interactions over HTTP reach the same Cog; bad signatures get 401; PING gets PONG."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from nacl.signing import SigningKey

from ragbot.adapters.discord.interactions_http import serve
from tests.adapters.discord.conftest import add_document, make_bot, run
from tests.adapters.discord.test_ask import HANDBOOK
from tests.fakes.discord_server import FakeDiscord

EPHEMERAL = 64


async def _over_http(services: Any, fake: FakeDiscord, scenario: Callable[[], Awaitable[None]]) -> None:
    key = SigningKey.generate()
    bot = make_bot(services)
    started, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(bot, "test-token", public_key=key.verify_key.encode().hex(),
                                     host="127.0.0.1", port=0, started=started, stop=stop))
    await asyncio.wait_for(started.wait(), 20)
    fake.interactions_url = f"http://127.0.0.1:{bot.ragbot_http_port}/interactions"  # type: ignore[attr-defined]
    fake.signing_key = key
    try:
        await scenario()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def test_ping_is_answered_and_bad_or_old_signatures_are_refused(services, fake: FakeDiscord) -> None:
    replies: dict[str, tuple[int, str]] = {}

    async def scenario() -> None:
        ping = {"id": "1", "application_id": "2", "type": 1, "token": "t", "version": 1}
        replies["ping"] = await asyncio.to_thread(fake.post_signed, ping)
        replies["forged"] = await asyncio.to_thread(fake.post_signed, ping, signature="ab" * 64)
        replies["garbage"] = await asyncio.to_thread(fake.post_signed, ping, signature="not hex")
        replies["replayed"] = await asyncio.to_thread(fake.post_signed, ping, timestamp=str(int(time.time()) - 3600))

    run(_over_http(services, fake, scenario))
    assert replies["ping"][0] == 200 and json.loads(replies["ping"][1]) == {"type": 1}
    assert replies["forged"][0] == replies["garbage"][0] == replies["replayed"][0] == 401


def test_a_slash_command_over_http_is_answered_with_citations_and_admin_refusals_still_apply(
        services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)
    answers: dict[str, Any] = {}

    async def scenario() -> None:
        token = fake.command("ask", {"question": "Who approves travel expenses?"})
        await fake.wait_for(lambda: any(c.body and c.body.get("embeds") for c in fake.requests("PATCH", token)),
                            what="the cited answer")
        answers["ask"] = fake.messages[fake.interactions[token]["original"]]
        answers["http"] = fake.http_replies.get(token)
        refused = fake.command("admin", {}, sub="stats", permissions=0, uid=900000000000000031)
        await fake.wait_for(lambda: fake.requests("POST", rf"/{refused}/callback"), what="the refusal")
        answers["refusal"] = fake.requests("POST", rf"/{refused}/callback")[0].body

    run(_over_http(services, fake, scenario))
    assert answers["ask"]["embeds"][0]["title"] == "Sources"
    assert answers["http"] is None or answers["http"][0] == 202
    assert answers["refusal"]["data"]["flags"] & EPHEMERAL and "Manage Server" in answers["refusal"]["data"]["content"]
    assert not [c for c in fake.calls if c.path == "/gateway"]  # no gateway session was opened
