"""The links of an HTML page, resolved against the page's URL (or its <base href>)."""

from __future__ import annotations

from html.parser import HTMLParser

from ragbot.crawl.scope import normalise

MAX_LINKS = 5000  # links read from one page; a page with more is a trap or an index too big to matter


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.hrefs: list[str] = []
        self.nofollow = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        elif tag == "meta" and values.get("name", "").lower() == "robots":
            # <meta name="robots" content="nofollow">: the page asks crawlers not to follow its links.
            self.nofollow = "nofollow" in values.get("content", "").lower()
        elif (tag == "a" and values.get("href") and len(self.hrefs) < MAX_LINKS
              and "nofollow" not in values.get("rel", "").lower()):
            self.hrefs.append(values["href"])


def page_links(html: bytes, page_url: str) -> list[str]:
    """Absolute http(s) links of a page, without fragments, in page order, each once."""
    parser = _LinkParser()
    try:
        parser.feed(html.decode("utf-8", errors="replace"))
        parser.close()
    except AssertionError:  # html.parser gives up on some malformed markup; keep what it read
        pass
    if parser.nofollow:
        return []
    base = normalise(parser.base, page_url) if parser.base else page_url
    found: dict[str, None] = {}
    for href in parser.hrefs:
        url = normalise(href, base or page_url)
        if url is not None:
            found.setdefault(url, None)
    return list(found)
