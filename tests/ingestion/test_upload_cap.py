"""One upload cap, one message: the door check, the loader, and a fetched page (declared or streamed) agree."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ragbot.errors import FileTooLarge
from ragbot.ingestion.fetch import UrlFetcher
from ragbot.ingestion.intake import check_upload
from ragbot.ingestion.loaders import stream_bytes

CAP = 1024 * 1024
TAIL = "over the 1 MB limit; split it into smaller files or ask an admin to raise RAGBOT_MAX_UPLOAD_MB."


@pytest.fixture
def big_pages() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = b"<p>" + b"x" * (CAP + 10) + b"</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            if self.path == "/declared.html":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()  # /streamed.html: no length, the cap is found while reading
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_every_path_says_the_same_thing(big_pages: str) -> None:
    messages = []
    for attempt in (
        lambda: check_upload(filename="big.md", size=CAP + 200_000, max_bytes=CAP),
        lambda: stream_bytes(b"x" * (CAP + 200_000), "big.md", max_bytes=CAP),
        lambda: UrlFetcher(allow_private=True).fetch(f"{big_pages}/declared.html", CAP),
        lambda: UrlFetcher(allow_private=True).fetch(f"{big_pages}/streamed.html", CAP),
    ):
        with pytest.raises(FileTooLarge) as caught:
            attempt()
        messages.append(str(caught.value))
    assert messages[0] == messages[1] == f"big.md: 1.2 MB is {TAIL}"
    assert messages[2] == f"{big_pages}/declared.html: 1.0 MB is {TAIL}"
    assert messages[3] == f"{big_pages}/streamed.html: it is {TAIL}"
