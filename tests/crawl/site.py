"""A small documentation site served on loopback, whose pages a test can change between crawls."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.ingestion.ingestion_factories import sample

PAGE = "<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p>{links}</body></html>"


def page(title: str, body: str, *links: str) -> bytes:
    """An HTML page with a heading, a paragraph and links."""
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
    return PAGE.format(title=title, body=body, links=anchors).encode()


class DocSite:
    """Routes path -> (status, headers, body); `hits` records every path asked for, in order."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        self.times: list[float] = []  # time.monotonic() of each request
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                owner.hits.append(self.path)
                owner.times.append(time.monotonic())
                status, headers, body = owner.respond(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def respond(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """The route for a path; the calendar generates a page for any day, linking to the next (a link trap)."""
        parts = urlsplit(path)
        if parts.path == "/docs/calendar":
            day = int(parse_qs(parts.query).get("day", ["1"])[0])
            return 200, {"Content-Type": "text/html"}, page(f"Day {day}", "Nothing happens.",
                                                            f"/docs/calendar?day={day + 1}")
        return self.routes.get(path, (404, {"Content-Type": "text/plain"}, b"not found"))

    def html(self, path: str, body: bytes) -> None:
        """Serve an HTML page."""
        self.routes[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)

    def redirect(self, path: str, to: str) -> None:
        """Answer 302 to another location."""
        self.routes[path] = (302, {"Location": to}, b"")

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def handbook_site(site: DocSite) -> DocSite:
    """The test site: a sitemap, a robots.txt that disallows one path, a PDF, a redirect loop and a link trap."""
    base = site.base
    site.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"},
                                  f"User-agent: *\nDisallow: /docs/private/\nSitemap: {base}/sitemap.xml\n".encode())
    listed = ["/docs/", "/docs/install.html", "/docs/orphan.html", "/docs/private/salaries.html", "/blog/news.html"]
    urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in listed)
    site.routes["/sitemap.xml"] = (200, {"Content-Type": "application/xml"},
                                   f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                                   f'"http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode())
    site.html("/docs/", page("Handbook", "Welcome to the handbook.", "install.html", "guide.html",
                             "private/salaries.html", "manual.pdf", "offices.csv", "logo.png", "loop-a",
                             "away", "calendar?day=1", "mailto:hr@example.com", "#top", "/blog/news.html"))
    site.html("/docs/install.html", page("Installing", "Run the installer and reboot the kettle twice.", "guide.html"))
    site.html("/docs/guide.html", page("Guide", "Vacation requests go through the wombat portal.", "install.html"))
    site.html("/docs/orphan.html", page("Orphan", "Only the sitemap knows the zeppelin parking rules."))
    site.html("/docs/private/salaries.html", page("Salaries", "Secret salary table."))
    site.html("/blog/news.html", page("News", "Blog post outside the docs."))
    site.routes["/docs/manual.pdf"] = (200, {"Content-Type": "application/pdf"}, sample("security-policy.pdf"))
    site.routes["/docs/offices.csv"] = (200, {"Content-Type": "text/csv"}, b"city,desk\nParis,12\n")
    site.redirect("/docs/loop-a", "/docs/loop-b")
    site.redirect("/docs/loop-b", "/docs/loop-a")
    site.redirect("/docs/away", "/blog/news.html")
    return site
