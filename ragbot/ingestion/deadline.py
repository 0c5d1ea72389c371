"""An HTTP transport with one wall-clock deadline: connect, TLS, request, headers and body all share it."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from functools import cache
from typing import Any

import httpcore
import httpx


def _left(deadline: float, timeout: float | None, error: type[Exception]) -> float:
    """The per-call timeout cut to what remains of the deadline; raises error once nothing remains."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write waits at most until the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read, waiting no later than the deadline (a server dripping one byte at a time included)."""
        return self._inner.read(max_bytes, _left(self._deadline, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write, waiting no later than the deadline."""
        self._inner.write(buffer, _left(self._deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        """Close the socket."""
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        """Upgrade to TLS within the deadline; the TLS stream keeps it."""
        upgraded = self._inner.start_tls(ssl_context, server_hostname,
                                         _left(self._deadline, timeout, httpcore.ConnectTimeout))
        return DeadlineStream(upgraded, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        """Pass-through (httpcore asks for the SSL object and the socket)."""
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """Plain sockets whose connect and every later read or write stop at one deadline."""

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        """Connect within the deadline."""
        stream = self._sockets.connect_tcp(host, port, _left(self._deadline, timeout, httpcore.ConnectTimeout),
                                           local_address, socket_options)
        return DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        """Unix sockets are never used for fetching."""
        raise httpcore.ConnectError("unix sockets are not fetched")


def deadline_transport(deadline: float) -> httpx.BaseTransport:
    """A direct (no proxy, no pooling across requests) transport whose sockets all stop at deadline.

    httpx's own timeouts apply to each socket operation, so a server sending a byte at a time never trips them;
    the backend below shortens every operation to what is left of the deadline instead.
    """
    context = _ssl_context()
    transport = httpx.HTTPTransport(verify=context, trust_env=False, limits=httpx.Limits(max_keepalive_connections=0))
    # httpx offers no way to choose the network backend; its pool is replaced by an identical one that has ours.
    transport._pool = httpcore.ConnectionPool(  # noqa: SLF001
        ssl_context=context, max_keepalive_connections=0, network_backend=DeadlineBackend(deadline),
    )
    return transport


@cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA store took 50 ms, twice per fetch and crawled page."""
    return httpx.create_ssl_context(trust_env=False)
