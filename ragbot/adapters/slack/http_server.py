"""A small threaded HTTP server for HTTP mode: POST /slack/events to Bolt, GET /healthz and /metrics."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from slack_bolt import App, BoltRequest

from ragbot.observability.metrics import render_metrics

_log = logging.getLogger(__name__)
MAX_BODY = 1_048_576  # Slack payloads are a few KB; anything bigger is not from Slack
Health = Callable[[], tuple[bool, str]]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of events must not be refused at the socket

    def handle_error(self, request: object, client_address: object) -> None:
        """Log through logging; socketserver's default prints a raw traceback to stderr, past the JSON logs."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):  # resets and broken pipes: the client (or a proxy) went away
            _log.info("client %s dropped the connection: %s", client_address, exc)
        else:
            _log.error("error serving a request from %s", client_address, exc_info=exc)


class SlackHttpServer:
    """Serves a Bolt app (or only /healthz when app is None, as in Socket Mode) on host:port."""

    def __init__(self, app: App | None, *, host: str = "127.0.0.1", port: int = 3000, path: str = "/slack/events",
                 health: Health | None = None) -> None:
        self.app = app
        self.path = path
        self.health = health or (lambda: (True, "ok"))
        self._server = _Server((host, port), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """http://host:port of the listening socket."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SlackHttpServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="ragbot-slack-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                _log.debug("%s " + format, self.address_string(), *args)

            def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
                data = body.encode()
                self.send_response(status)
                for name, value in (headers or {"Content-Type": "text/plain; charset=utf-8"}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                route = self.path.split("?")[0]
                if route == "/metrics":
                    body, content_type = render_metrics()
                    self._send(200, body.decode(), {"Content-Type": content_type})
                    return
                if route != "/healthz":
                    self._send(404, "not found")
                    return
                ok, detail = outer.health()
                self._send(200 if ok else 503, json.dumps({"ok": ok, "detail": detail}),
                           {"Content-Type": "application/json"})

            def do_POST(self) -> None:  # noqa: N802
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.close_connection = True  # the unread body would poison a kept-alive connection
                    self._send(413, "too large")
                    return
                body = self.rfile.read(length).decode("utf-8", errors="replace")
                if outer.app is None or path != outer.path:
                    self._send(404, "not found")
                    return
                headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in self.headers.items()}
                resp = outer.app.dispatch(BoltRequest(body=body, query=query, headers=headers))
                out = {k: ", ".join(v) for k, v in resp.headers.items() if k.lower() != "content-length"}
                self._send(resp.status, resp.body or "", out)

        return Handler
