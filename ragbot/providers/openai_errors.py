"""One-line, actionable errors for OpenAI-compatible chat servers (Ollama, vLLM, llama.cpp, LM Studio)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ragbot.errors import RagbotError, TransientError

DOCS = "docs/local-llm.md"
_MAX_DETAIL = 200  # server messages are quoted, cut short: the error must stay one line


class NotOpenAIShaped(RagbotError):
    """The server answered, but not in the OpenAI chat-completions format."""


def one_line(text: str, limit: int = _MAX_DETAIL) -> str:
    """Text squeezed onto one line and cut to limit characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def looks_like_ollama(base_url: str, message: str = "") -> bool:
    """Whether the server is probably Ollama: its default port or name, or its "pull" advice in an error."""
    parts = urlsplit(base_url)
    return parts.port == 11434 or "ollama" in (parts.hostname or "") or "pull" in message.lower()


def server_message(exc: Any) -> str:
    """The human text of an API error body: OpenAI's error.message, vLLM's message or Ollama's error string."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        found = body.get("message") or body.get("error") or body.get("detail")
        if isinstance(found, dict):
            found = found.get("message")
        if found:
            return one_line(str(found))
    if isinstance(body, str) and body.strip():
        return one_line(body)
    response = getattr(exc, "response", None)
    try:
        return one_line(response.text) if response is not None else ""
    except Exception:  # noqa: BLE001 - a streamed body may be unreadable; the status still says enough
        return ""


def unreachable(base_url: str, reason: str) -> TransientError:
    """The server did not answer at all."""
    hint = " (Ollama: run `ollama serve`; its URL ends in :11434/v1)" if looks_like_ollama(base_url) else ""
    return TransientError(
        f"Cannot reach the chat model server at {base_url} ({reason}): start it or fix RAGBOT_OPENAI_BASE_URL{hint}."
    )


def refused_key(base_url: str, status: int, key_set: bool) -> RagbotError:
    """401/403: the server wants another API key."""
    fix = "set it to a key the server accepts" if key_set else "the server wants one: set it"
    return RagbotError(
        f"The chat model server at {base_url} refused the API key (HTTP {status}): "
        f"RAGBOT_OPENAI_API_KEY is {'wrong' if key_set else 'unset'}; {fix}."
    )


def unknown_model(base_url: str, model: str, message: str, *, ollama: bool = False) -> RagbotError:
    """404 naming the model: it is not installed or not served under that name."""
    if ollama or looks_like_ollama(base_url, message):
        fix = f"run `ollama pull {model}` on the Ollama host, or set RAGBOT_OPENAI_MODEL to a model `ollama list` shows"
    else:
        fix = f"set RAGBOT_OPENAI_MODEL to a model the server serves (GET {base_url.rstrip('/')}/models lists them)"
    return RagbotError(f"The chat model server at {base_url} has no model {model!r}: {fix}.")


def not_shaped(base_url: str, what: str) -> NotOpenAIShaped:
    """A reply that is not an OpenAI chat completion (wrong URL, a web page, another API)."""
    return NotOpenAIShaped(
        f"The server at {base_url} did not answer like an OpenAI-compatible API ({one_line(what, 120)}): "
        "check RAGBOT_OPENAI_BASE_URL, which usually ends in /v1."
    )


def map_error(exc: Exception, *, sdk: Any, base_url: str, model: str, key_set: bool) -> RagbotError:
    """An openai SDK error as a RagbotError; TransientError when trying again later may help."""
    if isinstance(exc, sdk.APITimeoutError):
        if type(exc.__cause__).__name__ == "ConnectTimeout":  # a host that drops packets: as good as down
            return unreachable(base_url, "connection timed out")
        return TransientError(
            f"The chat model server at {base_url} went quiet for longer than RAGBOT_OPENAI_TIMEOUT_SECONDS: it may "
            "still be loading the model or be overloaded. Try again, or raise the timeout."
        )
    if isinstance(exc, sdk.APIConnectionError):
        return unreachable(base_url, one_line(str(exc.__cause__ or exc), 80) or "connection failed")
    if isinstance(exc, sdk.APIStatusError):
        return _status_error(exc, base_url=base_url, model=model, key_set=key_set)
    if isinstance(exc, sdk.APIError):  # an error event inside a 200 stream
        return TransientError(f"The chat model server reported an error mid-answer: {server_message(exc) or exc}.")
    return RagbotError(f"The chat model failed: {one_line(str(exc))}")


def _status_error(exc: Any, *, base_url: str, model: str, key_set: bool) -> RagbotError:
    status, message = exc.status_code, server_message(exc)
    if status in (401, 403):
        return refused_key(base_url, status, key_set)
    if status == 404:
        if model.lower() in message.lower() or "model" in message.lower():
            return unknown_model(base_url, model, message)
        # A 404 that names no model is the wrong path: Ollama without /v1 answers "404 page not found".
        return not_shaped(base_url, f"HTTP 404: {message or 'not found'}")
    if status in (408, 409, 429) or status >= 500:
        reason = "rate limited" if status == 429 else "overloaded or failing"
        return TransientError(f"The chat model server at {base_url} is {reason} (HTTP {status}); try again shortly.")
    if "context" in message.lower() or "too long" in message.lower():
        return RagbotError(
            f"The prompt does not fit the model's context (HTTP {status}: {message}): lower RAGBOT_TOP_K or "
            f"RAGBOT_OPENAI_MAX_TOKENS, or raise the server's context length (see {DOCS})."
        )
    return RagbotError(f"The chat model server rejected the request (HTTP {status}): {message or 'no detail'}.")
