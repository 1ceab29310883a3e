"""The ONNX embedding backends on the real bundled model and real onnxruntime: same vectors
as torch, exported once into a per-user cache that survives damage, clear error without
the optional packages."""

from __future__ import annotations

import logging
import os
import sys

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from retrieval.embedder import BACKENDS, BUNDLED_MODEL, ONNX_BACKENDS, Embedder  # noqa: E402
from retrieval.embedder import load as L  # noqa: E402
from retrieval.embedder import onnx as O  # noqa: E402
from retrieval.errors import ModelError  # noqa: E402

PASSAGES = [
    "The port authority approved a new container terminal on Monday.",
    "Harbour master Ada Whitlock said the terminal would double capacity.",
    "Rice farmers fear the drought will ruin this year's harvest.",
    "The central bank raised interest rates by half a point.",
    "A wildfire forced thousands to leave their homes near Denver.",
    "Teachers went on strike over pay for the third week.",
    "The vaccine rollout reached rural clinics in Nairobi.",
    "Election turnout was the lowest in two decades, officials said.",
    "",  # an empty paragraph must not break padding or pooling
    "The minister said the budget would be cut. " * 80,  # past the 256-token limit
]
QUESTIONS = [
    "What did the harbour master say about the terminal?",
    "How did the drought affect farmers?",
    "Why did teachers strike?",
    "Who raised interest rates?",
]


@pytest.fixture(scope="module", autouse=True)
def onnx_cache(tmp_path_factory):
    """Exports go to a temporary cache, never ~/.cache; the process-wide models too."""
    folder = tmp_path_factory.mktemp("attribot-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATTRIBOT_CACHE", str(folder))
        for backend in ONNX_BACKENDS:
            mp.delitem(L._LOADED, (BUNDLED_MODEL, backend), raising=False)
        yield folder
        for backend in ONNX_BACKENDS:
            L._LOADED.pop((BUNDLED_MODEL, backend), None)


def exports_in(caplog) -> list[str]:
    """The cache folders this process exported into, from the loader's log."""
    return [
        str(r.args[-1])
        for r in caplog.records
        if r.name == "retrieval.embedder" and r.msg.startswith("exporting embedding model")
    ]


def _neighbours(emb: Embedder, k: int) -> np.ndarray:
    corpus = emb.encode(PASSAGES)
    queries = np.vstack([emb.encode_query(q) for q in QUESTIONS])
    return np.argsort(-(queries @ corpus.T), axis=1)[:, :k]


@pytest.mark.parametrize(
    ("backend", "floor", "k"),
    [("onnx", 0.999, 3), ("onnx-int8", 0.97, 1)],
)
def test_onnx_vectors_match_torch(backend, floor, k, onnx_cache):
    exact, fast = Embedder(), Embedder(backend=backend)
    a, b = exact.encode(PASSAGES), fast.encode(PASSAGES)
    assert b.shape == a.shape and b.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cos = (a * b).sum(1)
    assert cos.min() > floor, cos
    assert cos.mean() > 0.99, cos
    q = fast.encode_query(QUESTIONS[0])  # the 1-thread query session
    assert q.shape == (1, exact.dim) and not q.flags.writeable
    assert float((q * exact.encode_query(QUESTIONS[0])).sum()) > floor
    assert (_neighbours(exact, k) == _neighbours(fast, k)).all()
    # ingest counts tokens with the backend's tokenizer: same numbers as torch
    assert fast.max_tokens == exact.max_tokens == 256
    assert fast.dim == exact.dim == 384
    assert [fast.count_tokens(t) for t in PASSAGES] == [exact.count_tokens(t) for t in PASSAGES]
    assert fast.model.folder.is_relative_to(onnx_cache)  # never the repo


def test_the_export_is_cached_and_reused(onnx_cache, caplog):
    L._load_onnx(BUNDLED_MODEL, "onnx")  # exported by the test above, or now
    folder = O.onnx_dir(BUNDLED_MODEL, "onnx")
    mtime = (folder / "model.onnx").stat().st_mtime_ns
    with caplog.at_level(logging.INFO, logger="retrieval.embedder"):
        model = L._load_onnx(BUNDLED_MODEL, "onnx")  # a fresh load, as a new process would
    assert not exports_in(caplog)
    assert (folder / "model.onnx").stat().st_mtime_ns == mtime
    assert model.encode(["hello"]).shape == (1, 384)
    # nothing left behind by the export but the published folders
    assert not [p for p in (onnx_cache / "onnx").iterdir() if p.name.startswith(".")]


def test_a_damaged_or_partial_cache_is_rebuilt(onnx_cache, caplog):
    L._load_onnx(BUNDLED_MODEL, "onnx")
    folder = O.onnx_dir(BUNDLED_MODEL, "onnx")
    model_file = folder / "model.onnx"
    # garbage of the right size: the metadata check passes, onnxruntime refuses the file
    size = model_file.stat().st_size
    garbage = os.urandom(1024) * (size // 1024) + b"\0" * (size % 1024)
    model_file.write_bytes(garbage)
    with caplog.at_level(logging.INFO, logger="retrieval.embedder"):
        model = L._load_onnx(BUNDLED_MODEL, "onnx")
    assert exports_in(caplog) == [str(folder)]
    assert (folder / "model.onnx").read_bytes()[:1024] != garbage[:1024]
    assert model.encode(["hello"]).shape == (1, 384)
    # a half-written folder (no metadata, truncated model) is not trusted either
    (folder / O.META_FILE).unlink()
    model_file.write_bytes(b"\0" * 100)
    assert O.read_meta(folder) is None


def test_missing_packages_say_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import now raises ImportError
    with pytest.raises(ModelError, match=r"pip install 'attribot\[onnx\]'"):
        L._load_onnx(BUNDLED_MODEL, "onnx")


def test_settings_accept_every_backend(monkeypatch):
    from pydantic import ValidationError

    from bot.settings import Settings

    for backend in BACKENDS:
        monkeypatch.setenv("ATTRIBOT_EMBED_BACKEND", backend)
        assert Settings(_env_file=None).embed_backend == backend
    monkeypatch.setenv("ATTRIBOT_EMBED_BACKEND", "onnx-fp16")
    with pytest.raises(ValidationError, match="onnx-int8"):
        Settings(_env_file=None)
