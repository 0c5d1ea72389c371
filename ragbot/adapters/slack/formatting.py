"""Block Kit for answers, sources, feedback buttons and plain replies, kept inside Slack's limits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ragbot.chat.splitting import split_text
from ragbot.domain import Answer, Citation

SECTION_LIMIT = 3000  # characters of mrkdwn in one section block
UPDATE_TEXT_LIMIT = 4000  # chat.update answers msg_too_long beyond this
MAX_BLOCKS = 50  # blocks in one message
PLACEHOLDER = "_Looking through the documents…_"
STREAMING_MARK = " ▍"  # ends an answer that is still streaming
NO_ANSWER_HINT = "Add a document that covers it with `/ragbot-upload`, then ask again."
VOTE_UP = "ragbot_vote_up"
VOTE_DOWN = "ragbot_vote_down"
FEEDBACK_BLOCK = "ragbot_feedback"

Message = dict[str, Any]  # {"text": fallback text, "blocks": [...]}

_MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^)\s|>]{1,500})\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[-*]\s+", re.MULTILINE)
_CODE_BLOCK = re.compile(r"```[\w+#.-]*[ \t]*\n?(.*?)```", re.DOTALL)  # a fenced block; its body is group 1


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """Turn the model's Markdown into Slack mrkdwn: links <url|text>, *bold*, headings and bullets.

    Code blocks stay as they are (a "# comment" in one is not a heading); Slack shows a block's language tag as
    a line of code, so it is dropped.
    """
    parts = _CODE_BLOCK.split(markdown)
    # split() with one group alternates prose and block bodies: even indexes are prose.
    return "".join(_prose_to_mrkdwn(part) if i % 2 == 0 else f"```\n{escape(part)}```"
                   for i, part in enumerate(parts))


def _prose_to_mrkdwn(markdown: str) -> str:
    text = escape(markdown)
    # Links come before bold so that a bold link keeps its URL intact.
    text = _MD_LINK.sub(lambda m: f"<{m.group(2).replace('&amp;', '&')}|{m.group(1)}>", text)
    text = _BOLD.sub(r"*\1*", text)
    text = _HEADING.sub(r"*\1*", text)
    return _BULLET.sub(r"\1• ", text)


def clip(text: str, limit: int) -> str:
    """Text cut to limit characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block (text clipped to the section limit)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def plain(text: str) -> dict[str, Any]:
    """A plain_text object (buttons, modal titles)."""
    return {"type": "plain_text", "text": text, "emoji": True}


def preview(text_so_far: str) -> str:
    """The text of an in-progress answer edit: what has streamed so far, within chat.update's limit."""
    body = to_mrkdwn(text_so_far.strip())
    return clip(body, SECTION_LIMIT) + STREAMING_MARK


def source_line(c: Citation) -> str:
    """One numbered citation: title (linked when the source is a URL), then page or section."""
    title = escape(c.title or c.source).replace("|", "¦")
    name = f"<{c.url}|{title}>" if c.url else f"*{title}*"
    where = f" — {escape(c.location)}" if c.location else ""
    aged = f" _({c.aged})_" if c.aged else ""
    gone = " ⚠️ _unreachable at its last re-sync_" if c.unreachable else ""
    return f"[{c.n}] {name}{where}{aged}{gone}"


def sources_blocks(citations: Sequence[Citation]) -> list[dict[str, Any]]:
    """A 'Sources' block listing the citations (several sections if the list is long)."""
    if not citations:
        return []
    text = "*Sources*\n" + "\n".join(source_line(c) for c in citations)
    return [section(piece) for piece in split_text(text, SECTION_LIMIT)]


def feedback_block(question_id: int) -> dict[str, Any]:
    """👍/👎 buttons carrying the stored question id."""
    def button(action_id: str, label: str) -> dict[str, Any]:
        return {"type": "button", "action_id": action_id, "text": plain(label), "value": str(question_id)}

    return {"type": "actions", "block_id": FEEDBACK_BLOCK,
            "elements": [button(VOTE_UP, "👍 Helpful"), button(VOTE_DOWN, "👎 Not helpful")]}


def answer_messages(answer: Answer, question_id: int | None) -> list[Message]:
    """The final answer as one or more messages; the last one carries the sources and the buttons."""
    pieces = split_text(to_mrkdwn(answer.text), SECTION_LIMIT) or ["…"]
    messages: list[Message] = [{"text": p, "blocks": [section(p)]} for p in pieces]
    tail = sources_blocks(answer.citations)
    if question_id is not None:
        tail.append(feedback_block(question_id))
    if not tail:
        return messages
    if len(messages[-1]["blocks"]) + len(tail) <= MAX_BLOCKS:
        messages[-1]["blocks"].extend(tail)
    else:
        messages.append({"text": "Sources", "blocks": tail[-MAX_BLOCKS:]})
    return messages


def text_blocks(text: str) -> list[dict[str, Any]]:
    """Long mrkdwn text as sections, within the block limit (used for admin listings)."""
    pieces = split_text(text, SECTION_LIMIT) or ["(nothing)"]
    if len(pieces) > MAX_BLOCKS:
        pieces = pieces[: MAX_BLOCKS - 1] + ["_…more not shown._"]
    return [section(p) for p in pieces]


def confirm_blocks(question: str, *, action_id: str, value: str, confirm_label: str) -> list[dict[str, Any]]:
    """A question with a red confirm button and a cancel button."""
    return [
        section(question),
        {"type": "actions", "block_id": "ragbot_confirm", "elements": [
            {"type": "button", "action_id": action_id, "style": "danger", "text": plain(confirm_label), "value": value},
            {"type": "button", "action_id": "ragbot_admin_cancel", "text": plain("Cancel"), "value": "cancel"},
        ]},
    ]


def add_files_blocks(file_ids: Sequence[str], names: Sequence[str]) -> list[dict[str, Any]]:
    """The 'Add to knowledge base' offer under files sent to the bot in a DM."""
    listed = ", ".join(f"*{escape(n)}*" for n in names) or "these files"
    return [
        section(f"Want me to answer questions from {listed}?"),
        {"type": "actions", "block_id": "ragbot_add_files", "elements": [
            {"type": "button", "action_id": "ragbot_add_files", "style": "primary",
             "text": plain("Add to knowledge base"), "value": ",".join(file_ids)[:2000]},
        ]},
    ]
