"""Sitemaps through ultimate-sitemap-parser, with every download made by Ragbot's guarded fetcher.

usp brings its own `requests` client, which would skip the SSRF guard, the deadline and the size cap; here it gets
a web client that goes through the crawl's fetch function instead, so sitemaps obey the same rules as pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from itertools import islice
from urllib.parse import urlsplit

from usp.fetch_parse import SitemapFetcher
from usp.web_client.abstract_client import (
    AbstractWebClient,
    AbstractWebClientResponse,
    AbstractWebClientSuccessResponse,
    WebClientErrorResponse,
)

from ragbot.errors import RagbotError, SourceGone
from ragbot.ingestion.fetch import Fetched

_log = logging.getLogger(__name__)
MAX_SITEMAPS = 20  # sitemap files read per crawl (an index and its children); more is a generated trap
FetchFn = Callable[[str], Fetched]


class _Fetched(AbstractWebClientSuccessResponse):
    def __init__(self, page: Fetched) -> None:
        self.page = page

    def status_code(self) -> int:
        return 200

    def status_message(self) -> str:
        return "OK"

    def header(self, case_insensitive_name: str) -> str | None:
        return self.page.content_type if case_insensitive_name.lower() == "content-type" else None

    def raw_data(self) -> bytes:
        return self.page.data

    def url(self) -> str:
        return self.page.url


class _Failed(WebClientErrorResponse):
    """A sitemap that could not be fetched; never retried (the crawl goes on from links)."""


class GuardedWebClient(AbstractWebClient):
    """usp's web client over a crawl's fetch function: same host only, and a cap on how many sitemaps are read."""

    def __init__(self, fetch: FetchFn, host: str) -> None:
        self.fetch = fetch
        self.host = host
        self.fetched = 0

    def set_max_response_data_length(self, max_response_data_length: int | None) -> None:
        """The fetch function already caps sizes (RAGBOT_MAX_UPLOAD_MB)."""

    def get(self, url: str) -> AbstractWebClientResponse:
        """Fetch a sitemap through the guarded fetcher."""
        if urlsplit(url).hostname != self.host:
            return _Failed(f"{url}: on another host", retryable=False)
        if self.fetched >= MAX_SITEMAPS:
            return _Failed(f"more than {MAX_SITEMAPS} sitemaps", retryable=False)
        self.fetched += 1
        try:
            return _Fetched(self.fetch(url))
        except SourceGone:
            # usp's own wording for a 404: with quiet_404 it then logs at INFO, as a missing guess is normal.
            return _Failed(f"{HTTPStatus.NOT_FOUND} {HTTPStatus.NOT_FOUND.phrase}", retryable=False)
        except RagbotError as exc:
            return _Failed(str(exc), retryable=False)


def sitemap_urls(fetch: FetchFn, sitemap: str, host: str, *, limit: int) -> list[str]:
    """Page URLs listed by a sitemap (and the sitemaps it indexes), at most `limit`; [] when there is none."""
    client = GuardedWebClient(fetch, host)
    try:
        tree = SitemapFetcher(sitemap, 0, web_client=client, quiet_404=True,
                              recurse_callback=lambda url, level, parents: urlsplit(url).hostname == host).sitemap()
        return [page.url for page in islice(tree.all_pages(), limit)]
    except Exception as exc:  # usp raises its own and parser errors on hostile XML; links still lead on
        _log.info("sitemap %s unusable: %s", sitemap, exc)
        return []
