"""URL ingestion (SSRF): public http(s) addresses only, every redirect hop checked, connections pinned, caps."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from ragbot.domain import Scope
from ragbot.errors import FileTooLarge, IngestError, TransientError
from ragbot.ingestion import intake
from ragbot.ingestion.fetch import BlockedUrl, UrlFetcher, check_url, system_resolve
from ragbot.ingestion.pipeline import ingest_document

SECRET = "TOP-SECRET-INTERNAL-7731"
PUBLIC_IP = "93.184.216.34"


class Internal:
    """A local server standing for an internal service that holds a secret; it records every path asked for."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str]] = []  # (path, Host header)
        self.redirect_to = ""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                owner.hits.append((self.path, self.headers.get("Host", "")))
                if self.path == "/start":
                    self._reply(302, b"", {"Location": owner.redirect_to})
                elif self.path == "/loop":
                    self._reply(302, b"", {"Location": "/loop"})
                elif self.path == "/secret":
                    self._reply(200, SECRET.encode(), {"Content-Type": "text/plain"})
                elif self.path == "/page":
                    self._reply(200, b"<h1>Wiki</h1><p>Public page text.</p>", {"Content-Type": "text/html"})
                elif self.path == "/big":
                    self._reply(200, b"x" * 5000, {"Content-Type": "text/plain"})
                elif self.path == "/chunked":
                    self._chunked(b"y" * 1000, 20, 0.0)
                elif self.path == "/slow":
                    self._chunked(b"z", 60, 0.1)
                else:
                    self._reply(404, b"no", {})

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _chunked(self, piece: bytes, count: int, pause: float) -> None:
                self.protocol_version = "HTTP/1.1"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for _ in range(count):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.flush()
                        time.sleep(pause)
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass  # the client gave up, as it should

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def secret_hits(self) -> int:
        return sum(path == "/secret" for path, _ in self.hits)


@pytest.fixture
def internal() -> Iterator[Internal]:
    server = Internal()
    yield server
    server.server.shutdown()
    server.server.server_close()


def wiki_resolver(host: str, port: int) -> list[str]:
    """DNS where wiki.test is the (allow-listed) intranet wiki on this machine; other names resolve normally."""
    return ["127.0.0.1"] if host == "wiki.test" else system_resolve(host, port)


def wiki_fetcher(**kwargs: object) -> UrlFetcher:
    return UrlFetcher(private_hosts={"wiki.test"}, resolve=wiki_resolver, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/", "http://127.1/", "http://0x7f000001/", "http://2130706433/", "http://017700000001/",
        "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://localhost/", "http://LOCALHOST./", "http://[::1]/",
        "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[0:0:0:0:0:ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://[fd00:ec2::254]/",
        "http://10.0.0.8/", "http://172.16.3.4/", "http://192.168.1.1/", "http://100.64.0.1/", "http://0.0.0.0/",
        "http://0/", "http://[::]/", "http://224.0.0.1/", "http://[ff02::1]/", "http://255.255.255.255/",
        "http://[2002:7f00:1::]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[fec0::1]/",
    ],
)
def test_internal_addresses_are_refused_in_every_spelling(url: str) -> None:
    with pytest.raises(BlockedUrl):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1:6379/_INFO", "javascript:alert(1)",
     "dict://localhost:11211/", "http://", "http://user:pw@example.com/", "http://127.0.0.1\\@example.com/"],
)
def test_only_plain_http_and_https_links(url: str) -> None:
    with pytest.raises(BlockedUrl):
        check_url(url, resolve=lambda host, port: [PUBLIC_IP])


def test_a_name_with_any_internal_address_is_refused() -> None:
    with pytest.raises(BlockedUrl, match="10.1.2.3"):
        check_url("https://mixed.test/", resolve=lambda host, port: [PUBLIC_IP, "10.1.2.3"])
    assert str(check_url("https://public.test/", resolve=lambda h, p: [PUBLIC_IP]).address) == PUBLIC_IP


def test_allowing_private_hosts_never_allows_metadata_or_unspecified() -> None:
    check_url("http://10.0.0.8/", allow_private=True)
    check_url("http://127.0.0.1/", allow_private=True)
    for url in ("http://169.254.169.254/", "http://[::ffff:169.254.169.254]/", "http://0.0.0.0/", "http://[fe80::1]/"):
        with pytest.raises(BlockedUrl):
            check_url(url, allow_private=True)


def test_default_fetcher_refuses_a_local_server(internal: Internal) -> None:
    with pytest.raises(BlockedUrl):
        UrlFetcher()(f"http://127.0.0.1:{internal.port}/secret", 10_000)
    assert internal.hits == []


def test_allow_listed_intranet_host_is_fetched_through_the_pinned_address(internal: Internal) -> None:
    data, name = wiki_fetcher()(f"http://wiki.test:{internal.port}/page", 10_000)
    assert b"Public page text" in data and name == "page.html"
    # The connection went to the checked address while the server still saw the name it was asked for.
    assert internal.hits == [("/page", f"wiki.test:{internal.port}")]


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/secret", "http://localhost:{port}/secret", "http://[::ffff:127.0.0.1]:{port}/secret",
        "http://0x7f000001:{port}/secret", "http://2130706433:{port}/secret", "http://017700000001:{port}/secret",
        "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "gopher://127.0.0.1:{port}/secret",
    ],
)
def test_redirect_from_allowed_host_to_internal_address_is_refused(internal: Internal, target: str) -> None:
    internal.redirect_to = target.format(port=internal.port)
    with pytest.raises(BlockedUrl):
        wiki_fetcher()(f"http://wiki.test:{internal.port}/start", 10_000)
    assert internal.secret_hits() == 0
    assert [path for path, _ in internal.hits] == ["/start"]


def test_redirect_loops_stop(internal: Internal) -> None:
    # A hop back to a URL already visited is a loop at once, without spending the redirect budget.
    with pytest.raises(IngestError, match="loop"):
        wiki_fetcher(max_redirects=3)(f"http://wiki.test:{internal.port}/loop", 10_000)
    assert len(internal.hits) == 1


def test_dns_rebinding_cannot_swap_the_checked_address() -> None:
    answers = iter([[PUBLIC_IP], ["127.0.0.1"], ["127.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, stream=httpx.ByteStream(b"public text"), headers={"Content-Type": "text/plain"})

    fetcher = UrlFetcher(resolve=rebinding, transport=httpx.MockTransport(handler))
    data, _ = fetcher("https://rebind.test/doc", 10_000)
    assert data == b"public text" and calls == ["rebind.test"]  # one lookup, and the connection uses its answer
    (request,) = seen
    assert request.url.host == PUBLIC_IP and request.headers["host"] == "rebind.test"
    assert request.extensions["sni_hostname"] == "rebind.test"  # TLS still verifies the certificate for the name


def test_each_redirect_hop_is_resolved_and_checked_again() -> None:
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return {"a.test": [PUBLIC_IP], "b.test": ["10.9.9.9"]}[host]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "https://b.test/next"})

    with pytest.raises(BlockedUrl, match="10.9.9.9"):
        UrlFetcher(resolve=resolver, transport=httpx.MockTransport(handler))("https://a.test/", 10_000)
    assert lookups == ["a.test", "b.test"]


def test_size_cap_declared_and_streamed(internal: Internal) -> None:
    with pytest.raises(FileTooLarge):
        wiki_fetcher()(f"http://wiki.test:{internal.port}/big", 1000)
    with pytest.raises(FileTooLarge):
        wiki_fetcher()(f"http://wiki.test:{internal.port}/chunked", 5000)


def test_time_cap_on_a_slow_drip(internal: Internal) -> None:
    started = time.monotonic()
    with pytest.raises((IngestError, TransientError)):
        wiki_fetcher(timeout=1.0)(f"http://wiki.test:{internal.port}/slow", 10_000)
    assert time.monotonic() - started < 3.0


def test_cli_path_refuses_internal_urls_at_fetch_time(svc, internal: Internal) -> None:  # type: ignore[no-untyped-def]
    # `ragbot ingest URL` registers the URL without a check; the worker's fetch must refuse it.
    accepted = intake.add_url(svc.engine, scope=Scope("local"), url=f"http://localhost:{internal.port}/secret")
    result = ingest_document(svc.ingest, accepted.document_id)
    assert result.status == "failed" and "loopback" in result.message
    assert internal.hits == []


def test_chat_path_refuses_internal_urls_before_queueing(svc) -> None:  # type: ignore[no-untyped-def]

    chat = svc.chat_service("slack")
    with pytest.raises(BlockedUrl):
        chat.add_url(scope=Scope("slack:T1", "C1"), url="http://169.254.169.254/latest/meta-data/", uploader="U1")
    with svc.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM documents").scalar() == 0
