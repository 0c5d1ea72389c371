"""Voyage AI embeddings through the voyageai SDK, with our own batching and retries (shared with reranking)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from ragbot.errors import RagbotError, TransientError

# Output dimension of the models we know; others are discovered with one call.
KNOWN_DIMS = {"voyage-3.5": 1024, "voyage-3.5-lite": 1024, "voyage-3-large": 1024, "voyage-code-3": 1024}
# Documented per-request token limits; we budget half of them because our estimate is rough.
TOKEN_LIMITS = {
    "voyage-3.5-lite": 1_000_000,
    "voyage-3.5": 320_000,
    "voyage-3-large": 120_000,
    "voyage-code-3": 120_000,
}
DEFAULT_TOKEN_LIMIT = 120_000
MAX_TEXTS_PER_REQUEST = 1000

T = TypeVar("T")


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (about 3 characters a token)."""
    return len(text) // 3 + 1


def batches(texts: Sequence[str], max_texts: int, max_tokens: int) -> Iterator[tuple[int, list[str]]]:
    """(offset, batch) pairs in order, each within both the text and the token budget."""
    start, tokens = 0, 0
    batch: list[str] = []
    for i, text in enumerate(texts):
        cost = estimate_tokens(text)
        if batch and (len(batch) >= max_texts or tokens + cost > max_tokens):
            yield start, batch
            start, batch, tokens = i, [], 0
        batch.append(text)
        tokens += cost
    if batch:
        yield start, batch


class VoyageCalls:
    """A voyageai client with our retries, backoff and error mapping; shared by the embedder and the reranker."""

    def __init__(
        self,
        api_key: str,
        *,
        what: str,
        unset_hint: str,
        base_url: str | None = None,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 20.0,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import voyageai  # only the Voyage providers touch the SDK; imported late to keep start-up fast

        self._sdk = voyageai
        # max_retries=0: the SDK's own retries would multiply with ours.
        self.client = voyageai.Client(api_key=api_key, max_retries=0, timeout=timeout, base_url=base_url)
        self.what = what  # "embeddings" or "rerank", for messages
        self.unset_hint = unset_hint  # how to do without Voyage, for the rejected-key message
        self.max_attempts = max(1, max_attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self._random = random.Random()

    def call(self, request: Callable[[Any], T], *, model: str) -> T:
        """request(client) once, retried on rate limits, server errors and lost connections."""
        err = self._sdk.error
        transient = (
            err.RateLimitError,
            err.ServerError,
            err.ServiceUnavailableError,
            err.APIConnectionError,
            err.Timeout,
            err.TryAgain,
        )
        last: Exception | None = None
        for attempt in range(self.max_attempts):
            try:
                return request(self.client)
            except err.AuthenticationError:
                raise RagbotError(
                    f"Voyage AI rejected the VOYAGE_API_KEY (unauthorised). Check the key, or {self.unset_hint}."
                ) from None
            except transient as e:
                last = e
            except err.VoyageError as e:
                status = getattr(e, "http_status", None) or 0
                if status == 403:
                    raise RagbotError("Voyage AI refused the VOYAGE_API_KEY (forbidden); check its access.") from None
                if status < 500:
                    # from None: the SDK's exception may quote the request (headers, key) back; only a short,
                    # redacted reason travels on.
                    raise RagbotError(
                        f"Voyage AI rejected the request for model {model!r} (HTTP {status}: {_brief(e)})."
                    ) from None
                last = e
            if attempt + 1 < self.max_attempts:
                self._sleep(self._delay(attempt, last))
        raise TransientError(
            f"Voyage AI {self.what} failed after {self.max_attempts} attempts ({_describe(last)}). Try again later."
        ) from None

    def _delay(self, attempt: int, error: Exception | None) -> float:
        """Exponential backoff with jitter; a Retry-After from the server wins, within max_delay."""
        backoff = min(self.max_delay, self.base_delay * 2**attempt) * (0.5 + self._random.random() / 2)
        raw = (getattr(error, "headers", None) or {}).get("retry-after")
        try:
            retry_after = float(raw) if raw is not None else -1.0
        except ValueError:
            return backoff
        return min(self.max_delay, max(backoff, retry_after))


class VoyageEmbedder:
    """Embeds with a Voyage model; input_type "document" for chunks and "query" for questions."""

    def __init__(
        self,
        api_key: str,
        *,
        model: str = "voyage-3.5",
        base_url: str | None = None,
        output_dimension: int | None = None,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 20.0,
        timeout: float = 60.0,
        max_batch_texts: int = MAX_TEXTS_PER_REQUEST,
        max_batch_tokens: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise RagbotError("VOYAGE_API_KEY is not set; set it or choose the local embedder.")
        self._calls = VoyageCalls(
            api_key, what="embeddings", unset_hint="unset it to use the offline embedder", base_url=base_url,
            max_attempts=max_attempts, base_delay=base_delay, max_delay=max_delay, timeout=timeout, sleep=sleep,
        )
        self.model = model
        self.model_id = model
        self.output_dimension = output_dimension
        self._dim = output_dimension or KNOWN_DIMS.get(model)
        self.max_batch_texts = min(max_batch_texts, MAX_TEXTS_PER_REQUEST)
        self.max_batch_tokens = max_batch_tokens or TOKEN_LIMITS.get(model, DEFAULT_TOKEN_LIMIT) // 2

    @property
    def dim(self) -> int:
        """Vector size; for a model not in KNOWN_DIMS the first read makes one small API call."""
        if self._dim is None:
            self.embed_query("dimension probe")
        assert self._dim is not None
        return self._dim

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for chunks, in order, in as few requests as the API limits allow."""
        out: list[list[float]] = []
        for _, batch in batches(list(texts), self.max_batch_texts, self.max_batch_tokens):
            out.extend(self._embed(batch, "document"))
        return out

    def embed_query(self, text: str) -> list[float]:
        """The vector for a search query."""
        return self._embed([text], "query")[0]

    def _embed(self, texts: list[str], input_type: str) -> list[list[float]]:
        """One embeddings request (with retries)."""
        # The API rejects empty strings; a lone space embeds as "nothing".
        texts = [t if t.strip() else " " for t in texts]
        result = self._calls.call(
            lambda client: client.embed(
                texts, model=self.model, input_type=input_type, truncation=True,
                output_dimension=self.output_dimension,
            ),
            model=self.model,
        )
        return self._check(result.embeddings, len(texts))

    def _check(self, vectors: list[Any], expected: int) -> list[list[float]]:
        """Validate the response shape and learn the dimension."""
        if len(vectors) != expected:
            raise TransientError(f"Voyage AI returned {len(vectors)} vectors for {expected} texts. Try again.")
        vectors = [[float(x) for x in v] for v in vectors]
        if self._dim is None and vectors:
            self._dim = len(vectors[0])
        return vectors


def _describe(error: Exception | None) -> str:
    """A short reason for a user message."""
    if error is None:
        return "no response"
    status = getattr(error, "http_status", None)
    name = type(error).__name__
    return f"{name}, HTTP {status}" if status else f"{name}: {_brief(error)}"


def _brief(error: Exception) -> str:
    """The first line of a provider's message, at most 160 characters, redacted: never the request it echoes."""
    from ragbot.observability.redaction import redact

    text = str(getattr(error, "user_message", None) or error).strip().splitlines()
    return redact(text[0][:160]) if text else type(error).__name__
