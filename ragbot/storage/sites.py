"""Crawled sites: the `sites` rows and the page documents grouped under each."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from ragbot.storage.repository import ensure_space


@dataclass(frozen=True)
class SiteInfo:
    """A crawled site with how its last crawl went and its pages counted by state."""

    id: int
    space: str
    channel: str | None
    root_url: str
    prefix: str
    max_pages: int
    uploader: str | None
    uploader_name: str | None
    added_via: str
    added_at: datetime | None
    chat_ref: dict[str, Any] | None
    state: str  # queued | crawling | done | failed
    counts: dict[str, Any]
    note: str | None
    crawled_at: datetime | None
    pages: dict[str, int] = field(default_factory=dict)  # document status -> count

    @property
    def page_total(self) -> int:
        """Pages held as documents."""
        return sum(self.pages.values())


_SITE_SQL = (
    "SELECT s.*, coalesce((SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM documents"
    " WHERE site_id = s.id GROUP BY status) p), '{}'::jsonb) AS page_states FROM sites s"
)


def _info(row: Any) -> SiteInfo:
    return SiteInfo(
        id=row.id, space=row.space_id, channel=row.channel, root_url=row.root_url, prefix=row.prefix,
        max_pages=row.max_pages, uploader=row.uploader, uploader_name=row.uploader_name, added_via=row.added_via,
        added_at=row.added_at, chat_ref=row.chat_ref, state=row.state, counts=dict(row.counts or {}), note=row.note,
        crawled_at=row.crawled_at, pages={k: int(v) for k, v in (row.page_states or {}).items()},
    )


def upsert_site(
    conn: Connection, *, space: str, channel: str | None, root_url: str, prefix: str, max_pages: int,
    uploader: str | None, uploader_name: str | None, added_via: str, chat_ref: dict[str, Any] | None,
) -> int:
    """Create the site, or take over an existing one for a new crawl (new budget, new status message)."""
    ensure_space(conn, space_id=space)
    return int(conn.execute(
        text(
            "INSERT INTO sites (space_id, channel, root_url, prefix, max_pages, uploader, uploader_name, added_via,"
            " chat_ref) VALUES (:s, :c, :u, :p, :m, :up, :upn, :via, CAST(:ref AS jsonb))"
            " ON CONFLICT (space_id, coalesce(channel, ''), root_url) DO UPDATE SET max_pages = EXCLUDED.max_pages,"
            " prefix = EXCLUDED.prefix, chat_ref = coalesce(EXCLUDED.chat_ref, sites.chat_ref), state = 'queued',"
            " state_changed_at = now() RETURNING id"
        ),
        {"s": space, "c": channel, "u": root_url, "p": prefix, "m": max_pages, "up": uploader, "upn": uploader_name,
         "via": added_via, "ref": json.dumps(chat_ref) if chat_ref else None},
    ).scalar_one())


def get_site(conn: Connection, *, site_id: int) -> SiteInfo | None:
    """One site, with its pages counted by state."""
    row = conn.execute(text(f"{_SITE_SQL} WHERE s.id = :id"), {"id": site_id}).first()
    return _info(row) if row else None


def list_sites(conn: Connection, *, space: str | None = None) -> list[SiteInfo]:
    """Sites, oldest first, optionally of one space."""
    where, params = (" WHERE s.space_id = :s", {"s": space}) if space is not None else ("", {})
    return [_info(r) for r in conn.execute(text(f"{_SITE_SQL}{where} ORDER BY s.id"), params)]


def resolve_site(conn: Connection, *, ref: str, space: str | None = None) -> SiteInfo | None:
    """A site by id, or by its root URL (with or without a trailing slash)."""
    params: dict[str, Any] = {"s": space}
    scope = " AND s.space_id = :s" if space is not None else ""
    if ref.isdigit():
        row = conn.execute(text(f"{_SITE_SQL} WHERE s.id = :id{scope}"), {**params, "id": int(ref)}).first()
    else:
        row = conn.execute(
            text(f"{_SITE_SQL} WHERE rtrim(s.root_url, '/') = rtrim(:r, '/'){scope} ORDER BY s.id LIMIT 1"),
            {**params, "r": ref},
        ).first()
    return _info(row) if row else None


def set_state(conn: Connection, *, site_id: int, state: str, counts: dict[str, Any] | None = None,
              note: str | None = None, finished: bool = False) -> None:
    """Record where a crawl is; `finished` stamps the time of the last complete crawl."""
    conn.execute(
        text(
            "UPDATE sites SET state = :st, counts = coalesce(CAST(:c AS jsonb), counts), note = :n,"
            " crawled_at = CASE WHEN :f THEN now() ELSE crawled_at END,"
            # While crawling, every write is a heartbeat: a crawl silent for RAGBOT_STUCK_AFTER_SECONDS is dead.
            " state_changed_at = CASE WHEN state = :st AND :st <> 'crawling' THEN state_changed_at ELSE now() END"
            " WHERE id = :id"
        ),
        {"st": state, "c": json.dumps(counts) if counts is not None else None, "n": note, "f": finished,
         "id": site_id},
    )


def attach_page(conn: Connection, *, document_id: int, site_id: int) -> None:
    """Group a page's document under its site."""
    conn.execute(text("UPDATE documents SET site_id = :s WHERE id = :id AND site_id IS DISTINCT FROM :s"),
                 {"s": site_id, "id": document_id})


def site_pages(conn: Connection, *, site_id: int) -> dict[str, int]:
    """The site's pages: URL -> document id."""
    rows = conn.execute(text("SELECT source_uri, id FROM documents WHERE site_id = :s"), {"s": site_id})
    return {r.source_uri: r.id for r in rows}


def page_site(conn: Connection, *, document_id: int) -> int | None:
    """The site a document belongs to, if it is a crawled page."""
    return conn.execute(text("SELECT site_id FROM documents WHERE id = :id"), {"id": document_id}).scalar()


def sites_due(conn: Connection, *, stuck_after_seconds: int) -> list[int]:
    """Sites to re-crawl: every one not crawling now, and those whose crawl has been running too long (died)."""
    rows = conn.execute(
        text("SELECT id FROM sites WHERE state NOT IN ('queued', 'crawling')"
             " OR state_changed_at < now() - make_interval(secs => :s) ORDER BY id"),
        {"s": stuck_after_seconds},
    )
    return [r.id for r in rows]


def crawl_running(conn: Connection, *, site_id: int, stuck_after_seconds: int) -> bool:
    """Whether a crawl of the site is running now (one silent for longer is taken as dead)."""
    return bool(conn.execute(
        text("SELECT 1 FROM sites WHERE id = :id AND state = 'crawling'"
             " AND state_changed_at >= now() - make_interval(secs => :s)"),
        {"id": site_id, "s": stuck_after_seconds},
    ).first())


def delete_site(conn: Connection, *, site_id: int) -> bool:
    """Remove the site row (its pages must be deleted first); False when it did not exist."""
    return conn.execute(text("DELETE FROM sites WHERE id = :id"), {"id": site_id}).rowcount == 1


def documents_of(conn: Connection, *, site_ids: Sequence[int]) -> list[int]:
    """Document ids of the pages of some sites."""
    rows = conn.execute(text("SELECT id FROM documents WHERE site_id = ANY(:s) ORDER BY id"), {"s": list(site_ids)})
    return [r.id for r in rows]
