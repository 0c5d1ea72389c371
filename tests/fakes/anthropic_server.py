"""A local HTTP server that speaks Anthropic's Messages API (JSON and SSE), so the real anthropic SDK runs."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.local_server import LocalServer, RecordedRequest, read_request

Reply = str | Callable[[dict[str, Any]], str]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def split_deltas(text: str) -> list[str]:
    """The reply cut into word-sized text deltas, as the streaming API sends it."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


class FakeAnthropicServer(LocalServer):
    """POST /v1/messages on 127.0.0.1, non-streaming or as server-sent events."""

    def __init__(self, reply: Reply = "I don't know.", *, api_key: str | None = None, delta_delay: float = 0.0) -> None:
        super().__init__()
        self.reply = reply  # a string, or a callable(request_json) -> str
        self.api_key = api_key  # when set, other keys get 401 like the real API
        self.delta_delay = delta_delay
        self._failures: list[int] = []
        self._stream_error: str | None = None

    @property
    def base_url(self) -> str:
        """The URL to pass as Anthropic(base_url=...)."""
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, n: int, status: int = 429) -> None:
        """Answer the next n requests with an error status (429, 500, 529 ...)."""
        with self._lock:
            self._failures.extend([status] * n)

    def error_mid_stream(self, error_type: str = "overloaded_error") -> None:
        """Make the next streamed reply break off after its first delta with an SSE error event."""
        self._stream_error = error_type

    def message_requests(self) -> list[RecordedRequest]:
        """The recorded POSTs to /v1/messages."""
        return [r for r in self.requests if r.path.split("?")[0] == "/v1/messages"]

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this fake."""
        return _make_handler(self)

    def check(self, request: RecordedRequest) -> tuple[int, dict[str, Any]] | None:
        """Record the request; an error (status, body) to send instead of a reply, if any."""
        with self._lock:
            self.requests.append(request)
            failure = self._failures.pop(0) if self._failures else None
        if request.path.split("?")[0] != "/v1/messages" or request.method != "POST":
            return 404, _error(404, "Not found")
        # SDK versions differ: older ones send x-api-key, 2.x sends an Authorization bearer.
        keys = {request.headers.get("x-api-key"), request.headers.get("authorization", "").removeprefix("Bearer ")}
        if self.api_key is not None and self.api_key not in keys:
            return 401, _error(401, "invalid x-api-key")
        if failure is not None:
            return failure, _error(failure, f"Injected failure {failure}")
        if not isinstance(request.body, dict) or not request.body.get("messages"):
            return 400, _error(400, "messages: field required")
        return None

    def reply_text(self, body: dict[str, Any]) -> str:
        """The reply for a request body."""
        return self.reply(body) if callable(self.reply) else self.reply

    def message(self, body: dict[str, Any], text: str | None) -> dict[str, Any]:
        """A Message object; content is empty for message_start events."""
        content = [] if text is None else [{"type": "text", "text": text, "citations": None}]
        return {
            "id": "msg_fake01",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-fake"),
            "content": content,
            "stop_reason": None if text is None else "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": len(json.dumps(body)) // 4,
                "output_tokens": 1 if text is None else len(text) // 4,
            },
        }

    def events(self, body: dict[str, Any], text: str) -> list[tuple[str, dict[str, Any]]]:
        """The SSE events of a streamed reply, in the order the API sends them."""
        deltas = split_deltas(text)
        error, self._stream_error = self._stream_error, None
        out: list[tuple[str, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": self.message(body, None)}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": "", "citations": None},
                },
            ),
            ("ping", {"type": "ping"}),
        ]
        for i, delta in enumerate(deltas):
            out.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": delta}},
                )
            )
            if error and i == 0:
                out.append(("error", {"type": "error", "error": {"type": error, "message": "Overloaded"}}))
                return out
        out += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {
                        "stop_reason": "end_turn",
                        "stop_sequence": None,
                        "stop_details": None,
                        "container": None,
                    },
                    "usage": {"output_tokens": max(1, len(text) // 4)},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        return out


def _error(status: int, message: str) -> dict[str, Any]:
    """An API error body."""
    return {"type": "error", "error": {"type": _ERROR_TYPES.get(status, "api_error"), "message": message}}


def _make_handler(fake: FakeAnthropicServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one fake."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            request = read_request(self)
            body = request.body
            problem = fake.check(request)
            if problem is not None:
                status, payload = problem
                # retry-after-ms keeps the SDK's retries fast in tests.
                self._json(status, payload, {"retry-after-ms": "1"} if status in (429, 529) else {})
            elif body.get("stream"):
                self._stream(fake.events(body, fake.reply_text(body)))
            else:
                self._json(200, fake.message(body, fake.reply_text(body)), {})

        do_GET = do_POST  # noqa: N815 - recorded and answered 404

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("request-id", "req_fake01")
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, events: list[tuple[str, dict[str, Any]]]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")  # the body ends when the connection does
            self.end_headers()
            self.close_connection = True
            for name, data in events:
                self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
                self.wfile.flush()
                if fake.delta_delay and name == "content_block_delta":
                    time.sleep(fake.delta_delay)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
            pass

    return Handler
