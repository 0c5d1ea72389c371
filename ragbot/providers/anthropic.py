"""Answers from Claude through the anthropic SDK, streamed as text deltas."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ragbot.domain import ScoredChunk, Turn
from ragbot.errors import RagbotError, TransientError
from ragbot.prompts import build_condense_messages, build_messages, condense_system_prompt, system_prompt

# Error types the API sends inside a 200 stream (an "error" event) that are worth retrying.
_TRANSIENT_TYPES = {"overloaded_error", "rate_limit_error", "api_error", "timeout_error"}


class ClaudeChatModel:
    """A ChatModel backed by Claude; the SDK retries 429/5xx before any text is streamed."""

    name = "claude"

    def __init__(
        self,
        api_key: str,
        *,
        model: str = "claude-sonnet-4-6",
        max_tokens: int = 1024,
        base_url: str | None = None,
        max_retries: int = 2,
        timeout: float = 60.0,
        condense_model: str | None = None,
        condense_max_tokens: int = 200,
    ) -> None:
        if not api_key:
            raise RagbotError("ANTHROPIC_API_KEY is not set; set it or choose the extractive answerer.")
        import anthropic  # only this module touches the SDK; imported late to keep start-up fast

        self._sdk = anthropic
        self._client = anthropic.Anthropic(api_key=api_key, base_url=base_url, max_retries=max_retries, timeout=timeout)
        self.model = model
        self.max_tokens = max_tokens
        self.condense_model = condense_model or model
        self.condense_max_tokens = condense_max_tokens

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]) -> Iterator[str]:
        """Yield Claude's answer text as it arrives; passage i is source [i+1]."""
        # build_messages returns plain role/content dicts: exactly the SDK's MessageParam shape.
        messages: Any = build_messages(question, passages, history)
        try:
            with self._client.messages.stream(
                model=self.model, max_tokens=self.max_tokens, system=system_prompt(), messages=messages
            ) as stream:
                yield from stream.text_stream
        except self._sdk.AnthropicError as e:
            raise self._map_error(e) from e

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """Ask Claude to rewrite a follow-up as a standalone question; identity without history."""
        if not any(t.text.strip() for t in history):
            return question
        messages: Any = build_condense_messages(question, history)
        try:
            reply = self._client.messages.create(
                model=self.condense_model,
                max_tokens=self.condense_max_tokens,
                system=condense_system_prompt(),
                messages=messages,
            )
        except self._sdk.AnthropicError as e:
            raise self._map_error(e) from e
        text = "".join(getattr(block, "text", "") for block in reply.content).strip()
        # A one-line question is expected; anything else means the rewrite went wrong.
        return text.strip("\"'") if text and "\n" not in text else question

    def _map_error(self, e: Exception) -> RagbotError:
        """An SDK error as a user-readable RagbotError; TransientError when retrying later may help."""
        sdk = self._sdk
        if isinstance(e, sdk.AuthenticationError | sdk.PermissionDeniedError):
            return RagbotError(
                "Anthropic rejected the ANTHROPIC_API_KEY. Check the key, or unset it to use the offline answerer."
            )
        if isinstance(e, sdk.APIConnectionError):  # includes timeouts
            return TransientError("Could not reach Claude (connection failed or timed out). Try again in a moment.")
        if isinstance(e, sdk.NotFoundError):
            return RagbotError(f"Anthropic does not offer the model {self.model!r}; check RAGBOT_CLAUDE_MODEL.")
        if isinstance(e, sdk.APIStatusError):
            status, kind = e.status_code, _error_type(e.body)
            if status in (408, 409, 429) or status >= 500 or kind in _TRANSIENT_TYPES:
                reason = "rate limited" if status == 429 or kind == "rate_limit_error" else "overloaded or unavailable"
                # An error event inside a stream arrives with the stream's HTTP 200.
                where = f"HTTP {status}" if status != 200 else f"reply interrupted: {kind}"
                return TransientError(f"Claude is {reason} right now ({where}). Try again in a moment.")
            return RagbotError(f"Claude rejected the request (HTTP {status}): {_error_message(e.body) or e}")
        return RagbotError(f"Claude failed: {e}")


def _error_type(body: Any) -> str | None:
    """The "error.type" of an API error body, if any."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("type")
    return None


def _error_message(body: Any) -> str | None:
    """The "error.message" of an API error body, if any."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("message")
    return None
