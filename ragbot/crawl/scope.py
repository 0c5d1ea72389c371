"""Which URLs belong to a crawl: same host, under the root's path prefix, and not a generated link trap."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from posixpath import splitext
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from ragbot.errors import IngestError

# Past these a link is almost certainly generated (calendars, session ids, paths that repeat themselves): it is
# skipped and counted as a link trap rather than followed until the page budget runs out.
MAX_URL_LENGTH = 400
MAX_SEGMENTS = 16
MAX_REPEATS = 3  # the same path segment this many times: /a/b/a/b/a/...
MAX_QUERY_VARIANTS = 10  # distinct query strings of one path: ?day=1, ?day=2, ...
# Types a crawl never downloads: they are counted as skipped from their URL alone.
SKIPPED_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".css", ".js", ".mjs", ".map", ".json", ".xml",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".tar", ".whl", ".exe", ".dmg", ".iso", ".mp3", ".mp4", ".webm",
    ".woff", ".woff2", ".ttf", ".eot", ".rss", ".atom",
})


class LeftSite(IngestError):
    """A redirect leads outside the crawl's host or path prefix."""


def normalise(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL without its fragment, host lower-cased; None for mailto:, javascript: and the like."""
    joined = urljoin(base, url.strip()) if base else url.strip()
    joined, _ = urldefrag(joined)
    parts = urlsplit(joined)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    netloc = parts.netloc.lower()
    for scheme, port in (("http", ":80"), ("https", ":443")):
        if parts.scheme == scheme and netloc.endswith(port):
            netloc = netloc[: -len(port)]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def prefix_of(root: str) -> str:
    """The path prefix a crawl stays under: the root's folder (`/docs/guide/intro.html` -> `/docs/guide/`).

    A last segment without a dot names a folder (`/docs/3` -> `/docs/3/`), as documentation roots usually do.
    """
    normal = normalise(root)
    if normal is None:
        raise IngestError(f"{root}: only http and https links can be crawled.")
    parts = urlsplit(normal)
    path = parts.path
    if not path.endswith("/"):
        head, _, last = path.rpartition("/")
        path = f"{path}/" if "." not in last else f"{head}/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def in_prefix(url: str, prefix: str) -> bool:
    """Whether a normalised URL lies under the prefix (the folder itself without its slash counts)."""
    return url.startswith(prefix) or url.split("?", 1)[0] == prefix.rstrip("/")


def skipped_by_suffix(url: str) -> bool:
    """Whether the URL names a file type a crawl never downloads (images, archives, scripts, feeds)."""
    return splitext(urlsplit(url).path)[1].lower() in SKIPPED_SUFFIXES


@dataclass
class TrapGuard:
    """Spots generated links: over-long URLs, deep or self-repeating paths, endless query variants of one path."""

    variants: Counter[str] = field(default_factory=Counter)

    def looks_generated(self, url: str) -> bool:
        """True for a link a crawl should not follow; counts query variants as a side effect."""
        if len(url) > MAX_URL_LENGTH:
            return True
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) > MAX_SEGMENTS:
            return True
        if segments and Counter(segments).most_common(1)[0][1] >= MAX_REPEATS:
            return True
        if parts.query:
            self.variants[parts.path] += 1
            if self.variants[parts.path] > MAX_QUERY_VARIANTS:
                return True
        return False
