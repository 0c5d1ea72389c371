"""Reading OpenAI-compatible replies defensively: text out of chunks, reasoning blocks dropped, notices for cut-offs."""

from __future__ import annotations

import re
from typing import Any

# Shown under an answer the model did not finish; the text before it is kept, it is all the user will get.
CUT_SHORT = "⚠️ The answer stops here: the model reached its length limit (RAGBOT_OPENAI_MAX_TOKENS)."
INTERRUPTED = "⚠️ The answer stops here: the model's reply broke off before it finished. Ask again for all of it."

_OPEN, _CLOSE = "<think>", "</think>"
_THINK_BLOCK = re.compile(r"^\s*<think>.*?(?:</think>|\Z)\s*", re.DOTALL)


class Malformed(ValueError):
    """A chunk or completion lacks the fields the chat-completions format promises."""


def strip_reasoning(text: str) -> str:
    """A whole reply without a leading <think>...</think> block (reasoning models such as DeepSeek-R1, Qwen3)."""
    return _THINK_BLOCK.sub("", text, count=1)


class ReasoningFilter:
    """Drops a leading <think>...</think> block from streamed text, whatever the deltas' boundaries."""

    def __init__(self) -> None:
        self._head = ""  # text held back until we know whether the reply opens with <think>
        self._state = "start"  # start -> thinking -> gap -> answer, or start -> answer

    def feed(self, piece: str) -> str:
        """The part of piece that belongs to the answer."""
        if self._state == "answer":
            return piece
        if self._state == "gap":  # the whitespace between </think> and the answer may span several deltas
            piece = piece.lstrip()
            if piece:
                self._state = "answer"
            return piece
        self._head += piece
        if self._state == "start":
            lead = self._head.lstrip()
            if _OPEN.startswith(lead):
                return ""  # still could be "<think>": wait for more
            if not lead.startswith(_OPEN):
                self._state = "answer"
                out, self._head = self._head, ""
                return out
            self._state, self._head = "thinking", lead[len(_OPEN):]
        end = self._head.find(_CLOSE)
        if end < 0:
            self._head = self._head[-len(_CLOSE):]  # only a possible partial "</think>" needs keeping
            return ""
        out, self._head = self._head[end + len(_CLOSE):].lstrip(), ""
        self._state = "answer" if out else "gap"
        return out

    def flush(self) -> str:
        """Held-back text at the end of the stream ("<thi" that never became a tag)."""
        out = self._head if self._state == "start" else ""
        self._head = ""
        return out


def chunk_delta(chunk: Any) -> tuple[str, str | None]:
    """(text, finish_reason) of one streamed chunk; Malformed when it is not a chat-completion chunk."""
    choices = getattr(chunk, "choices", None)
    if not isinstance(choices, list):
        raise Malformed("a streamed chunk without a choices list")
    if not choices:
        return "", None  # usage-only chunks (stream_options) carry no choices
    choice = choices[0]
    delta = getattr(choice, "delta", None)
    content = getattr(delta, "content", None) if delta is not None else None
    if content is not None and not isinstance(content, str):
        raise Malformed("a streamed chunk whose delta.content is not text")
    reason = getattr(choice, "finish_reason", None)
    return content or "", reason if isinstance(reason, str) and reason else None


def completion_text(reply: Any) -> str:
    """The message text of a non-streamed completion; Malformed when the reply is not one."""
    choices = getattr(reply, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise Malformed(f"a reply without choices: {str(reply)[:80]!r}")
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if content is not None and not isinstance(content, str):
        raise Malformed("a reply whose message.content is not text")
    return strip_reasoning(content or "")
