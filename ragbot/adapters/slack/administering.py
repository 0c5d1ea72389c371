"""/ragbot-admin: reindex, docs, delete, stats and gaps, for workspace admins and the configured allowlist."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from ragbot.adapters.slack import governing, sites, watching
from ragbot.adapters.slack.formatting import clip, confirm_blocks, escape, text_blocks
from ragbot.adapters.slack.runtime import SlackRagbot
from ragbot.domain import DocumentInfo
from ragbot.errors import RagbotError

_log = logging.getLogger(__name__)
CONFIRM_ACTION = "ragbot_admin_confirm"
CANCEL_ACTION = "ragbot_admin_cancel"
REFUSAL = ("Sorry, `/ragbot-admin` is for workspace admins and owners, and for people an admin added to "
           "`RAGBOT_ADMIN_USERS`.")
HELP = "\n".join([
    "*`/ragbot-admin` commands*",
    "• `docs [page N]`: list the documents of this workspace with status and chunk count, 40 a page",
    *sites.HELP_LINES,
    "• `reindex DOC`: re-embed one document (id, file name or title)",
    "• `reindex all`: re-embed every document of this workspace (asks to confirm)",
    "• `delete DOC`: delete a document with its chunks (asks to confirm)",
    "• `stats`: documents, chunks, questions and the share answered from the documents",
    "• `gaps`: recent questions the documents could not answer",
    "• `feedback`: recent 👎 with the question, the answer, the comment and the cited documents",
    *watching.HELP_LINES,
    *governing.HELP_LINES,
])

Respond = Callable[..., Any]


def _doc_line(d: DocumentInfo) -> str:
    where = f"<#{d.channel}>" if d.channel and d.channel[:1] in "CG" else ("this DM" if d.channel else "workspace")
    error = f" — {escape(d.error)}" if d.error else ""
    stale = " (stale: not cited)" if d.stale else ""
    return (f"`{d.id}` *{escape(d.title)}* · {d.status}{stale} · {d.chunks} chunks · {where} · added by "
            f"{escape(d.provenance)}{error}")


DOCS_PER_PAGE = 40  # well inside Slack's 50 blocks and 3,000 characters per section, even with long errors


def _docs(rt: SlackRagbot, space: str, arg: str = "") -> str:
    """`docs [failed] [page N]`: one page of the listing, with how to see the next."""
    failed = "failed" in arg.lower().split()
    asked = re.search(r"\bpage\s+(\d+)", arg.lower())
    page = int(asked.group(1)) if asked else 1
    docs = rt.uses.admin.documents(space=space, failed=failed)
    if not docs:
        return "No failed documents." if failed else "No documents yet. Add some with `/ragbot-upload`."
    pages = -(-len(docs) // DOCS_PER_PAGE)
    page = min(max(page, 1), pages)
    shown = docs[(page - 1) * DOCS_PER_PAGE: page * DOCS_PER_PAGE]
    head = f"*{len(docs)} {'failed ' if failed else ''}documents*"
    if pages > 1:
        following = f"; `/ragbot-admin docs{' failed' if failed else ''} page {page + 1}` for more" \
            if page < pages else ""
        head += f" (page {page} of {pages}{following})"
    return head + "\n" + "\n".join(_doc_line(d) for d in shown)


def _stats(rt: SlackRagbot, space: str) -> str:
    s = rt.uses.admin.stats(space=space)
    states = ", ".join(f"{k} {v}" for k, v in sorted(s["by_status"].items())) or "none"
    return (f"*Documents:* {s['documents']} ({states})\n*Chunks:* {s['chunks']}\n*Questions:* {s['questions']}"
            f"\n*Answered from the documents:* {s['grounded_ratio'] * 100:.0f}%"
            f"\n*Votes:* 👍 {s['votes_up']} · 👎 {s['votes_down']}")


def _feedback(rt: SlackRagbot, space: str) -> str:
    rows = rt.uses.admin.feedback(space=space)
    if not rows:
        return "No 👎 lately."
    lines = ["*Recent 👎* (newest first)"]
    for r in rows:
        cited = ", ".join(escape(str(t)) for t in r["cited"]) or "nothing"
        comment = escape(r["comment"]) if r["comment"] else "_no comment_"
        lines.append(f"• *Q:* {escape(clip(r['question'], 300))}\n   *A:* {escape(clip(r['answer'], 300))}"
                     f"\n   *Comment:* {comment} — <@{r['user_id']}>, {r['created_at']:%Y-%m-%d}\n   *Cited:* {cited}")
    return "\n".join(lines)


def _gaps(rt: SlackRagbot, space: str) -> str:
    rows = rt.uses.admin.gaps(space=space)
    if not rows:
        return "No unanswered questions lately."
    lines = [f"• {escape(r['question'])} — " + (f"<@{r['user_id']}>, " if r["user_id"] else "")
             + f"{r['created_at']:%Y-%m-%d}" for r in rows]
    return "*Recent questions the documents could not answer*\n" + "\n".join(lines)


def handle(rt: SlackRagbot, client: WebClient, *, team: str | None, user: str, text: str, respond: Respond) -> None:
    """Run one /ragbot-admin command and answer the admin privately."""
    if not rt.is_admin(client, team, user):
        respond(text=REFUSAL, response_type="ephemeral")
        return
    words = text.split()
    op, arg = (words[0].lower(), " ".join(words[1:])) if words else ("help", "")
    space = rt.space(team)
    try:
        if op == "docs":
            respond(text="Documents", blocks=text_blocks(_docs(rt, space, arg)), response_type="ephemeral")
        elif op == "stats":
            respond(text=_stats(rt, space), response_type="ephemeral")
        elif op == "feedback":
            respond(text="Feedback", blocks=text_blocks(_feedback(rt, space)), response_type="ephemeral")
        elif op == "gaps":
            respond(text="Gaps", blocks=text_blocks(_gaps(rt, space)), response_type="ephemeral")
        elif op in governing.OPS:
            governing.handle(rt, client, op, arg, space=space, team=team, user=user, respond=respond)
        elif op in sites.OPS:
            sites.handle(rt, op, arg, space, respond, confirm_action=CONFIRM_ACTION)
        elif op == "delete" and arg:
            doc = rt.uses.admin.find(arg, space=space)
            respond(text=f"Delete {doc.title}?", response_type="ephemeral", blocks=confirm_blocks(
                f"Delete *{escape(doc.title)}* (`{doc.id}`, {doc.chunks} chunks)? Answers will stop citing it.",
                action_id=CONFIRM_ACTION, value=json.dumps({"op": "delete", "id": doc.id}), confirm_label="Delete"))
        elif op == "reindex" and arg.lower() in ("", "all"):
            n = len(rt.uses.admin.documents(space=space))
            respond(text="Reindex everything?", response_type="ephemeral", blocks=confirm_blocks(
                f"Re-embed all *{n}* documents of this workspace? Answers may miss them until it finishes.",
                action_id=CONFIRM_ACTION, value=json.dumps({"op": "reindex_all"}), confirm_label="Reindex all"))
        elif op == "reindex":
            doc = rt.uses.admin.find(arg, space=space)
            rt.uses.admin.reindex(ref=str(doc.id), space=space, background=True,
                          by=governing.acting_admin(rt, team, user))
            respond(text=f"🔁 Queued *{escape(doc.title)}* for reindexing.", response_type="ephemeral")
        else:
            respond(text=HELP, response_type="ephemeral")
    except RagbotError as exc:
        respond(text=f"❌ {escape(str(exc))}", response_type="ephemeral")


def confirmed(rt: SlackRagbot, client: WebClient, *, team: str | None, user: str, value: str,
              respond: Respond) -> None:
    """Carry out a confirmed destructive action (the admin check is repeated: buttons can be forwarded)."""
    if not rt.is_admin(client, team, user):
        respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
        return
    request = json.loads(value)
    space = rt.space(team)
    try:
        if request.get("op") == "delete":
            doc = rt.uses.admin.forget(str(int(request["id"])), space=space,
                               by=governing.acting_admin(rt, team, user))
            respond(text=f"🗑️ Deleted *{escape(doc.title)}*.", replace_original=True)
        elif request.get("op") == sites.FORGET:
            respond(text=sites.forget(rt, request, space, user, team), replace_original=True)
        elif request.get("op") == "reindex_all":
            results = rt.uses.admin.reindex(space=space, background=True,
                                    by=governing.acting_admin(rt, team, user))
            respond(text=f"🔁 Queued {len(results)} documents for reindexing.", replace_original=True)
        else:
            respond(text=HELP, replace_original=True)
    except RagbotError as exc:
        respond(text=f"❌ {escape(str(exc))}", replace_original=True)
