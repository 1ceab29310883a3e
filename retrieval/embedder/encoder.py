"""`Embedder`: texts and questions to vectors with one model and backend, loaded lazily so
commands that never embed stay fast."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import numpy as np

from retrieval.embedder.common import (
    BACKENDS,
    BUNDLED_MODEL,
    ONNX_BACKENDS,
    model_dimension,
    thread_tokenizer,
)
from retrieval.embedder.load import backend_recipe, load_model
from retrieval.errors import ModelError

QUERY_THREADS = 1  # torch threads for encoding one question (see _encode_query_uncached)
# Per-backend batch size: onnxruntime is fastest on small length-sorted batches (less padding;
# bench: 1.6x vs 1.2x at 64), torch on the larger ones it shipped with.
BATCH_SIZES = {"torch": 64, "int8": 64, "onnx": 16, "onnx-int8": 16}


class Embedder:
    """Wraps a SentenceTransformer; loads lazily so commands that never embed stay fast."""

    def __init__(
        self,
        model: str | None = None,
        batch_size: int | None = None,
        backend: str = "torch",
        query_threads: int = QUERY_THREADS,
    ):
        """`backend`: "torch" (exact, default), "int8" (dynamically quantised Linear layers,
        faster on CPU), "onnx" (onnxruntime, same vectors) or "onnx-int8" (onnxruntime with
        int8 weights, fastest); the last three differ slightly from torch, so keep one backend
        per index. ONNX ones need `pip install 'attribot[onnx]'` and export on first use.
        `batch_size`: None for the backend's best (BATCH_SIZES).
        `query_threads`: threads for one question (0 = leave torch's setting / all cores)."""
        if backend not in BACKENDS:
            raise ModelError(f"unknown embedding backend {backend!r}: use one of {BACKENDS}")
        self.name = model or BUNDLED_MODEL
        self.batch_size = batch_size or BATCH_SIZES[backend]
        self.backend = backend
        self.query_threads = query_threads
        self._model = None
        self._query_cache = lru_cache(maxsize=1024)(self._encode_query_uncached)
        self._local = threading.local()

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = load_model(self.name, self.backend)
        return self._model

    @property
    def recipe(self) -> str:
        """What makes this backend's vectors ("" for exact torch): part of bench cache keys."""
        return backend_recipe(self.backend)

    @property
    def dim(self) -> int:
        return model_dimension(self.model)

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length or 256)

    def count_tokens(self, text: str) -> int:
        """Exact WordPiece count with special tokens. Ingest calls this from a worker thread
        while `encode` runs, so each thread counts with its own tokenizer (thread_tokenizer)."""
        tok = thread_tokenizer(self._local, self.model.tokenizer)
        return len(tok(text, add_special_tokens=True)["input_ids"])

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One question's vector (1, dim); repeated questions are served from a cache."""
        return self._query_cache(text)

    def _encode_query_uncached(self, text: str) -> np.ndarray:
        vector = self.encode_few([text])
        vector.setflags(write=False)
        return vector

    def encode_few(self, texts: list[str]) -> np.ndarray:
        """A few short texts at question time (a question, the sentences of one passage), in
        one batch on the question's thread budget, uncached."""
        if self.backend in ONNX_BACKENDS:  # same reasoning as below, with its own session
            return self.model.encode(list(texts), threads=self.query_threads or None)
        import torch

        # A 10-20 token question is too small to split across cores: with 2 threads each op
        # waits for the slower one, and on a busy machine that wait is the p99 (bench/perf.py:
        # p99 700 ms with 2 threads vs 40 ms with 1 under load). Batch encoding keeps all.
        prev = torch.get_num_threads()
        change = self.query_threads > 0 and prev != self.query_threads
        if change:
            torch.set_num_threads(self.query_threads)
        try:
            return self.encode(list(texts))
        finally:
            if change:
                torch.set_num_threads(prev)
