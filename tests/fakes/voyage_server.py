"""A local HTTP server that speaks Voyage AI's embeddings and rerank APIs, so the real voyageai SDK runs against it."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import struct
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.local_server import LocalServer, RecordedRequest, read_request

EMBEDDINGS = "/v1/embeddings"
RERANK = "/v1/rerank"
_WORD = re.compile(r"[a-z0-9]+")


def fake_vector(text: str, dim: int) -> list[float]:
    """A deterministic unit vector for a text."""
    rng = random.Random(hashlib.sha256(text.encode()).digest())
    v = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / norm for x in v]


def overlap_score(query: str, document: str) -> float:
    """The fake reranker's relevance: the share of the query's distinct words found in the document."""
    words = set(_WORD.findall(query.lower()))
    return len(words & set(_WORD.findall(document.lower()))) / len(words) if words else 0.0


class FakeVoyageServer(LocalServer):
    """POST /v1/embeddings and /v1/rerank on 127.0.0.1; base_url is what voyageai.Client(base_url=...) wants."""

    def __init__(self, *, dim: int = 1024, api_key: str | None = None, max_texts: int = 1000) -> None:
        super().__init__()
        self.dim = dim
        self.api_key = api_key  # when set, other keys get 401 like the real API
        self.max_texts = max_texts
        self._failures: dict[str, list[tuple[int, dict[str, str]]]] = {EMBEDDINGS: [], RERANK: []}

    @property
    def base_url(self) -> str:
        """The URL to pass as base_url (the SDK appends /embeddings)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def fail_next(self, n: int, status: int = 429, retry_after: str | None = "0", *, path: str = EMBEDDINGS) -> None:
        """Answer the next n requests to path (embeddings or rerank) with an error status (429 has Retry-After)."""
        headers = {"Retry-After": retry_after} if retry_after is not None and status == 429 else {}
        with self._lock:
            self._failures[path].extend([(status, headers)] * n)

    def embedding_requests(self) -> list[RecordedRequest]:
        """The recorded POSTs to /v1/embeddings."""
        return [r for r in self.requests if r.path == EMBEDDINGS]

    def rerank_requests(self) -> list[RecordedRequest]:
        """The recorded POSTs to /v1/rerank."""
        return [r for r in self.requests if r.path == RERANK]

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this fake."""
        return _make_handler(self)

    def respond(self, request: RecordedRequest) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Status, headers and JSON body for a request."""
        with self._lock:
            self.requests.append(request)
            queued = self._failures.get(request.path)
            failure = queued.pop(0) if queued else None
        if request.path not in self._failures or request.method != "POST":
            return 404, {}, {"detail": "Not found"}
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {}, {"detail": "Provided API key is invalid."}
        if failure is not None:
            status, headers = failure
            return status, headers, {"detail": f"Injected failure {status}"}
        body = request.body if isinstance(request.body, dict) else {}
        if request.path == RERANK:
            return _rerank(body)
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return 400, {}, {"detail": "input must be a non-empty string or list of strings"}
        if len(texts) > self.max_texts:
            return 400, {}, {"detail": f"The batch size limit is {self.max_texts}. Your batch size is {len(texts)}."}
        dim = body.get("output_dimension") or self.dim
        data = []
        for i, text in enumerate(texts):
            vec = fake_vector(text, dim)
            embedding: Any = vec
            if body.get("encoding_format") == "base64":
                embedding = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode()
            data.append({"object": "embedding", "embedding": embedding, "index": i})
        tokens = sum(len(t) // 4 + 1 for t in texts)
        return 200, {}, {"object": "list", "data": data, "model": body.get("model"), "usage": {"total_tokens": tokens}}


def _rerank(body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Rank the documents by word overlap with the query, best first (ties keep input order), cut to top_k."""
    query, docs, top_k = body.get("query"), body.get("documents"), body.get("top_k")
    if not isinstance(query, str) or not query:
        return 400, {}, {"detail": "query must be a non-empty string"}
    if not isinstance(docs, list) or not docs or not all(isinstance(d, str) and d for d in docs):
        return 400, {}, {"detail": "documents must be a non-empty list of non-empty strings"}
    if not isinstance(body.get("model"), str):
        return 400, {}, {"detail": "model is required"}
    scored = sorted(((overlap_score(query, d), i) for i, d in enumerate(docs)), key=lambda s: (-s[0], s[1]))
    if isinstance(top_k, int):
        scored = scored[:top_k]
    tokens = sum(len(d) // 4 + 1 for d in docs) + len(docs) * (len(query) // 4 + 1)
    data = [{"index": i, "relevance_score": score} for score, i in scored]
    return 200, {}, {"object": "list", "data": data, "model": body["model"], "usage": {"total_tokens": tokens}}


def _make_handler(fake: FakeVoyageServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one fake."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            status, extra, payload = fake.respond(read_request(self))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST  # noqa: N815 - recorded and answered 404

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
            pass

    return Handler
