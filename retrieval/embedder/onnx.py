"""The "onnx" and "onnx-int8" backends: the model exported once to ONNX (pooling and
normalisation inside the graph, attention fused for onnxruntime, optionally int8 weights) into
a per-user cache, then run by onnxruntime. Both packages are optional (`attribot[onnx]`), so
they are imported only here, when one of these backends is asked for.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.embedder.common import cpu_count, model_dimension, resolve_model, thread_tokenizer
from retrieval.errors import ModelError

log = logging.getLogger("retrieval.embedder")  # the package's one logger

# Part of the ONNX cache key (and of bench cache keys): change it whenever the export changes.
ONNX_RECIPE = "opset17-eager-ortfused-pool-norm-v1"
ONNX_INT8_RECIPE = f"{ONNX_RECIPE}+qint8-per-channel-reduce-range-dynamic"
ONNX_EXTRA_HINT = "pip install 'attribot[onnx]'"
META_FILE = "attribot-onnx.json"  # written last: a folder without it is an unfinished export
_PROBES = [
    "The minister said the budget would be cut.",
    "Floods hit the port; farmers fear for the rice harvest this year.",
]


def onnx_recipe(backend: str) -> str:
    """What produced an ONNX backend's vectors."""
    return ONNX_INT8_RECIPE if backend == "onnx-int8" else ONNX_RECIPE


def require_onnx() -> None:
    """The ONNX backends need optional packages: say which and how to get them."""
    try:
        import onnx  # noqa: F401  (export, fusion and quantisation)
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ModelError(
            f"the ONNX embedding backends need the optional packages onnxruntime and onnx "
            f"({exc}): {ONNX_EXTRA_HINT}, or use ATTRIBOT_EMBED_BACKEND=torch"
        ) from None


def cache_root() -> Path:
    """Per-user cache: $ATTRIBOT_CACHE, else $XDG_CACHE_HOME/attribot, else ~/.cache/attribot.
    Never the repo or the index folder: an exported model is 22-90 MB and rebuildable."""
    if os.environ.get("ATTRIBOT_CACHE"):
        return Path(os.environ["ATTRIBOT_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "attribot"


def onnx_dir(name: str, backend: str) -> Path:
    """The cache folder of one model + backend + recipe. The key includes the weights' sizes
    and mtimes (an upgraded model package at the same path must not reuse an old export) and
    the onnxruntime version (its fused operators are what the file contains)."""
    import onnxruntime

    source = resolve_model(name)
    stamp = []
    folder = Path(source)
    if folder.is_dir():
        for f in sorted(folder.iterdir()):
            if f.is_file():
                st = f.stat()
                stamp.append(f"{f.name}:{st.st_size}:{st.st_mtime_ns}")
    key = "|".join([source, backend, onnx_recipe(backend), onnxruntime.__version__, *stamp])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_root() / "onnx" / digest


def export_onnx(name: str, backend: str, target: Path, exact: Callable[[], Any]) -> None:
    """Export the bundled/local weights to ONNX with pooling and normalisation inside the
    graph, fuse attention/LayerNorm/GELU for onnxruntime, optionally quantise, and check the
    result against the torch model (`exact()`, the shared one) before anything is published
    to `target`."""
    st = copy.deepcopy(exact())  # eager attention below: not the shared one
    auto = getattr(st[0], "auto_model", None)
    config = getattr(auto, "config", None)
    if auto is not None and hasattr(auto, "set_attn_implementation"):
        # sdpa exports as a graph the fuser cannot recognise; eager becomes one Attention op
        auto.set_attn_implementation("eager")
    st.eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        raw = work / "raw.onnx"
        inputs = _trace(st, raw)
        model_file = work / "model.onnx"
        _optimise(raw, model_file, config, backend)
        st.tokenizer.save_pretrained(str(work))
        meta = {
            "model": name,
            "backend": backend,
            "recipe": onnx_recipe(backend),
            "inputs": inputs,
            "max_seq_length": int(st.max_seq_length or 256),
            "dim": model_dimension(st),
            "model_bytes": model_file.stat().st_size,
        }
        # check before publishing: a wrong export must fail here, not give wrong answers
        want = exact().encode(_PROBES, normalize_embeddings=True, show_progress_bar=False)
        got = OnnxModel(work, meta, threads=1).encode(_PROBES)
        floor = 0.999 if backend == "onnx" else 0.95
        cos = float((want * got).sum(1).min())
        if cos < floor:
            raise ModelError(f"ONNX export of '{name}' disagrees with torch (cosine {cos:.4f})")
        (work / META_FILE).write_text(json.dumps(meta, indent=1))
        _publish(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _trace(st: Any, raw: Path) -> list[str]:
    """The SentenceTransformer `st` traced to an ONNX graph at `raw`, its output the pooled,
    normalised embedding; the graph's input names."""
    import torch

    sample = st.tokenizer(_PROBES, padding=True, return_tensors="pt")
    inputs = list(sample.keys())

    class Wrapped(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            features = dict(zip(inputs, tensors, strict=True))
            return self.model(features)["sentence_embedding"]

    axes = {k: {0: "batch", 1: "tokens"} for k in inputs}
    with torch.no_grad():
        torch.onnx.export(
            Wrapped(st),
            tuple(sample[k] for k in inputs),
            str(raw),
            input_names=inputs,
            output_names=["sentence_embedding"],
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,  # the dynamo exporter needs onnxscript; this one needs nothing
        )
    return inputs


def _optimise(raw: Path, model_file: Path, config: Any, backend: str) -> None:
    """`raw` fused for onnxruntime (and for "onnx-int8" quantised) into `model_file`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    model_type = getattr(config, "model_type", "")
    if model_type == "bert":  # MiniLM and kin: the fuser's patterns were checked on it
        fused = optimize_model(
            str(raw),
            model_type="bert",
            num_heads=int(getattr(config, "num_attention_heads", 0)),
            hidden_size=int(getattr(config, "hidden_size", 0)),
            opt_level=1,
        )
        fused.save_model_to_file(str(model_file))
    else:  # other architectures: onnxruntime's generic graph optimisations only
        raw.replace(model_file)
    raw.unlink(missing_ok=True)
    if backend == "onnx-int8":
        # Per-channel int8 weights, activations quantised per batch at run time. Per-tensor
        # weights moved vectors to cosine 0.96 of the exact ones; per-channel keeps 0.99.
        # 7-bit weights (reduce_range): on x86 CPUs without VNNI (AVX2 only, e.g. AMD EPYC
        # here) the u8 x s8 products saturate int16, and full-range weights put the worst
        # probe (a 2-token text) at cosine 0.968; reduced range gives 0.978 there, the rest
        # unchanged (0.989-0.993). Measured on this AVX2 machine only.
        quantized = model_file.with_name("model.int8.onnx")
        quantize_dynamic(
            str(model_file),
            str(quantized),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            # fused contrib ops defeat shape inference; their outputs are all float
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        quantized.replace(model_file)


@contextlib.contextmanager
def _quiet_export():
    """The tracer warns about every shape check it bakes in (all hold for any batch: the
    export is checked against torch) and the fuser and quantiser log ~60 lines, some on the
    root logger: keep them out of the bot's log. Their errors, and everyone else's lines,
    still pass."""

    def keep(record: logging.LogRecord) -> bool:
        noisy = "onnxruntime" in record.pathname or "torch/onnx" in record.pathname
        return record.levelno >= (logging.ERROR if noisy else logging.NOTSET)

    root = logging.getLogger()
    # the quantiser calls logging.warning(), which would basicConfig() an unconfigured root
    # logger for the whole process: a handler in place stops that
    guard = None if root.handlers else logging.NullHandler()
    if guard:
        root.addHandler(guard)
    filtered = [root, *root.handlers]  # the root logger's own lines, then what propagates
    for f in filtered:
        f.addFilter(keep)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for f in filtered:
            f.removeFilter(keep)
        if guard:
            root.removeHandler(guard)


def _publish(work: Path, target: Path) -> None:
    """Move a finished export into place with one rename, so no reader ever sees half of one.
    Another process may have published first: then keep theirs."""
    if read_meta(target) is not None:
        return  # a concurrent export finished first (damaged ones are removed before export)
    shutil.rmtree(target, ignore_errors=True)  # an unfinished one: a crash mid-export
    try:
        os.replace(work, target)
    except OSError:
        if read_meta(target) is None:
            raise


def read_meta(folder: Path) -> dict | None:
    """The folder's metadata if it is a complete export, else None."""
    try:
        meta = json.loads((folder / META_FILE).read_text())
        if (folder / "model.onnx").stat().st_size != meta["model_bytes"]:
            return None
        return meta
    except (OSError, ValueError, KeyError, TypeError):
        return None


class OnnxModel:
    """An exported model run by onnxruntime, with the few SentenceTransformer members the
    Embedder uses (encode, tokenizer, max_seq_length, get_embedding_dimension)."""

    def __init__(self, folder: Path, meta: dict, threads: int = 0):
        from transformers import AutoTokenizer

        self.folder = Path(folder)
        self.inputs: list[str] = list(meta["inputs"])
        self.max_seq_length = int(meta["max_seq_length"])
        self.dim = int(meta["dim"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.folder))
        self._local = threading.local()
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()
        self.threads = threads or cpu_count()
        self._session(self.threads)  # a corrupt file fails here, at load, not mid-ingest

    def _session(self, threads: int):
        """One session per thread count: onnxruntime fixes it when the session is made, so a
        1-thread query session sits beside the all-core batch one (created on first use)."""
        with self._lock:
            if threads not in self._sessions:
                import onnxruntime as ort

                opts = ort.SessionOptions()
                opts.intra_op_num_threads = threads
                opts.inter_op_num_threads = 1
                # Idle workers spinning burn the cores ingest's attribution thread and other
                # processes need; measured no slower without it.
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                self._sessions[threads] = ort.InferenceSession(
                    str(self.folder / "model.onnx"), opts, providers=["CPUExecutionProvider"]
                )
            return self._sessions[threads]

    def get_embedding_dimension(self) -> int:
        return self.dim

    def _tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        enc = thread_tokenizer(self._local, self.tokenizer)(
            texts,
            padding=True,
            truncation="longest_first",
            max_length=self.max_seq_length,
            return_tensors="np",
        )
        return {k: np.asarray(enc[k], dtype=np.int64) for k in self.inputs}

    def encode(
        self,
        texts: list[str],
        batch_size: int = 16,
        normalize_embeddings: bool = True,
        threads: int | None = None,
        **_ignored,
    ) -> np.ndarray:
        """Vectors in input order; longest texts first in batches so padding stays small."""
        session = self._session(threads or self.threads)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            feed = self._tokenize([texts[i] for i in rows])
            out[rows] = session.run(None, feed)[0]
        if normalize_embeddings:  # the graph normalises already; other models may not
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.maximum(norms, 1e-12)
        return out


def load_onnx(name: str, backend: str, exact: Callable[[], Any]) -> OnnxModel:
    """The cached export, made on first use (from `exact()`, the torch model); an unfinished
    or unreadable one is rebuilt."""
    require_onnx()
    folder = onnx_dir(name, backend)
    meta = read_meta(folder)
    if meta is not None:
        try:
            return OnnxModel(folder, meta)
        except Exception as exc:  # onnxruntime raises its own types for a damaged file
            log.warning("rebuilding damaged ONNX cache %s: %s", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
    log.info("exporting embedding model %s to ONNX (%s) in %s", name, backend, folder)
    try:
        with _quiet_export():
            export_onnx(name, backend, folder, exact)
    except OSError as exc:  # a read-only home, a full disk
        raise ModelError(
            f"cannot write the ONNX export to {folder}: {exc}. Set ATTRIBOT_CACHE to a "
            "writable folder."
        ) from None
    meta = read_meta(folder)
    if meta is None:
        raise ModelError(f"ONNX export of '{name}' to {folder} did not complete")
    return OnnxModel(folder, meta)
