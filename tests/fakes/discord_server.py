"""A fake Discord (REST + gateway + CDN) on 127.0.0.1 that the real discord.py client can log in to."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import discord
import yarl
from aiohttp import web

APP_ID = BOT_ID = 900000000000000001
GUILD_ID = 900000000000000010
CHANNEL_ID = 900000000000000020  # #general
OTHER_CHANNEL_ID = 900000000000000021  # #engineering
ADMIN_ID, MEMBER_ID = 900000000000000030, 900000000000000031
DM_CHANNEL_ID = 900000000000000040
BOT_ROLE_ID = 900000000000000050  # the role Discord manages for the bot (guild.self_role)
ALL_PERMISSIONS = (1 << 50) - 1
VIEW_CHANNEL = 1 << 10
EVERYONE_PERMISSIONS = VIEW_CHANNEL | (1 << 11) | (1 << 16)  # view, send messages, read message history
_BODY = web.RequestKey("body", object)


def user(uid: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A Discord user object."""
    return {"id": str(uid), "username": name, "discriminator": "0", "global_name": name, "avatar": None, "bot": bot}


BOT_USER = user(BOT_ID, "Ragbot", bot=True)
USERS = {ADMIN_ID: user(ADMIN_ID, "ada"), MEMBER_ID: user(MEMBER_ID, "max")}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py treats "application/json; charset=..." as text, so the header must be exact.
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


@dataclass
class Call:
    """One REST request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class FakeDiscord:
    """The fake server; runs its own event loop in a background thread."""

    calls: list[Call] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    channel_messages: dict[int, list[int]] = field(default_factory=dict)
    threads: dict[int, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)  # injected error responses
    interactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    reactions: dict[int, list[str]] = field(default_factory=dict)  # message id -> the bot's reactions, in order
    private_channels: set[int] = field(default_factory=set)  # @everyone may not view these
    dm_channels: dict[int, int] = field(default_factory=dict)  # user id -> the DM channel the bot opened
    # HTTP interactions mode: interactions are POSTed, signed, to this URL instead of sent over the gateway.
    interactions_url: str | None = None
    signing_key: Any = None  # a nacl SigningKey, the application's private half
    http_replies: dict[str, tuple[int, str]] = field(default_factory=dict)  # token -> (status, body) of our POST
    port: int = 0

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self.loop.run_forever, name="fake-discord", daemon=True)

    def start(self) -> FakeDiscord:
        """Serve on a free port of 127.0.0.1."""
        self._loop_thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/cdn/{path:.*}", self._cdn)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        """Shut the server and its loop down."""
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._loop_thread.join(5)

    @property
    def base_url(self) -> str:
        """What discord.http.Route.BASE should be."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> yarl.URL:
        """What DiscordWebSocket.DEFAULT_GATEWAY should be."""
        return yarl.URL(f"ws://127.0.0.1:{self.port}/gateway")

    def snowflake(self) -> int:
        """A fresh id whose timestamp is now (discord.py derives created_at from it)."""
        return discord.utils.time_snowflake(datetime.now(UTC)) + next(self._ids) % 4096

    def fail(self, method: str, pattern: str, *, status: int = 429, times: int = 1, via: bool = True,
             retry_after: float = 0.2) -> None:
        """Answer the next `times` matching requests with an error (a 429 by default, with Via like Discord's)."""
        headers = {"Via": "1.1 google", "Retry-After": str(retry_after)} if via else {}
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False, "code": 0}
        if status != 429:
            body = {"message": "error", "code": 0}
        self.failures.append({"method": method, "pattern": pattern, "status": status, "body": body,
                              "headers": headers, "times": times})

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway dispatch to every connected client."""
        asyncio.run_coroutine_threadsafe(self._dispatch(event, data), self.loop).result(10)

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    def add_file(self, filename: str, data: bytes) -> dict[str, Any]:
        """Put a file on the fake CDN; returns its attachment object."""
        aid = self.snowflake()
        path = f"/cdn/attachments/{CHANNEL_ID}/{aid}/{filename}"
        self.files[path] = data
        url = f"http://127.0.0.1:{self.port}{path}"
        return {"id": str(aid), "filename": filename, "size": len(data), "url": url, "proxy_url": url,
                "content_type": "text/markdown"}

    def member(self, uid: int, permissions: int) -> dict[str, Any]:
        """A guild member object as sent with interactions."""
        return {"user": USERS[uid], "roles": [], "joined_at": _now(), "deaf": False, "mute": False,
                "flags": 0, "permissions": str(permissions), "nick": None, "avatar": None, "pending": False}

    def _channel(self, channel_id: int) -> dict[str, Any]:
        if channel_id in self.threads:
            return self.threads[channel_id]
        if channel_id == DM_CHANNEL_ID:
            return {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [USERS[MEMBER_ID]]}
        return self._guild_channels()[0 if channel_id == CHANNEL_ID else 1]

    def interaction(self, data: dict[str, Any], *, uid: int = ADMIN_ID, permissions: int = ALL_PERMISSIONS,
                    channel_id: int = CHANNEL_ID, itype: int = 2, message: dict[str, Any] | None = None) -> str:
        """Dispatch INTERACTION_CREATE; returns its token."""
        token = f"itoken-{next(self._ids)}"
        payload: dict[str, Any] = {
            "id": str(self.snowflake()), "application_id": str(APP_ID), "type": itype, "token": token, "version": 1,
            "channel_id": str(channel_id), "channel": self._channel(channel_id), "data": data, "locale": "en-US",
            "app_permissions": str(ALL_PERMISSIONS), "attachment_size_limit": 25 * 1024 * 1024, "entitlements": [],
        }
        if channel_id == DM_CHANNEL_ID:
            payload.update(user=USERS[uid], context=1, authorizing_integration_owners={"0": str(GUILD_ID)})
        else:
            payload.update(guild_id=str(GUILD_ID), guild_locale="en-US", member=self.member(uid, permissions),
                           context=0, authorizing_integration_owners={"0": str(GUILD_ID)})
        if message is not None:
            payload["message"] = message
        # A component interaction's "original response" is the message the component is on.
        original = int(message["id"]) if message is not None else None
        self.interactions[token] = {"channel_id": channel_id, "original": original, "id": payload["id"]}
        if self.interactions_url is not None:
            # Off the caller's thread: the bot under test may run on the caller's event loop.
            threading.Thread(target=lambda: self.http_replies.__setitem__(token, self.post_signed(payload)),
                             daemon=True).start()
        else:
            self.dispatch("INTERACTION_CREATE", payload)
        return token

    def post_signed(self, payload: dict[str, Any], *, signature: str | None = None,
                    timestamp: str | None = None) -> tuple[int, str]:
        """POST one interaction to interactions_url as Discord does: Ed25519 over timestamp + body (blocking)."""
        import httpx

        body = json.dumps(payload).encode()
        stamp = timestamp or str(int(time.time()))
        good = self.signing_key.sign(stamp.encode() + body).signature.hex()
        headers = {"X-Signature-Ed25519": signature or good, "X-Signature-Timestamp": stamp,
                   "Content-Type": "application/json"}
        reply = httpx.post(str(self.interactions_url), content=body, headers=headers, timeout=10)
        return reply.status_code, reply.text

    def command(self, name: str, options: dict[str, Any] | None = None, *, sub: str | None = None,
                attachments: dict[str, dict[str, Any]] | None = None, users: dict[str, int] | None = None,
                **kwargs: Any) -> str:
        """A slash command interaction; attachment options are given as attachment objects, user options as ids."""
        opts: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for key, value in (options or {}).items():
            opts.append({"name": key, "type": 5 if isinstance(value, bool) else 3, "value": value})
        for key, uid in (users or {}).items():
            opts.append({"name": key, "type": 6, "value": str(uid)})
            resolved.setdefault("users", {})[str(uid)] = USERS[uid]
        for key, att in (attachments or {}).items():
            opts.append({"name": key, "type": 11, "value": att["id"]})
            resolved.setdefault("attachments", {})[att["id"]] = att
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        data = {"id": str(APP_ID + 7), "name": name, "type": 1, "options": opts, "resolved": resolved}
        return self.interaction(data, **kwargs)

    def click(self, message: dict[str, Any], custom_id: str, *, uid: int = MEMBER_ID) -> str:
        """Press a button on a message."""
        return self.interaction({"custom_id": custom_id, "component_type": 2}, uid=uid, itype=3,
                                channel_id=int(message["channel_id"]), message=message)

    def user_message(self, channel_id: int, content: str, *, uid: int = MEMBER_ID, mention_bot: bool = False,
                     mention_bot_role: bool = False, attachments: list[dict[str, Any]] | None = None
                     ) -> dict[str, Any]:
        """A user posts a message, maybe with attachments (stored for history, then dispatched as MESSAGE_CREATE)."""
        guild = channel_id != DM_CHANNEL_ID
        msg = self._store(channel_id, content, USERS[uid], guild=guild, extra={"attachments": attachments or []})
        if mention_bot:
            msg["mentions"] = [BOT_USER]
        if mention_bot_role:
            msg["mention_roles"] = [str(BOT_ROLE_ID)]
        if guild:
            msg["member"] = {k: v for k, v in self.member(uid, 0).items() if k not in ("user", "permissions")}
        self.dispatch("MESSAGE_CREATE", msg)
        return msg

    def channel_log(self, channel_id: int) -> list[dict[str, Any]]:
        """Messages of a channel, oldest first."""
        return [self.messages[i] for i in self.channel_messages.get(channel_id, [])]

    def requests(self, method: str, pattern: str) -> list[Call]:
        """Recorded calls whose path matches."""
        return [c for c in self.calls if c.method == method and re.search(pattern, c.path)]

    async def wait_for(self, predicate: Any, timeout: float = 30.0, what: str = "condition") -> Any:
        """Poll until predicate() is truthy (from the test's event loop)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            await asyncio.sleep(0.05)
        recent = [(c.method, c.path, c.status) for c in self.calls[-8:]]
        raise AssertionError(f"timed out waiting for {what}; last calls: {recent}")

    def _guild_channels(self) -> list[dict[str, Any]]:
        return [
            {"id": str(cid), "type": 0, "guild_id": str(GUILD_ID), "name": name, "position": i, "parent_id": None,
             "permission_overwrites": [{"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}]
             if cid in self.private_channels else [], "nsfw": False, "topic": None, "rate_limit_per_user": 0}
            for i, (cid, name) in enumerate(((CHANNEL_ID, "general"), (OTHER_CHANNEL_ID, "engineering")))
        ]

    def _guild(self) -> dict[str, Any]:
        everyone = {"id": str(GUILD_ID), "name": "@everyone", "permissions": str(EVERYONE_PERMISSIONS), "position": 0,
                    "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}
        bot_role = {**everyone, "permissions": "0", "id": str(BOT_ROLE_ID), "name": "Ragbot", "position": 1,
                    "managed": True,
                    "mentionable": True, "tags": {"bot_id": str(BOT_ID)}}
        me = {"user": BOT_USER, "roles": [str(BOT_ROLE_ID)], "joined_at": _now(), "deaf": False, "mute": False,
              "flags": 0}
        return {"id": str(GUILD_ID), "name": "Test Guild", "owner_id": str(ADMIN_ID), "roles": [everyone, bot_role],
                "channels": self._guild_channels(), "threads": [], "members": [me], "member_count": 3,
                "large": False, "features": [], "emojis": [], "stickers": [], "unavailable": False,
                "joined_at": _now(), "voice_states": [], "presences": [], "stage_instances": [],
                "guild_scheduled_events": [], "soundboard_sounds": []}

    def _store(self, channel_id: int, content: str, author: dict[str, Any], *, guild: bool = True,
               extra: dict[str, Any] | None = None, mid: int | None = None) -> dict[str, Any]:
        mid = mid or self.snowflake()
        msg = {"id": str(mid), "channel_id": str(channel_id), "author": author, "content": content or "",
               "timestamp": _now(), "edited_timestamp": None, "tts": False, "mention_everyone": False,
               "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "components": [],
               "pinned": False, "type": 0, "flags": 0, **(extra or {})}
        if guild:
            msg["guild_id"] = str(GUILD_ID)
        self.messages[mid] = msg
        self.channel_messages.setdefault(channel_id, []).append(mid)
        return msg

    def _bot_message(self, channel_id: int, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
        fields = {k: body[k] for k in ("embeds", "components", "flags", "message_reference") if body.get(k) is not None}
        return self._store(channel_id, body.get("content") or "", BOT_USER, guild=channel_id != DM_CHANNEL_ID,
                           extra={**fields, **extra})

    def _edit(self, mid: int, body: dict[str, Any]) -> dict[str, Any]:
        msg = self.messages[mid]
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        msg["edited_timestamp"] = _now()
        return msg

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body: Any = None
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            form = await request.post()
            body = json.loads(str(form.get("payload_json") or "{}"))
        request[_BODY] = body
        call = Call(request.method, request.path, dict(request.query), body)
        self.calls.append(call)
        response: web.StreamResponse
        failure = next((f for f in self.failures if f["times"] > 0 and f["method"] == request.method
                        and re.search(f["pattern"], request.path)), None)
        if failure is not None:
            failure["times"] -= 1
            response = _json(failure["body"], failure["status"], failure["headers"])
        else:
            response = await handler(request)
        call.status = response.status
        return response

    async def _cdn(self, request: web.Request) -> web.Response:
        return web.Response(body=self.files[request.path]) if request.path in self.files else web.Response(status=404)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        m, p, body = request.method, "/" + request.match_info["path"], request[_BODY] or {}
        if (m, p) == ("GET", "/users/@me"):
            return _json(BOT_USER)
        if (m, p) == ("POST", "/users/@me/channels"):  # open a DM: one channel per recipient, as Discord keeps it
            uid = int(body["recipient_id"])
            channel = self.dm_channels.setdefault(uid, self.snowflake())
            return _json({"id": str(channel), "type": 1, "last_message_id": None, "recipients": [USERS[uid]]})
        if (r := re.fullmatch(r"/users/(\d+)", p)) and m == "GET":
            known = USERS.get(int(r.group(1)))
            return _json(known) if known else _json({"message": "Unknown User", "code": 10013}, 404)
        if (m, p) == ("GET", "/oauth2/applications/@me"):
            return _json({"id": str(APP_ID), "name": "Ragbot", "icon": None, "description": "", "bot_public": True,
                          "bot_require_code_grant": False, "owner": USERS[ADMIN_ID], "verify_key": "00", "flags": 0,
                          "rpc_origins": [], "team": None, "summary": ""})
        if m == "PUT" and re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", p):
            # Discord answers a context-menu command (which has no description) with an empty one.
            return _json([{"description": "", **c, "id": str(self.snowflake()), "application_id": str(APP_ID),
                           "version": "1"} for c in body])
        if r := re.fullmatch(r"/interactions/\d+/([^/]+)/callback", p):
            return self._callback(r.group(1), body)
        if r := re.fullmatch(r"/webhooks/\d+/([^/]+)(?:/messages/(@original|\d+))?", p):
            return self._webhook(m, r.group(1), r.group(2), body)
        if r := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", p):
            return await self._thread(int(r.group(1)), int(r.group(2)), body)
        if r := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me", p):
            return self._reaction(m, int(r.group(2)), unquote(r.group(3)))
        if r := re.fullmatch(r"/channels/(\d+)/messages(?:/(\d+))?", p):
            return self._channel_messages(m, int(r.group(1)), r.group(2), body, request.query)
        return _json({"message": f"fake has no route {m} {p}", "code": 0}, 404)

    def _reaction(self, method: str, mid: int, emoji: str) -> web.Response:
        if mid not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        names = self.reactions.setdefault(mid, [])
        if method == "PUT" and emoji not in names:
            names.append(emoji)
        elif method == "DELETE" and emoji in names:
            names.remove(emoji)
        return web.Response(status=204)

    def _callback(self, token: str, body: dict[str, Any]) -> web.Response:
        info = self.interactions[token]
        kind = body["type"]
        interaction = {"id": info["id"], "type": kind}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):  # message / deferred message: the original response exists from now on
            data = body.get("data") or {}
            msg = self._bot_message(info["channel_id"], data, interaction_token=token)
            info["original"] = int(msg["id"])
            interaction.update(response_message_id=msg["id"], response_message_loading=kind == 5,
                               response_message_ephemeral=bool((data.get("flags") or 0) & 64))
            resource["message"] = msg
        elif kind == 7 and info["original"]:  # update the message the pressed component is on
            self._edit(info["original"], body.get("data") or {})
        return _json({"interaction": interaction, "resource": resource if "message" in resource else None})

    def _webhook(self, method: str, token: str, target: str | None, body: dict[str, Any]) -> web.Response:
        info = self.interactions.get(token)
        if info is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        if target is None and method == "POST":  # followup
            return _json(self._bot_message(info["channel_id"], body, interaction_token=token))
        mid = info["original"] if target == "@original" else int(target or 0)
        if mid not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        if method == "PATCH":
            return _json(self._edit(mid, body))
        if method == "DELETE":
            return web.Response(status=204)
        return _json(self.messages[mid])

    def open_thread(self, parent_id: int, name: str, *, owner_id: int = MEMBER_ID) -> int:
        """A user opens a thread (not from a message); returns its id."""
        tid = self.snowflake()
        asyncio.run_coroutine_threadsafe(self._thread(parent_id, tid, {"name": name}, owner_id), self.loop).result(10)
        return tid

    async def _thread(self, channel_id: int, mid: int, body: dict[str, Any], owner_id: int = BOT_ID) -> web.Response:
        thread = {"id": str(mid), "guild_id": str(GUILD_ID), "parent_id": str(channel_id), "owner_id": str(owner_id),
                  "name": body["name"], "type": 11, "message_count": 0, "member_count": 1,
                  "rate_limit_per_user": 0, "flags": 0, "last_message_id": None,
                  "thread_metadata": {"archived": False, "auto_archive_duration": body.get("auto_archive_duration",
                                      1440), "archive_timestamp": _now(), "locked": False}}
        self.threads[mid] = thread
        await self._dispatch("THREAD_CREATE", {**thread, "newly_created": True})  # as Discord does
        return _json(thread)

    def _channel_messages(self, method: str, channel_id: int, mid: str | None, body: dict[str, Any],
                          query: Any) -> web.Response:
        if mid is None and method == "POST":
            return _json(self._bot_message(channel_id, body))
        if mid is None:  # history: newest first, before an id
            ids = [i for i in self.channel_messages.get(channel_id, []) if i < int(query.get("before", 1 << 63))]
            limit = int(query.get("limit", 50))
            return _json([self.messages[i] for i in reversed(ids)][:limit])
        if int(mid) not in self.messages or int(self.messages[int(mid)]["channel_id"]) != channel_id:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        if method == "PATCH":
            return _json(self._edit(int(mid), body))
        return _json(self.messages[int(mid)])

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        async for frame in ws:
            data = json.loads(frame.data)
            if data["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif data["op"] == 2:
                self._sockets.append(ws)
                ready = {"v": 10, "user": BOT_USER, "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                         "session_id": "fake-session", "resume_gateway_url": str(self.gateway_url),
                         "application": {"id": str(APP_ID), "flags": 0}}
                await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
                await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": self._guild()}))
        return ws
