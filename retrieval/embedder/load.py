"""One loaded model per (model, backend) per process: every index, test and benchmark in a
process shares it, and nothing is downloaded (the bundled model, a local path, or one already
in the Hugging Face cache)."""

from __future__ import annotations

import copy
import logging
import os
import threading
from typing import Any

from retrieval.embedder.common import BACKENDS, ONNX_BACKENDS, resolve_model
from retrieval.embedder.int8 import INT8_RECIPE, quantize_int8
from retrieval.embedder.onnx import ONNX_INT8_RECIPE, ONNX_RECIPE, OnnxModel, load_onnx
from retrieval.errors import ModelError

log = logging.getLogger("retrieval.embedder")  # the package's one logger

_LOADED: dict[tuple[str, str], Any] = {}
_LOAD_LOCK = threading.RLock()  # re-entered when int8/onnx load the exact model first


def backend_recipe(backend: str) -> str:
    """What produced a backend's vectors: bench caches key embeddings by it."""
    return {"int8": INT8_RECIPE, "onnx": ONNX_RECIPE, "onnx-int8": ONNX_INT8_RECIPE}.get(
        backend, ""
    )


def _load_onnx(name: str, backend: str) -> OnnxModel:
    """The ONNX model from its cache (exported from the shared torch model on first use),
    bypassing this process's model cache."""
    return load_onnx(name, backend, exact=lambda: load_model(name, "torch"))


def _load_torch(name: str) -> Any:
    # Nothing can be downloaded here: never let the hub client try and hang.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(resolve_model(name), device="cpu")
    except Exception as exc:  # the library raises many types for "not found"
        raise ModelError(
            f"cannot load embedding model '{name}': {exc}. Give a local path "
            "or a model already in the Hugging Face cache (no downloads here)."
        ) from None
    log.info("loaded embedding model %s", name)
    return model


def load_model(name: str, backend: str = "torch") -> Any:
    """One SentenceTransformer (or OnnxModel) per model and backend per process: every index
    and test shares it."""
    if backend not in BACKENDS:
        raise ModelError(f"unknown embedding backend {backend!r}: use one of {BACKENDS}")
    with _LOAD_LOCK:
        key = (name, backend)
        if key not in _LOADED and backend in ONNX_BACKENDS:
            _LOADED[key] = _load_onnx(name, backend)
        if key not in _LOADED and backend == "int8":
            # quantise a copy: the exact model stays shared by indexes that use it
            _LOADED[key] = quantize_int8(copy.deepcopy(load_model(name, "torch")))
            log.info("quantised embedding model %s to int8", name)
        if key not in _LOADED:
            _LOADED[key] = _load_torch(name)
        return _LOADED[key]
