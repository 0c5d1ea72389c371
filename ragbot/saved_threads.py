"""Saving a chat thread as one document: each message with its author and time, cited by the thread's link.

Shared by the Slack message shortcut and the Discord message context menu, both named "Save to Ragbot".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ragbot.chat.service import ChatService
from ragbot.domain import Scope
from ragbot.errors import EmptyDocument
from ragbot.ingestion import intake
from ragbot.ingestion.loaders.common import one_line

VIA = "thread"
TITLE_CHARS = 120


@dataclass(frozen=True)
class ThreadMessage:
    """One message of a saved thread."""

    author: str
    at: datetime
    text: str


def title_of(messages: Sequence[ThreadMessage]) -> str:
    """The first line of the first message that has text."""
    for message in messages:
        for line in message.text.splitlines():
            if line.strip():
                return one_line(line, TITLE_CHARS)
    return ""


def render(messages: Sequence[ThreadMessage], *, permalink: str) -> tuple[str, bytes]:
    """(title, Markdown) of a thread: a heading, then each message under its author and UTC time."""
    kept = [m for m in messages if m.text.strip()]
    title = title_of(kept)
    if not kept or not title:
        raise EmptyDocument("This thread has no text to save; only messages with text are kept.")
    parts = [f"# {title}\n", f"Saved from the chat thread {permalink}\n"]
    for m in kept:
        # A line of its own per message: the splitter keeps each short message whole, with who said it and when.
        parts.append(f"**{m.author}** ({m.at:%Y-%m-%d %H:%M} UTC):\n{m.text.strip()}\n")
    return title, "\n".join(parts).encode()


def save_thread(chat: ChatService, *, scope: Scope, permalink: str, messages: Sequence[ThreadMessage], saver: str,
                saver_name: str | None, is_admin: bool, chat_ref: dict[str, Any] | None) -> tuple[str, intake.Accepted]:
    """Store the thread as one document keyed by its permalink (saving again updates it) and queue it.

    Who may save follows the upload policy: the per-user upload limit, and only the first saver or an admin may
    replace what is saved under that permalink.
    """
    title, data = render(messages, permalink=permalink)
    filename = f"{one_line(title, 80).replace('/', '-')}.md"
    accepted = chat.add_file(scope=scope, data=data, filename=filename, source_uri=permalink, uploader=saver,
                             chat_ref=chat_ref, uploader_name=saver_name, via=VIA, is_admin=is_admin,
                             link=permalink)
    return title, accepted
