"""Discord HTTP interactions: POST /interactions with Ed25519-signed requests, for hosting without a gateway.

Discord sends each slash command, button, autocomplete and modal to this URL instead of the gateway. Verified
requests are handed to discord.py exactly as a gateway INTERACTION_CREATE would be, so the same Cog code answers
them through the interaction callback endpoint; the HTTP request itself is acknowledged with 202.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from aiohttp import web
from discord.ext import commands
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from ragbot.errors import RagbotError

_log = logging.getLogger(__name__)
PING, PONG = 1, 1
MAX_SKEW_SECONDS = 300  # a replayed request older than this is refused even with a good signature


def verify_key(public_key: str | None) -> VerifyKey:
    """The application's Ed25519 key from DISCORD_PUBLIC_KEY (64 hex characters)."""
    try:
        key = bytes.fromhex(public_key or "")
        if len(key) != 32:
            raise ValueError(len(key))
        return VerifyKey(key)
    except ValueError:
        raise RagbotError("DISCORD_PUBLIC_KEY must be the application's public key, 64 hex characters (Developer "
                          "Portal → General Information); serve discord --http needs it.") from None


class InteractionsEndpoint:
    """The aiohttp handler: 401 for a bad or missing signature, PONG for PING, the rest to discord.py."""

    def __init__(self, bot: commands.Bot, key: VerifyKey) -> None:
        self.bot = bot
        self.key = key

    def signed(self, request: web.Request, body: bytes) -> bool:
        """Whether Discord signed this request (timestamp + body) and it is recent."""
        signature = request.headers.get("X-Signature-Ed25519", "")
        stamp = request.headers.get("X-Signature-Timestamp", "")
        try:
            self.key.verify(stamp.encode() + body, bytes.fromhex(signature))
        except (BadSignatureError, ValueError):
            return False
        return stamp.isdigit() and abs(time.time() - int(stamp)) <= MAX_SKEW_SECONDS

    async def handle(self, request: web.Request) -> web.Response:
        """One interaction."""
        body = await request.read()
        if not self.signed(request, body):
            return web.json_response({"error": "invalid request signature"}, status=401)
        try:
            payload: dict[str, Any] = json.loads(body)
        except ValueError:
            return web.json_response({"error": "the body is not JSON"}, status=400)
        if payload.get("type") == PING:
            return web.json_response({"type": PONG})
        # The gateway's own code path: discord.py builds the Interaction and runs the command tree or the view.
        self.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]  # noqa: SLF001
        await asyncio.sleep(0)  # let the handler start; it answers through the callback endpoint within 3 s
        return web.Response(status=202)


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def serve(bot: commands.Bot, token: str, *, public_key: str | None, host: str, port: int,
                started: asyncio.Event | None = None, stop: asyncio.Event | None = None) -> int:
    """Log in over REST (no gateway), load the Cog and answer interactions on host:port until stopped.

    Returns the bound port (port 0 picks a free one; tests use that).
    """
    endpoint = InteractionsEndpoint(bot, verify_key(public_key))
    await bot.login(token)  # REST only: the application id and the Cog (setup_hook) without a gateway session
    app = web.Application()
    app.router.add_post("/interactions", endpoint.handle)
    app.router.add_get("/healthz", _healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    _log.info("Ragbot answers Discord interactions on http://%s:%s/interactions", host, bound)
    bot.ragbot_http_port = bound  # type: ignore[attr-defined]
    if started is not None:
        started.set()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await runner.cleanup()
        await bot.close()
    return bound
