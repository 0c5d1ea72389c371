"""Answers from any OpenAI-compatible chat server (Ollama, vLLM, llama.cpp, LM Studio) through the openai SDK."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ragbot.domain import ScoredChunk, Turn
from ragbot.errors import RagbotError, TransientError
from ragbot.prompts import (
    MAX_HISTORY_TURNS,
    build_condense_messages,
    build_messages,
    condense_system_prompt,
    system_prompt,
)
from ragbot.providers import openai_errors as errors
from ragbot.providers.openai_stream import (
    CUT_SHORT,
    INTERRUPTED,
    Malformed,
    ReasoningFilter,
    chunk_delta,
    completion_text,
)

# Local servers ignore the key, but the SDK insists on one; a placeholder also stops it reading OPENAI_API_KEY.
PLACEHOLDER_KEY = "ragbot-no-key"
# English runs at about 4 characters a token (benchmarks/prompt_size.py); 3 leaves room for code and other languages.
CHARS_PER_TOKEN = 3


class OpenAIChatModel:
    """A ChatModel on the chat-completions API; the SDK retries 429/5xx with backoff before any text arrives."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str | None,
        model: str | None,
        api_key: str | None = None,
        max_tokens: int = 1024,
        timeout: float = 120.0,
        max_retries: int = 2,
        context_tokens: int = 8192,
        temperature: float = 0.2,
        condense_max_tokens: int = 200,
    ) -> None:
        if not base_url:
            raise RagbotError("RAGBOT_OPENAI_BASE_URL is not set: point it at the server, e.g. "
                              "http://localhost:11434/v1 for Ollama or http://localhost:8000/v1 for vLLM.")
        if not model:
            raise RagbotError("RAGBOT_OPENAI_MODEL is not set: name a model the server serves, e.g. llama3.1:8b.")
        import openai  # only this module touches the SDK; imported late to keep start-up fast

        self._sdk = openai
        self.base_url, self.model, self._key_set = base_url, model, bool(api_key)
        # Both passed explicitly, always: otherwise the SDK falls back to OPENAI_API_KEY / OPENAI_BASE_URL.
        self._client = openai.OpenAI(
            api_key=api_key or PLACEHOLDER_KEY, base_url=base_url, max_retries=max_retries,
            # A short connect timeout fails fast on a dead host; the read timeout covers a model still loading.
            timeout=openai.Timeout(timeout, connect=min(timeout, 10.0)),
        )
        # The SDK also fills these from OPENAI_ORG_ID / OPENAI_PROJECT_ID / OPENAI_CUSTOM_HEADERS and would send
        # them to the self-hosted server: an OpenAI account's identifiers and headers are not its business.
        self._client.organization = None
        self._client.project = None
        self._client._custom_headers = {}  # no constructor argument stops the environment's headers
        self.max_tokens, self.temperature, self.condense_max_tokens = max_tokens, temperature, condense_max_tokens
        self.context_tokens = context_tokens

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]) -> Iterator[str]:
        """Yield the answer text as it arrives; passage i is source [i+1]. A cut-off answer ends with a notice."""
        # The same prompt as Claude: the system prompt goes first as a system message, then the shared messages.
        messages = self._fit(lambda turns: _with_system(system_prompt(), build_messages(question, passages, turns)),
                             history, self.max_tokens)
        stream = self._call(messages=messages, max_tokens=self.max_tokens, stream=True)
        yield from self._read(stream)

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """Rewrite a follow-up as a standalone question; identity without history."""
        if not any(t.text.strip() for t in history):
            return question
        def build(turns: list[Turn]) -> list[dict[str, str]]:
            return _with_system(condense_system_prompt(), build_condense_messages(question, turns))

        messages = self._fit(build, history, self.condense_max_tokens)
        reply = self._call(messages=messages, max_tokens=self.condense_max_tokens, stream=False)
        try:
            text = completion_text(reply).strip()
        except Malformed as e:
            raise errors.not_shaped(self.base_url, str(e)) from e
        # A one-line question is expected; anything else means the rewrite went wrong.
        return text.strip("\"'") if text and "\n" not in text else question

    def check(self) -> str:
        """Probe for `ragbot health`: the server lists models and this model is among them; raises RagbotError."""
        try:
            listed = list(self._client.models.list())
        except self._sdk.OpenAIError as e:
            raise self._map(e) from e
        except ValueError as e:  # not JSON at all
            raise errors.not_shaped(self.base_url, f"GET /models: {e}") from e
        ids = [i for i in (getattr(m, "id", None) for m in listed) if isinstance(i, str)]
        if not ids and listed:
            raise errors.not_shaped(self.base_url, "GET /models returned no model ids")
        # Ollama lists "llama3.1:latest" for a model asked for as "llama3.1".
        if self.model in ids or f"{self.model}:latest" in ids:
            return f"{self.model} at {self.base_url} ({len(ids)} model{'s' if len(ids) != 1 else ''} served)"
        # Ollama lists its models as owned by "library" (or the user who pushed them).
        ollama = any(getattr(m, "owned_by", None) == "library" for m in listed)
        err = errors.unknown_model(self.base_url, self.model, "", ollama=ollama)
        raise RagbotError(f"{err} Served: {', '.join(ids[:8]) or 'none'}.")

    def _fit(self, build: Callable[[list[Turn]], list[dict[str, str]]], history: Sequence[Turn],
             reserve: int) -> list[dict[str, str]]:
        """The messages with the oldest turns left out until prompt and answer fit RAGBOT_OPENAI_CONTEXT_TOKENS.

        Local servers have small contexts: vLLM and llama.cpp refuse a prompt that does not fit, and Ollama cuts it
        silently. Sources and the question are never cut: without them there is nothing to answer from.
        """
        turns = list(history)[-MAX_HISTORY_TURNS:]
        while True:
            messages = build(turns)
            if not turns or estimate_tokens(messages) + reserve <= self.context_tokens:
                return messages
            turns = turns[1:]

    def _call(self, **kwargs: Any) -> Any:
        """One chat-completions request; SDK errors become RagbotErrors, a non-stream reply to stream=True too."""
        try:
            reply = self._client.chat.completions.create(model=self.model, temperature=self.temperature, **kwargs)
        except self._sdk.OpenAIError as e:
            raise self._map(e) from e
        except ValueError as e:  # a 200 whose body is not JSON
            raise errors.not_shaped(self.base_url, str(e)) from e
        if kwargs.get("stream"):
            kind = reply.response.headers.get("content-type", "")
            if "event-stream" not in kind:
                reply.close()
                raise errors.not_shaped(self.base_url, f"{kind or 'an untyped body'} instead of an event stream")
        return reply

    def _read(self, stream: Any) -> Iterator[str]:
        """The answer's text from a chunk stream, with a notice when it stops early; raises when it has none."""
        thinking, said, finish = ReasoningFilter(), False, None
        try:
            for chunk in stream:
                piece, reason = chunk_delta(chunk)
                finish = reason or finish
                text = thinking.feed(piece) if piece else ""
                if text:
                    said = said or bool(text.strip())
                    yield text
        except (self._sdk.OpenAIError, ValueError) as e:
            # What was streamed cannot be recalled: finish it with a notice rather than lose it to an error.
            if said:
                yield f"\n\n{INTERRUPTED}"
                return
            if isinstance(e, ValueError):  # Malformed, or a data line that is not JSON
                raise errors.not_shaped(self.base_url, str(e)) from e
            raise self._map(e) from e
        finally:
            stream.close()
        rest = thinking.flush()
        if rest.strip():
            said = True
            yield rest
        if not said and finish == "length":
            raise RagbotError(
                f"The model {self.model!r} used all RAGBOT_OPENAI_MAX_TOKENS ({self.max_tokens}) before writing any "
                "answer (a reasoning model thinking at length?): raise RAGBOT_OPENAI_MAX_TOKENS."
            )
        if not said:
            raise TransientError(
                f"The model {self.model!r} sent an empty answer; if it keeps happening the prompt may not fit its "
                f"context length (see {errors.DOCS})."
            )
        if finish == "length":
            yield f"\n\n{CUT_SHORT}"
        elif finish is None:  # the stream ended without the model saying it was done
            yield f"\n\n{INTERRUPTED}"

    def _map(self, e: Exception) -> RagbotError:
        return errors.map_error(e, sdk=self._sdk, base_url=self.base_url, model=self.model, key_set=self._key_set)


def _with_system(system: str, messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Chat-completions carry the system prompt as the first message (Claude takes it as a separate field)."""
    return [{"role": "system", "content": system}, *messages]


def estimate_tokens(messages: list[dict[str, str]]) -> int:
    """A generous token count for messages, without the model's tokenizer (a few tokens of framing per message)."""
    return sum(len(m["content"]) // CHARS_PER_TOKEN + 4 for m in messages)
