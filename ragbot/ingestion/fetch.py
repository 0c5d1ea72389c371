"""Safe URL fetching: public addresses only, every redirect checked, connections pinned, size and time capped."""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import httpx

from ragbot.errors import FileTooLarge, IngestError, SourceGone, TransientError
from ragbot.ingestion.deadline import deadline_transport

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]  # (host, port) -> address strings

_CONTENT_SUFFIX = {
    "text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt", "text/markdown": ".md",
    "text/csv": ".csv", "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}
_REDIRECTS = {301, 302, 303, 307, 308}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# One inet_aton part: 0x-hex, 0-octal or decimal. "0x7f000001", "2130706433" and "0177.1" all mean 127.0.0.1.
_AT_PART = re.compile(r"0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*", re.I)


class BlockedUrl(IngestError):
    """The URL points somewhere Ragbot may not fetch from."""


class RedirectLoop(IngestError):
    """The redirects of a URL lead back to one already visited."""


@dataclass(frozen=True)
class Fetched:
    """A downloaded URL: its bytes, a filename naming its type, where the redirects ended and the content type."""

    data: bytes
    filename: str
    url: str
    content_type: str


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the vetted address) and the name to present (Host header and TLS SNI)."""

    url: httpx.URL
    hostname: str
    address: Address


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for a host."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def ip_literal(host: str) -> Address | None:
    """The address a host spells directly: IPv6, dotted quad, or inet_aton's decimal, hex and octal forms."""
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_AT_PART.fullmatch(p) for p in parts):
        return None
    values = [_aton_part(p) for p in parts]
    # a.b.c.d / a.b.c (c: 16 bits) / a.b (b: 24 bits) / a (32 bits), as inet_aton reads them.
    last_bits = 8 * (5 - len(values))
    if any(v > 255 for v in values[:-1]) or values[-1] >= 1 << last_bits:
        return None
    number = values[-1]
    for i, v in enumerate(values[:-1]):
        number |= v << (24 - 8 * i)
    return ipaddress.IPv4Address(number)


def _aton_part(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    return int(part, 8) if part[0] == "0" else int(part)


def _embedded_v4(ip: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is where packets really go."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: Address, *, private_ok: bool = False) -> str | None:
    """Why an address may not be fetched from, or None; private_ok allows private and loopback, never the rest."""
    inner = _embedded_v4(ip)
    if inner is not None:
        return refusal(inner, private_ok=private_ok)
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_multicast:
        return "a multicast address"
    if private_ok:
        return None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return "an internal address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "an internal address"
    return None


def check_url(
    url: str,
    *,
    allow_private: bool = False,
    resolve: Resolver | None = None,
    private_hosts: Collection[str] = (),
) -> Target:
    """Refuse non-http(s) URLs and hosts that resolve to internal addresses; return where to connect."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise BlockedUrl(f"{url}: this is not a valid link.") from exc
    if parsed.scheme not in ("http", "https"):
        raise BlockedUrl(f"{url}: only http and https links can be added.")
    if not parsed.host:
        raise BlockedUrl(f"{url}: the link has no host name.")
    if parsed.userinfo:
        raise BlockedUrl(f"{url}: links with a user name or password are not fetched; remove them from the link.")
    hostname = parsed.raw_host.decode("ascii").lower()
    private_ok = allow_private or hostname.rstrip(".") in {h.lower() for h in private_hosts}
    # RFC 6761: localhost and its subdomains are loopback whatever a resolver says.
    loopback = hostname.rstrip(".") == "localhost" or hostname.rstrip(".").endswith(".localhost")
    literal = ipaddress.IPv4Address("127.0.0.1") if loopback else ip_literal(hostname)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        try:
            found = (resolve or system_resolve)(hostname, parsed.port or (443 if parsed.scheme == "https" else 80))
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        except (OSError, ValueError) as exc:
            raise IngestError(f"{url}: the host name could not be resolved ({exc}); check the link.") from exc
        if not addresses:
            raise IngestError(f"{url}: the host name has no address; check the link.")
    # Every address must pass: a name that resolves to a public and a private address is refused.
    for ip in addresses:
        reason = refusal(ip, private_ok=private_ok)
        if reason is not None:
            raise BlockedUrl(f"{url}: the link points to {reason} ({ip}), which Ragbot does not fetch.")
    return Target(parsed, hostname, addresses[0])


class UrlFetcher:
    """Callable(url, max_bytes) -> (bytes, filename) used by the pipeline for URL sources."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        allow_private: bool = False,
        max_redirects: int = 5,
        private_hosts: Collection[str] = (),
        resolve: Resolver | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self.max_redirects = max_redirects
        self.private_hosts = frozenset(h.lower() for h in private_hosts)  # intranet names allowed to be private
        self.resolve = resolve
        self.transport = transport  # tests inject one; None is a plain direct connection

    def __call__(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        """Download the URL, following redirects by hand so that every hop is checked and pinned."""
        fetched = self.fetch(url, max_bytes)
        return fetched.data, fetched.filename

    def fetch(self, url: str, max_bytes: int, *, follow: Callable[[str], None] | None = None) -> Fetched:
        """Download the URL and say where it ended up; `follow` sees each redirect target and raises to refuse it."""
        # One wall-clock deadline from the first connect to the last byte, across every hop: httpx's own timeouts
        # count each socket read apart, so a server dripping its headers could otherwise hold a worker for hours.
        deadline = time.monotonic() + self.timeout
        seen = {url}
        for _ in range(self.max_redirects + 1):
            target = check_url(url, allow_private=self.allow_private, resolve=self.resolve,
                               private_hosts=self.private_hosts)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise IngestError(self._too_slow(url))
            try:
                with self._client(remaining, deadline) as client, client.stream(**_pinned(target)) as resp:
                    location = resp.headers.get("location")
                    if resp.status_code in _REDIRECTS and location:
                        url = str(target.url.join(location))
                        if url in seen:
                            raise RedirectLoop(f"{url}: the redirects go round in a loop; check the link.")
                        seen.add(url)
                        if follow is not None:
                            follow(url)
                        continue
                    data = self._read(url, resp, max_bytes, deadline)
                    kind = resp.headers.get("content-type", "")
                    return Fetched(data, _filename(url, kind), url, kind.split(";", 1)[0].strip().lower())
            except httpx.TimeoutException as exc:
                if time.monotonic() >= deadline:
                    raise IngestError(self._too_slow(url)) from exc
                raise TransientError(f"{url}: the server did not answer in time.") from exc
            except httpx.TransportError as exc:
                raise TransientError(f"{url}: could not connect ({exc}).") from exc
        raise IngestError(f"{url}: too many redirects.")

    def _too_slow(self, url: str) -> str:
        return (f"{url}: the download took longer than the {self.timeout:g} s allowed "
                "(RAGBOT_FETCH_TIMEOUT_SECONDS); the server is too slow.")

    def _client(self, remaining: float, deadline: float) -> httpx.Client:
        # No pooling: a kept-alive TLS connection to one name must never carry a request for another.
        # No proxy from the environment: a proxy would resolve the name again, undoing the pin.
        return httpx.Client(
            timeout=min(self.timeout, remaining), follow_redirects=False, trust_env=False,
            transport=self.transport or deadline_transport(deadline),
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def _read(self, url: str, resp: httpx.Response, max_bytes: int, deadline: float) -> bytes:
        if resp.status_code == 429 or resp.status_code >= 500:
            raise TransientError(f"{url}: the server answered {resp.status_code}; will retry.")
        if resp.status_code in (404, 410):
            raise SourceGone(f"{url}: the server answered {resp.status_code}; the page is gone.")
        if resp.status_code >= 400:
            raise IngestError(f"{url}: the server answered {resp.status_code}; check the link is public.")
        declared = int(resp.headers.get("content-length") or 0)
        if declared > max_bytes:
            raise FileTooLarge.upload(url, size=declared, max_bytes=max_bytes)
        body = bytearray()
        for piece in resp.iter_raw():
            body.extend(piece)
            if len(body) > max_bytes:
                raise FileTooLarge.upload(url, max_bytes=max_bytes)
            if time.monotonic() > deadline:
                raise IngestError(self._too_slow(url))
        return bytes(body)


def _pinned(target: Target) -> dict:  # type: ignore[type-arg]
    """Request arguments that connect to the checked address while naming the host (no second DNS lookup)."""
    netloc = target.url.netloc.decode("ascii")
    return {
        "method": "GET",
        "url": target.url.copy_with(host=str(target.address)),
        "headers": {"Host": netloc, "User-Agent": "Ragbot/0.1", "Accept-Encoding": "identity"},
        # httpcore verifies the certificate against this name, so TLS still proves who answered.
        "extensions": {"sni_hostname": target.hostname},
    }


def _filename(url: str, content_type: str) -> str:
    parts = httpx.URL(url)
    path = PurePosixPath(parts.path)
    kind = content_type.split(";", 1)[0].strip().lower()
    suffix = _CONTENT_SUFFIX.get(kind) or path.suffix.lower() or ".html"
    stem = path.stem or parts.host or "page"
    return f"{stem}{suffix}"
