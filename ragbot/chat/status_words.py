"""The words of status messages, the same on every platform; the markup is each adapter's (its `bold`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ragbot.chat.status import SiteCounts, StaleNotice, Status

Bold = Callable[[str], str]  # a plain title in the platform's bold markup, escaped for it


def plain(title: str) -> str:
    """No markup at all: a status line for a terminal or a log."""
    return title


@dataclass(frozen=True)
class Markup:
    """Status data in one platform's markup: the shared words around a title bolded (and escaped) its way."""

    bold: Bold

    def status(self, status: Status) -> str:
        """A status message's text."""
        return status_line(status, self.bold)

    def stale(self, notice: StaleNotice) -> str:
        """The stale-source direct message's text."""
        return stale_line(notice, self.bold)


def status_line(status: Status, bold: Bold) -> str:
    """The one-line status a user sees: queued → processing % → ready with chunks, or failed with the reason.

    The title stays what the person submitted for the whole upload; indexed_as names the title the document got,
    when that differs, so the answer's citations are recognisable.
    """
    if status.kind == "site":
        return _site_line(status, bold)
    title, message = bold(status.title), status.message
    if status.state == "downloading":
        return f"⬇️ {title}: downloading…"
    if status.state == "queued":
        return f"⏳ {title}: queued for indexing. {message}".strip()
    if status.state == "waiting":
        return f"⏳ {title}: still queued: {message}".strip()
    if status.state == "processing":
        return f"⚙️ {title}: processing {status.percent}%… {message}".strip()
    if status.state == "ready":
        indexed_as = status.indexed_as
        known_as = f" as “{indexed_as}”" if indexed_as and indexed_as != status.title else ""
        return f"✅ {title}: ready{known_as} ({message}). Ask away!"
    return f"❌ {title}: failed. {message}"


def _site_line(status: Status, bold: Bold) -> str:
    """A crawl's one line: its phase, then the counts; message is the crawl's note."""
    c = status.counts or SiteCounts()
    numbers = (f"{c.queued} queued · {c.fetched} fetched · {c.ready} ready · {c.failed} failed · "
               f"{c.skipped} skipped")
    name = bold(status.title)
    if status.crawling or status.state == "queued":
        head = "🕸️ " + name + (": crawling…" if status.crawling else ": crawl queued.")
        return f"{head} {numbers}"
    if status.state == "failed":
        return f"❌ {name}: the crawl failed. {status.message} {numbers}".strip()
    icon, tail = ("⚙️", "indexing the pages…") if status.state == "processing" else ("✅", "done. Ask away!")
    note = f" The crawl {status.message}." if status.message else ""
    return f"{icon} {name}: {tail} {numbers}.{note}"


def stale_line(notice: StaleNotice, bold: Bold) -> str:
    """The direct message to the owner of a source that stopped answering."""
    now = "Ragbot no longer cites it" if notice.hidden else "Ragbot still cites it, marked as unreachable"
    return (f"⚠️ Your document {bold(notice.title)} ({notice.source}) could not be fetched on its last re-sync: "
            f"{notice.reason} {now} until a re-sync succeeds. Fix the page or its address, or ask an admin to "
            "delete the document.")
