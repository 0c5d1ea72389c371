"""A local HTTP server that speaks the OpenAI chat-completions API (JSON and SSE), so the real openai SDK runs.

It can play Ollama (404 "try pulling it first" for unknown models) or vLLM (its error shape), and misbehave on demand:
cut a stream short, stream nothing, hit the length limit, send an error event, or answer with a web page.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from tests.fakes.anthropic_server import split_deltas
from tests.fakes.local_server import LocalServer, RecordedRequest, read_request

Reply = str | Callable[[dict[str, Any]], str]
Flavor = Literal["ollama", "vllm"]
Mode = Literal["ok", "cut", "empty", "length", "error_event", "html", "not_json", "json"]


class FakeOpenAIServer(LocalServer):
    """/v1/chat/completions and /v1/models on 127.0.0.1; other paths get Go's plain-text 404, as Ollama sends."""

    def __init__(self, reply: Reply = "I don't know.", *, models: tuple[str, ...] = ("llama3.1:8b",),
                 api_key: str | None = None, flavor: Flavor = "ollama", delta_delay: float = 0.0) -> None:
        super().__init__()
        self.reply = reply  # a string, or a callable(request_json) -> str
        self.models = models
        self.api_key = api_key  # when set, other bearer tokens get 401 like vLLM --api-key
        self.flavor = flavor
        self.delta_delay = delta_delay
        self.mode: Mode = "ok"  # how the next streamed replies behave
        self._failures: list[tuple[int, dict[str, str]]] = []

    @property
    def base_url(self) -> str:
        """The URL to pass as OpenAI(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def fail_next(self, n: int, status: int = 429, *, retry_after_ms: str | None = "1") -> None:
        """Answer the next n chat requests with an error status; retry_after_ms=None sends no Retry-After."""
        headers = {"retry-after-ms": retry_after_ms} if retry_after_ms is not None else {}
        with self._lock:
            self._failures.extend([(status, headers)] * n)

    def chat_requests(self) -> list[RecordedRequest]:
        """The recorded POSTs to /v1/chat/completions."""
        return [r for r in self.requests if r.path.split("?")[0] == "/v1/chat/completions"]

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this fake."""
        return _make_handler(self)

    def route(self, request: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON payload or plain text, extra headers) for a request that is not a streamed success."""
        with self._lock:
            self.requests.append(request)
        path = request.path.split("?")[0]
        if path not in ("/v1/chat/completions", "/v1/models"):
            return 404, "404 page not found", {}
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key is not None and token != self.api_key:
            return 401, {"error": {"message": "Unauthorized", "type": "invalid_request_error", "code": 401}}, {}
        if path == "/v1/models":
            owner = "library" if self.flavor == "ollama" else "vllm"  # as each server fills owned_by
            data = [{"id": m, "object": "model", "created": 1700000000, "owned_by": owner} for m in self.models]
            return 200, {"object": "list", "data": data}, {}
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, headers = failure
            return status, {"error": {"message": f"Injected failure {status}", "type": "api_error"}}, headers
        model = request.body.get("model", "") if isinstance(request.body, dict) else ""
        if model not in self.models:
            return 404, self._unknown_model(model), {}
        return 0, None, {}  # 0: go on and answer

    def _unknown_model(self, model: str) -> dict[str, Any]:
        if self.flavor == "ollama":
            message = f'model "{model}" not found, try pulling it first'
            return {"error": {"message": message, "type": "api_error", "param": None, "code": None}}
        return {"object": "error", "message": f"The model `{model}` does not exist.", "type": "NotFoundError",
                "param": None, "code": 404}

    def reply_text(self, body: dict[str, Any]) -> str:
        """The reply for a request body."""
        return self.reply(body) if callable(self.reply) else self.reply

    def completion(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        """A non-streamed chat.completion object."""
        return {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model"), "system_fingerprint": "fp_ollama",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(json.dumps(body)) // 4, "completion_tokens": len(text) // 4,
                      "total_tokens": 0},
        }

    def chunks(self, body: dict[str, Any], text: str) -> list[str]:
        """The SSE data lines of a streamed reply in the current mode, [DONE] included when the stream completes."""
        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            return json.dumps({
                "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body.get("model"), "system_fingerprint": "fp_ollama",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            })

        mode = self.mode
        deltas = [] if mode == "empty" else split_deltas(text)
        out = [chunk({"role": "assistant", "content": ""})]
        if mode == "not_json":
            return [*out, "this is not json"]
        for i, delta in enumerate(deltas):
            out.append(chunk({"content": delta}))
            if mode == "cut" and i == 2:
                return out  # the connection closes: no finish_reason, no [DONE]
            if mode == "error_event" and i == 0:
                return [*out, json.dumps({"error": {"message": "llama runner process has terminated"}})]
        finish = "length" if mode == "length" else "stop"
        return [*out, chunk({}, finish), "[DONE]"]


def _make_handler(fake: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one fake."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle(self) -> None:
            # The SDK drops idle keep-alive connections when its client is collected: not an error worth printing.
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                super().handle()

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            request = read_request(self)
            status, payload, headers = fake.route(request)
            if status:
                self._send(status, payload, headers)
                return
            body = request.body
            text = fake.reply_text(body)
            if fake.mode == "html":
                self._send(200, "<html><body>Open WebUI</body></html>", {}, "text/html; charset=utf-8")
            elif not body.get("stream") or fake.mode == "json":
                self._send(200, fake.completion(body, text), {})
            else:
                self._stream(fake.chunks(body, text))

        do_GET = do_POST  # noqa: N815 - /v1/models, and 404 for the rest

        def _send(self, status: int, payload: Any, headers: dict[str, str], kind: str | None = None) -> None:
            is_text = isinstance(payload, str)
            data = payload.encode() if is_text else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind or ("text/plain; charset=utf-8" if is_text else "application/json"))
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, lines: list[str]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")  # the body ends when the connection does
            self.end_headers()
            self.close_connection = True
            for line in lines:
                self.wfile.write(f"data: {line}\n\n".encode())
                self.wfile.flush()
                if fake.delta_delay:
                    time.sleep(fake.delta_delay)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
            pass

    return Handler
