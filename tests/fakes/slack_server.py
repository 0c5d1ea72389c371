"""A fake Slack Web API (and Socket Mode websocket) on 127.0.0.1 that records every call."""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"
_JSON_FIELDS = ("blocks", "metadata", "view", "attachments")


@dataclass
class Call:
    """One request as the fake saw it (header names lowercased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def api(self) -> str:
        """The Web API method name (chat.postMessage ...), or '' for other paths."""
        return self.path.split("?")[0].removeprefix("/api/") if self.path.startswith("/api/") else ""


class FakeSlack:
    """Answers the Web API methods Ragbot uses, keeps posted messages, serves files and a Socket Mode socket."""

    def __init__(self, *, token: str = "xoxb-test", team: str = "T1", bot_user: str = "UBOT",
                 bot_id: str = "BBOT") -> None:
        self.token, self.team, self.bot_user, self.bot_id = token, team, bot_user, bot_id
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}  # user group id -> member ids
        self.strict_users = False  # True: users.info answers user_not_found for ids never added, as Slack does
        self.files: dict[str, tuple[dict[str, Any], bytes, str]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.refuse_channels: set[str] = set()
        self.private_channels: set[str] = set()
        self.reactions: dict[tuple[str, str], list[str]] = {}  # (channel, ts) -> names, in the order added
        self.failures: dict[str, list[int]] = {}
        self.socket_acks: list[dict[str, Any]] = []
        self._outbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None
        self._ws: Any = None

    # --- life cycle -----------------------------------------------------------------------------------------
    @property
    def root(self) -> str:
        """http://127.0.0.1:PORT"""
        assert self._http is not None, "start() first"
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    @property
    def base_url(self) -> str:
        """The WebClient base_url."""
        return self.root + "/api/"

    def start(self) -> FakeSlack:
        """Listen on a free port."""
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop the HTTP server and the websocket."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._ws is not None:
            self._ws.shutdown()

    # --- test setup -----------------------------------------------------------------------------------------
    def add_user(self, user_id: str, **flags: Any) -> None:
        """A workspace member (is_admin=True, is_owner=True ...)."""
        self.users[user_id] = {"id": user_id, "team_id": self.team, "is_admin": False, "is_owner": False, **flags}

    def add_file(self, file_id: str, name: str, data: bytes, mimetype: str = "text/plain") -> dict[str, Any]:
        """A file that files.info describes and /files/... serves to the bot token only."""
        info = {"id": file_id, "name": name, "title": name, "mimetype": mimetype, "size": len(data),
                "url_private": f"{self.root}/files/{file_id}/{name}",
                "url_private_download": f"{self.root}/files/{file_id}/download/{name}",
                "permalink": f"https://test.slack.com/files/{file_id}"}
        self.files[file_id] = (info, data, mimetype)
        return info

    def add_message(self, channel: str, ts: str, user: str, text: str, thread_ts: str | None = None) -> None:
        """A message a person posted (so conversations.replies can return it)."""
        msg = {"type": "message", "ts": ts, "user": user, "text": text}
        if thread_ts:
            msg["thread_ts"] = thread_ts
        with self._lock:
            self.messages.setdefault(channel, []).append(msg)

    def edit_message(self, channel: str, ts: str, text: str) -> dict[str, Any]:
        """A person edits their message; returns the message_changed event Slack would send."""
        with self._lock:
            msg = next(m for m in self.messages.get(channel, []) if m["ts"] == ts)
            previous = dict(msg)
            msg["text"] = text
            msg["edited"] = {"user": msg["user"], "ts": self.new_ts()}
            current = dict(msg)
            if any(m.get("thread_ts") == ts for m in self.messages[channel]):
                current["thread_ts"] = ts  # Slack marks a thread's parent message with its own ts
        return {"type": "message", "subtype": "message_changed", "hidden": True, "channel": channel,
                "ts": current["edited"]["ts"], "event_ts": current["edited"]["ts"], "message": current,
                "previous_message": previous}

    def new_ts(self) -> str:
        """A message timestamp later than every earlier one (people's and the bot's share one clock)."""
        return f"{1700000000 + next(self._ts)}.000100"

    def fail_next(self, api: str, n: int = 1, status: int = 429) -> None:
        """Answer the next n calls of an API method with an HTTP error (429 carries Retry-After: 1)."""
        self.failures.setdefault(api, []).extend([status] * n)

    # --- assertions -----------------------------------------------------------------------------------------
    def api_calls(self, api: str) -> list[Call]:
        """Recorded calls of one Web API method, in order."""
        with self._lock:
            return [c for c in self.calls if c.api == api]

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The stored messages of a thread (root first)."""
        with self._lock:
            msgs = [m for m in self.messages.get(channel, []) if thread_ts in (m["ts"], m.get("thread_ts"))]
        return sorted(msgs, key=lambda m: float(m["ts"]))

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02) -> Any:
        """Poll until predicate() is truthy; return its value or fail with the recorded API methods."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"timed out; calls so far: {[c.api or c.path for c in self.calls]}")

    # --- Socket Mode ----------------------------------------------------------------------------------------
    def start_socket(self) -> str:
        """A local websocket that says hello, pushes queued envelopes and records acks; returns its URL."""
        from websockets.sync.server import serve

        self._ws = serve(self._socket_session, "127.0.0.1", 0)
        threading.Thread(target=self._ws.serve_forever, daemon=True).start()
        return f"ws://127.0.0.1:{self._ws.socket.getsockname()[1]}/link"

    def push(self, envelope: dict[str, Any]) -> None:
        """Send an envelope to the connected Socket Mode client."""
        self._outbox.put(envelope)

    def _socket_session(self, ws: Any) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}))
        while True:
            with contextlib.suppress(queue.Empty):
                ws.send(json.dumps(self._outbox.get_nowait()))
            try:
                raw = ws.recv(timeout=0.02)
            except TimeoutError:
                continue
            except Exception:
                return
            with self._lock:
                self.socket_acks.append(json.loads(raw))

    # --- Web API --------------------------------------------------------------------------------------------
    def answer(self, call: Call) -> tuple[int, dict[str, str], bytes]:
        """The HTTP response for a recorded call."""
        path = call.path.split("?")[0]
        if path.startswith("/files/"):
            return self._download(call, path)
        if path.startswith("/response/"):
            return 200, {"Content-Type": "text/plain"}, b"ok"
        pending = self.failures.get(call.api)
        if pending:
            status = pending.pop(0)
            return status, {"Content-Type": "application/json", "Retry-After": "1"}, b'{"ok": false}'
        handler = getattr(self, "_api_" + call.api.replace(".", "_"), None)
        payload = handler(call.body) if handler else {"ok": True}
        return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(payload).encode()

    def _download(self, call: Call, path: str) -> tuple[int, dict[str, str], bytes]:
        file_id = path.split("/")[2]
        if call.headers.get("authorization") != f"Bearer {self.token}" or file_id not in self.files:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, LOGIN_PAGE.encode()  # what Slack does
        _, data, mimetype = self.files[file_id]
        return 200, {"Content-Type": mimetype}, data

    def _api_auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "ragbot",
                "team_id": self.team, "user_id": self.bot_user, "bot_id": self.bot_id}

    def _api_apps_connections_open(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.start_socket() if self._ws is None else
                f"ws://127.0.0.1:{self._ws.socket.getsockname()[1]}/link"}

    @staticmethod
    def _limits(body: dict[str, Any]) -> str | None:
        if len(body.get("text") or "") > 4000:
            return "msg_too_long"
        blocks = body.get("blocks") or []
        if len(blocks) > 50:
            return "invalid_blocks"
        for b in blocks:
            if b.get("type") == "section" and len(b.get("text", {}).get("text", "")) > 3000:
                return "invalid_blocks"
        return None

    def _api_chat_postMessage(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel", "")
        if channel in self.refuse_channels:
            return {"ok": False, "error": "not_in_channel"}
        if error := self._limits(body):
            return {"ok": False, "error": error}
        channel = "D" + channel if channel.startswith("U") else channel  # a user id posts to the bot's DM
        ts = self.new_ts()
        msg = {"type": "message", "ts": ts, "user": self.bot_user, "bot_id": self.bot_id, "text": body.get("text"),
               "blocks": body.get("blocks") or []}
        for key in ("thread_ts", "metadata"):
            if body.get(key):
                msg[key] = body[key]
        with self._lock:
            self.messages.setdefault(channel, []).append(msg)
        return {"ok": True, "channel": channel, "ts": ts, "message": msg}

    def _api_chat_update(self, body: dict[str, Any]) -> dict[str, Any]:
        if error := self._limits(body):
            return {"ok": False, "error": error}
        with self._lock:
            for msg in self.messages.get(body.get("channel", ""), []):
                if msg["ts"] == body.get("ts"):
                    msg["text"] = body.get("text")
                    if "blocks" in body:
                        msg["blocks"] = body["blocks"] or []
                    return {"ok": True, "channel": body["channel"], "ts": msg["ts"], "text": msg["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _api_chat_postEphemeral(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("channel") in self.refuse_channels:
            return {"ok": False, "error": "not_in_channel"}
        return {"ok": True, "message_ts": self.new_ts()}

    def _api_views_open(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V1", **(body.get("view") or {})}}

    def _api_users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        user = body.get("user", "")
        if self.strict_users and user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self.users.get(user, {"id": user, "is_admin": False, "is_owner": False})}

    def _api_usergroups_users_list(self, body: dict[str, Any]) -> dict[str, Any]:
        group = body.get("usergroup", "")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": self.usergroups[group]}

    def _api_conversations_replies(self, body: dict[str, Any]) -> dict[str, Any]:
        msgs = self.thread(body.get("channel", ""), body.get("ts", ""))
        if str(body.get("include_all_metadata")).lower() not in ("1", "true"):
            msgs = [{k: v for k, v in m.items() if k != "metadata"} for m in msgs]
        return {"ok": True, "messages": msgs, "has_more": False}

    def _api_chat_getPermalink(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802 - the API's name
        channel, ts = body.get("channel", ""), str(body.get("message_ts", ""))
        return {"ok": True, "channel": channel,
                "permalink": f"https://test.slack.com/archives/{channel}/p{ts.replace('.', '')}"}

    def _api_conversations_info(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel", "")
        return {"ok": True, "channel": {"id": channel, "is_private": channel in self.private_channels,
                                        "is_im": channel.startswith("D")}}

    def _api_reactions_add(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            names = self.reactions.setdefault((body.get("channel", ""), body.get("timestamp", "")), [])
            if body.get("name") in names:
                return {"ok": False, "error": "already_reacted"}
            names.append(body.get("name", ""))
        return {"ok": True}

    def _api_reactions_remove(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            names = self.reactions.get((body.get("channel", ""), body.get("timestamp", "")), [])
            if body.get("name") not in names:
                return {"ok": False, "error": "no_reaction"}
            names.remove(body.get("name", ""))
        return {"ok": True}

    def _api_files_info(self, body: dict[str, Any]) -> dict[str, Any]:
        entry = self.files.get(body.get("file", ""))
        return {"ok": True, "file": entry[0]} if entry else {"ok": False, "error": "file_not_found"}


def _parse(headers: dict[str, str], raw: bytes, query: str) -> dict[str, Any]:
    body: dict[str, Any] = {k: v[0] for k, v in parse_qs(query).items()}
    if "json" in headers.get("content-type", ""):
        body.update(json.loads(raw or b"{}"))
    elif raw:
        body.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
    for key in _JSON_FIELDS:
        if isinstance(body.get(key), str):
            with contextlib.suppress(ValueError):
                body[key] = json.loads(body[key])
    return body


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            call = Call(self.command, self.path, headers, _parse(headers, raw, urlsplit(self.path).query))
            with fake._lock:
                fake.calls.append(call)
            status, out_headers, data = fake.answer(call)
            self.send_response(status)
            for name, value in out_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve  # noqa: N815 - http.server's naming

    return Handler
