"""The Slack HTTP server reports a client's connection reset through logging, not a raw stderr traceback."""

from __future__ import annotations

import logging
import socket
import struct
import urllib.request

import pytest

from ragbot.adapters.slack.http_server import SlackHttpServer
from tests.fakes.slack_server import FakeSlack

SERVER_LOG = "ragbot.adapters.slack.http_server"


def test_a_connection_reset_is_logged_not_printed(make_slack, fake_slack: FakeSlack,
                                                  caplog: pytest.LogCaptureFixture,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.INFO, logger=SERVER_LOG)
    h = make_slack()
    server: SlackHttpServer = h.server
    host, port = server._server.server_address[:2]
    client = socket.create_connection((host, port), timeout=10)
    # Half a request, then a close with SO_LINGER 0: the kernel sends RST, as a client or proxy that gives up does.
    client.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"partial\": ")
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()

    record = fake_slack.wait_for(lambda: next((r for r in caplog.records if r.name == SERVER_LOG), None))
    assert record.levelno == logging.INFO and "dropped the connection" in record.getMessage()
    assert "Traceback" not in capfd.readouterr().err
    with urllib.request.urlopen(server.url + "/healthz", timeout=10) as resp:  # and the server keeps serving
        assert resp.status == 200
