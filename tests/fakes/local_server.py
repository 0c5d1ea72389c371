"""Scaffolding shared by the fake vendor APIs: a threaded HTTP server on 127.0.0.1 that records requests."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class RecordedRequest:
    """One request as a fake saw it (header names lowercased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


def read_request(handler: BaseHTTPRequestHandler) -> RecordedRequest:
    """The handler's request with its body parsed as JSON when it is JSON."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    return RecordedRequest(handler.command, handler.path, {k.lower(): v for k, v in handler.headers.items()}, body)


class LocalServer:
    """Start/stop and context-manager plumbing; subclasses provide handler_class()."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this fake."""
        raise NotImplementedError

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server is not None, "start() the server first"
        return int(self._server.server_address[1])

    def start(self) -> Self:
        """Listen on a free port in a background thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        self._server.daemon_threads = True
        # A short poll interval keeps stop() quick.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
