"""Fetching URL sources safely: public addresses only, each redirect checked, size and time capped."""

from __future__ import annotations

import ipaddress
import socket
import time
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import httpx

from bot.errors import FileTooLarge, IngestError, TransientError

_CONTENT_SUFFIX = {
    "text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt", "text/markdown": ".md",
    "text/csv": ".csv", "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


class BlockedUrl(IngestError):
    """The URL points somewhere Ragbot may not fetch from."""


def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified
            or ip.is_reserved or not ip.is_global)


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse non-http(s) URLs and hosts that resolve to internal addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedUrl(f"{url}: only http and https links can be added.")
    if not parts.hostname:
        raise BlockedUrl(f"{url}: the link has no host name.")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise IngestError(f"{url}: the host name could not be resolved ({exc.strerror}); check the link.") from exc
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if _blocked(ip):
            raise BlockedUrl(f"{url}: the link points to an internal address ({ip}), which Ragbot does not fetch.")


class UrlFetcher:
    """Callable(url, max_bytes) -> (bytes, filename) used by the pipeline for URL sources."""

    def __init__(self, *, timeout: float = 20.0, allow_private: bool = False, max_redirects: int = 5) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self.max_redirects = max_redirects

    def __call__(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        """Download the URL, following redirects by hand so that every hop is checked."""
        deadline = time.monotonic() + self.timeout
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            for _ in range(self.max_redirects + 1):
                check_url(url, allow_private=self.allow_private)
                try:
                    with client.stream("GET", url, headers={"User-Agent": "Ragbot/0.1"}) as resp:
                        if resp.is_redirect:
                            url = urljoin(url, resp.headers.get("location", ""))
                            continue
                        return self._read(url, resp, max_bytes, deadline)
                except httpx.TimeoutException as exc:
                    raise TransientError(f"{url}: the server did not answer in time.") from exc
                except httpx.TransportError as exc:
                    raise TransientError(f"{url}: could not connect ({exc}).") from exc
        raise IngestError(f"{url}: too many redirects.")

    def _read(self, url: str, resp: httpx.Response, max_bytes: int, deadline: float) -> tuple[bytes, str]:
        if resp.status_code == 429 or resp.status_code >= 500:
            raise TransientError(f"{url}: the server answered {resp.status_code}; will retry.")
        if resp.status_code >= 400:
            raise IngestError(f"{url}: the server answered {resp.status_code}; check the link is public.")
        declared = int(resp.headers.get("content-length") or 0)
        if declared > max_bytes:
            raise FileTooLarge(f"{url}: {declared / 1048576:.1f} MB is over the {max_bytes / 1048576:.0f} MB limit.")
        body = bytearray()
        for piece in resp.iter_bytes():
            body.extend(piece)
            if len(body) > max_bytes:
                raise FileTooLarge(f"{url}: the page is over the {max_bytes / 1048576:.0f} MB limit.")
            if time.monotonic() > deadline:
                raise IngestError(f"{url}: the download took longer than allowed.")
        return bytes(body), _filename(url, resp.headers.get("content-type", ""))


def _filename(url: str, content_type: str) -> str:
    path = PurePosixPath(urlsplit(url).path)
    kind = content_type.split(";", 1)[0].strip().lower()
    suffix = _CONTENT_SUFFIX.get(kind) or path.suffix.lower() or ".html"
    stem = path.stem or urlsplit(url).hostname or "page"
    return f"{stem}{suffix}"
