"""Discord presentation: 2,000-character messages, a sources embed (4,096), admin listings."""

from __future__ import annotations

from typing import Any

import discord

from ragbot.chat.splitting import split_text
from ragbot.domain import Answer, DocumentInfo

MESSAGE_LIMIT = 2000
EMBED_LIMIT = 4096
UPLOAD_HINT = "An admin or teammate can add a document that covers it with `/upload`."
THINKING = "💭 Looking through the documents…"
SOURCES_COLOUR = 0x5865F2


def answer_pieces(text: str) -> list[str]:
    """The answer as messages of at most 2,000 characters, cut at paragraph or sentence boundaries."""
    return split_text(text, MESSAGE_LIMIT) or ["(no answer)"]


def preview(text: str) -> str:
    """What a message shows while the answer streams: the first piece, marked as unfinished."""
    text = text.strip()
    if not text:
        return THINKING
    if len(text) <= MESSAGE_LIMIT - 2:
        return text + " …"
    return split_text(text, MESSAGE_LIMIT - 2)[0] + " …"


def _source_line(c: Any) -> str:
    title = discord.utils.escape_markdown(c.title or c.source)[:200]
    label = f"[{title}]({c.url})" if c.url else f"**{title}**"
    where = f" — {discord.utils.escape_markdown(c.location)[:120]}" if c.location else ""
    aged = f" *({c.aged})*" if getattr(c, "aged", None) else ""
    gone = " ⚠️ *unreachable at its last re-sync*" if getattr(c, "unreachable", False) else ""
    return f"`[{c.n}]` {label}{where}{aged}{gone}"


def sources_embed(answer: Answer) -> discord.Embed | None:
    """The numbered citations as one embed, its description kept under 4,096 characters."""
    if not answer.citations:
        return None
    lines: list[str] = []
    used = 0
    for i, c in enumerate(answer.citations):
        line = _source_line(c)
        rest = len(answer.citations) - i
        # Keep room for the "and N more" line so the description never crosses the limit.
        if used + len(line) + 1 > EMBED_LIMIT - 40:
            lines.append(f"…and {rest} more")
            break
        lines.append(line)
        used += len(line) + 1
    return discord.Embed(title="Sources", description="\n".join(lines), colour=SOURCES_COLOUR)


def chunked_lines(lines: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Lines packed into as few messages as fit the limit (a single overlong line is cut)."""
    out: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        out.append(current)
    return out or ["(nothing)"]


def document_lines(docs: list[DocumentInfo]) -> list[str]:
    """One line per document for `/admin docs`."""
    icon = {"ready": "✅", "queued": "⏳", "processing": "⚙️", "failed": "❌"}
    lines = []
    for d in docs:
        where = f"<#{d.channel}>" if d.channel else "server"
        extra = f" {d.progress}%" if d.status == "processing" else ""
        error = f" — {d.error[:150]}" if d.status == "failed" and d.error else ""
        stale = " · stale: not cited" if d.stale else ""
        lines.append(f"{icon.get(d.status, '•')} `{d.id}` **{discord.utils.escape_markdown(d.title)[:100]}** · "
                     f"{where} · {d.chunks} chunks{extra}{stale} · added by "
                     f"{discord.utils.escape_markdown(d.provenance)[:80]}{error}")
    return lines or ["No documents yet. Add some with `/upload`."]


def stats_text(stats: dict[str, Any]) -> str:
    """`/admin stats` as a short block."""
    states = ", ".join(f"{k} {v}" for k, v in sorted(stats.get("by_status", {}).items())) or "none"
    return (f"**Documents:** {stats['documents']} ({states})\n**Chunks:** {stats['chunks']}\n"
            f"**Questions:** {stats['questions']} · grounded {stats['grounded_ratio'] * 100:.0f}%\n"
            f"**Votes:** 👍 {stats['votes_up']} · 👎 {stats['votes_down']}")


def feedback_lines(rows: list[dict[str, Any]]) -> list[str]:
    """`/admin feedback`: recent 👎 with the question, the answer, the comment and the cited documents."""
    if not rows:
        return ["No 👎 recently."]
    esc = discord.utils.escape_markdown
    lines = ["**Recent 👎** (newest first):"]
    for r in rows:
        cited = ", ".join(esc(str(t))[:80] for t in r["cited"]) or "nothing"
        comment = esc(r["comment"])[:300] if r["comment"] else "*no comment*"
        when = r["created_at"].strftime("%Y-%m-%d") if r.get("created_at") else ""
        lines.append(f"• **Q:** {esc(r['question'])[:300]}\n  **A:** {esc(r['answer'])[:300]}\n"
                     f"  **Comment:** {comment} — <@{r['user_id']}> ({when})\n  **Cited:** {cited}")
    return lines


def gaps_lines(rows: list[dict[str, Any]]) -> list[str]:
    """`/admin gaps`: recent questions the documents could not answer."""
    if not rows:
        return ["No unanswered questions recently. 🎉"]
    lines = ["**Recent questions without a grounded answer** (documents worth adding):"]
    for r in rows:
        when = r["created_at"].strftime("%Y-%m-%d") if r.get("created_at") else ""
        lines.append(f"• {discord.utils.escape_markdown(r['question'])[:300]} ({when})")
    return lines
