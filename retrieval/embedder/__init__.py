"""Sentence embeddings: the bundled all-MiniLM-L6-v2 by default, any sentence-transformers
model by name or path otherwise. Vectors are L2-normalised so inner product is cosine.

One job per module, imported one way (common <- int8, onnx <- load <- encoder):
- common.py: model names, backend names, helpers every backend shares;
- int8.py: dynamic int8 quantisation of the torch model;
- onnx.py: ONNX export into a per-user cache, and the onnxruntime model;
- load.py: one loaded model per (model, backend) per process;
- encoder.py: `Embedder`, what the index and the benchmarks call.
"""

from __future__ import annotations

from retrieval.embedder.common import BACKENDS, BUNDLED_MODEL, ONNX_BACKENDS, resolve_model
from retrieval.embedder.encoder import BATCH_SIZES, QUERY_THREADS, Embedder
from retrieval.embedder.load import backend_recipe, load_model

__all__ = [
    "BACKENDS",
    "BATCH_SIZES",
    "BUNDLED_MODEL",
    "ONNX_BACKENDS",
    "QUERY_THREADS",
    "Embedder",
    "backend_recipe",
    "load_model",
    "resolve_model",
]
