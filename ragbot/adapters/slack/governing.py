"""/ragbot-admin audit and owner DOC @user: who changed what the bot knows, and moving a document to a new owner."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from ragbot.adapters.slack.formatting import escape, text_blocks
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.domain import Adder
from ragbot.ingestion.intake import owner_label
from ragbot.storage.audit import AuditEntry

OPS = ("audit", "owner")
HELP_LINES = [
    "• `docs failed`: only the documents that failed, with the reason",
    "• `audit`: the latest changes: who added, replaced, deleted, reindexed or gave away which document",
    "• `owner DOC @user`: give a document to someone, who may then replace or delete it",
]
# Slack sends a mention in slash command text as <@U123> or <@U123|name> (with escaping on).
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>\s*$")
Respond = Callable[..., Any]


def acting_admin(rt: SlackRagbot, team: str | None, user: str) -> Adder:
    """The admin running a command, as the audit trail names them."""
    return Adder(f"slack:{user}", rt.known_name(team, user), "slash", True)


def _entry(e: AuditEntry) -> str:
    who = "retention" if e.actor is None and e.actor_name == "retention" else (
        f"<@{e.actor.removeprefix('slack:')}>" if e.actor and e.actor.startswith("slack:")
        else escape(owner_label(e.actor, e.actor_name)))
    doc = f" (`{e.document_id}`)" if e.document_id else ""
    detail = f" — {escape(e.detail)}" if e.detail else ""
    return f"• {e.at:%Y-%m-%d %H:%M} {who} *{e.action}* {escape(e.subject)}{doc}{detail}"


def handle(rt: SlackRagbot, client: WebClient, op: str, arg: str, *, space: str, team: str | None, user: str,
           respond: Respond) -> None:
    """Run audit or owner for an admin (already checked) and answer privately."""
    if op == "audit":
        entries = rt.uses.admin.audit_trail(space=space, limit=25)
        body = ("*Latest changes* (newest first, UTC)\n" + "\n".join(_entry(e) for e in entries)) if entries \
            else "Nothing has changed yet."
        respond(text="Audit", blocks=text_blocks(body), response_type="ephemeral")
        return
    found = _MENTION.search(arg)
    if not found or not arg[:found.start()].strip():
        respond(text="Use `/ragbot-admin owner DOC @user`: the document (id, file name or title), then the person.",
                response_type="ephemeral")
        return
    target = found.group(1)
    name = found.group(2) or rt.profile(client, team, target)[1]
    moved = rt.uses.admin.give(arg[:found.start()].strip(), to=f"slack:{target}", to_name=name, space=space,
                       by=acting_admin(rt, team, user))
    respond(text=f"👤 *{escape(moved.title)}* (`{moved.id}`) now belongs to <@{target}>: they may replace or "
                 "delete it.", response_type="ephemeral")
