"""/ragbot-admin sites, resync-site SITE and forget-site SITE (asks to confirm): crawled sites as a whole."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ragbot.adapters.slack.formatting import confirm_blocks, escape, text_blocks
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.domain import Adder
from ragbot.storage.sites import SiteInfo

OPS = ("sites", "resync-site", "forget-site")
FORGET = "forget_site"
HELP_LINES = [
    "• `sites`: list the crawled sites with their pages by state and how the last crawl ended",
    "• `resync-site SITE`: crawl a site again now (id or root URL); unchanged pages cost nothing",
    "• `forget-site SITE`: delete a site and all its pages (asks to confirm)",
]
Respond = Callable[..., Any]


def _line(s: SiteInfo) -> str:
    pages = ", ".join(f"{k} {v}" for k, v in sorted(s.pages.items())) or "no pages"
    when = f"last crawled {s.crawled_at:%Y-%m-%d %H:%M}" if s.crawled_at else "never crawled to the end"
    note = f" — {escape(s.note)}" if s.note else ""
    return f"`{s.id}` *{escape(s.root_url)}* · {s.state} · {pages} · {when}{note}"


def handle(rt: SlackRagbot, op: str, arg: str, space: str, respond: Respond, *, confirm_action: str) -> None:
    """Run one site command for an admin (already checked) and answer privately."""
    if op == "sites":
        found = rt.uses.sites.list_sites(space=space)
        body = ("*Crawled sites*\n" + "\n".join(_line(s) for s in found)) if found else (
            "No sites yet. Add one with `/ragbot-upload`, a link and *Crawl the whole site*.")
        respond(text="Sites", blocks=text_blocks(body), response_type="ephemeral")
        return
    if not arg:
        respond(text=f"Give a site: `/ragbot-admin {op} SITE` (an id or root URL from `sites`).",
                response_type="ephemeral")
        return
    site = rt.uses.sites.find_site(arg.strip("<>"), space=space)
    if op == "resync-site":
        outcome = rt.uses.sites.queue_crawl(site.id)
        respond(text=f"🔁 *{escape(site.root_url)}*: {outcome}; its status message shows the counts.",
                response_type="ephemeral")
        return
    respond(text=f"Forget {site.root_url}?", response_type="ephemeral", blocks=confirm_blocks(
        f"Delete *{escape(site.root_url)}* and its {site.page_total} pages? Answers will stop citing them.",
        action_id=confirm_action, value=json.dumps({"op": FORGET, "id": site.id}), confirm_label="Forget site"))


def forget(rt: SlackRagbot, request: dict[str, Any], space: str, user: str, team: str | None) -> str:
    """Carry out a confirmed forget-site; returns the message that replaces the confirmation."""
    by = Adder(f"slack:{user}", rt.known_name(team, user), "slash")
    site, pages = rt.uses.sites.forget_site(str(int(request["id"])), space=space, by=by)
    return f"🗑️ Forgot *{escape(site.root_url)}* and its {pages} pages."
