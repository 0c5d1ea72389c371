"""One wall-clock deadline per fetch: connect to the last byte, headers included, on every hop."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from ragbot.errors import IngestError, TransientError
from ragbot.ingestion.fetch import UrlFetcher

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Pad: " + b"p" * 200 + b"\r\nContent-Length: 2\r\n\r\nok"
PAUSE = 0.1  # between header bytes: the whole answer would take about 26 s


class Dripper:
    """A raw TCP server that answers any request one byte every PAUSE seconds and counts the bytes it got out."""

    def __init__(self, redirect_first: bool = False) -> None:
        self.sent = 0
        self.redirect_first = redirect_first
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            request = conn.recv(65536)
            if self.redirect_first and request.startswith(b"GET /first"):
                conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /drip\r\nContent-Length: 0\r\n\r\n")
                return
            for i in range(len(HEADERS)):
                if self.stopped.is_set():
                    return
                try:
                    conn.sendall(HEADERS[i : i + 1])
                except OSError:
                    return  # the client hung up, as it should
                self.sent += 1
                time.sleep(PAUSE)

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def dripper() -> Iterator[Dripper]:
    server = Dripper(redirect_first=True)
    yield server
    server.close()


def _fetcher() -> UrlFetcher:
    return UrlFetcher(timeout=1.0, private_hosts={"127.0.0.1"})


def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline(dripper: Dripper) -> None:
    # httpx's timeout counts each read apart: a byte every 0.1 s never trips a 1 s read timeout, and the headers
    # would take ~26 s. With one deadline the client hangs up after about 1 s, some 10 bytes into the headers.
    with pytest.raises(IngestError, match="longer than the 1 s allowed"):
        _fetcher()(f"http://127.0.0.1:{dripper.port}/drip", 10_000)
    assert dripper.sent < len(HEADERS) // 2, f"the server sent {dripper.sent} of {len(HEADERS)} bytes"


def test_the_deadline_spans_redirect_hops(dripper: Dripper) -> None:
    with pytest.raises(IngestError, match="longer than"):
        _fetcher()(f"http://127.0.0.1:{dripper.port}/first", 10_000)
    assert dripper.sent < len(HEADERS) // 2


def test_a_closed_port_is_a_transient_error_not_a_hang() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransientError, match="could not connect"):
        _fetcher()(f"http://127.0.0.1:{port}/x", 10_000)
