"""FAISS vector index keyed by paragraph id, saved atomically beside a small JSON sidecar.

Index type (measured by bench/perf.py on 2 cores, 384-d MiniLM vectors):
- up to FLAT_MAX vectors: exact IndexFlatIP behind IndexIDMap2 (~0.2 ms per 1k vectors).
- above: IndexIVFFlat (inner product) with nlist = 4*sqrt(n) clusters trained by k-means on
  up to 64 points per cluster, nprobe = NPROBE, and a hash-table direct map so ids can still
  be removed and vectors reconstructed (fusion re-scores keyword candidates with them).
  IVF rather than HNSW because ingest removes ids (HNSW cannot) and it trains in about a
  minute at 1M where HNSW takes many minutes to build on 2 cores.
An exact index grows into an IVF one on `add` once it passes 2*FLAT_MAX; an IVF index is
re-clustered when it has grown 4x past the size it was trained at.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

VECTORS_FILE = "vectors.faiss"
SIDECAR_FILE = "vectors.json"


@dataclass(slots=True)
class VectorFileInfo:
    generation: int
    count: int
    dim: int
    model: str


FLAT_MAX = 50_000  # exact search below this many vectors
NPROBE = 32  # IVF lists probed per query: recall@10 vs exact >= 0.95 in bench/perf.py
TRAIN_PER_LIST = 64


def ivf_nlist(n: int) -> int:
    return int(max(64, min(16384, round(4 * np.sqrt(max(n, 1))))))


def build_ivf(ids: np.ndarray, vectors: np.ndarray, dim: int, nprobe: int = NPROBE) -> Any:
    """A trained IVFFlat index holding `vectors` under `ids`."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    nlist = ivf_nlist(len(vectors))
    # index_factory makes the IVF index own its quantizer (no Python-side lifetime to manage)
    ivf: Any = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    n_train = min(len(vectors), nlist * TRAIN_PER_LIST)
    sample = (
        vectors[rng.choice(len(vectors), n_train, replace=False)]
        if n_train < len(vectors)
        else vectors
    )
    ivf.cp.niter = 10  # k-means converges enough for retrieval in 10 rounds; 25 is 2.5x slower
    ivf.train(sample)
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
    ivf.nprobe = nprobe
    ivf.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
    return ivf


def _inverted_lists(index: Any, with_vectors: bool) -> tuple[np.ndarray, np.ndarray]:
    """One walk over an IVF index's inverted lists: (ids, float32 vectors flattened), the
    vectors empty unless asked for."""
    inv = index.invlists
    ids_l, vec_l = [], []
    for lst in range(index.nlist):
        n = inv.list_size(lst)
        if not n:
            continue
        ids_l.append(faiss.rev_swig_ptr(inv.get_ids(lst), n).copy())
        if with_vectors:
            codes = faiss.rev_swig_ptr(inv.get_codes(lst), n * index.d * 4)
            vec_l.append(np.frombuffer(codes.copy(), dtype=np.float32))
    ids = np.concatenate(ids_l).astype(np.int64) if ids_l else np.zeros(0, np.int64)
    vectors = np.concatenate(vec_l) if vec_l else np.zeros(0, np.float32)
    return ids, vectors


def vector_ids(index: Any) -> np.ndarray | None:
    """Every id a FAISS index holds (duplicates kept), or None for an unknown index type
    (`attribot check` reads vector files it did not write)."""
    if isinstance(index, faiss.IndexIDMap):  # IndexIDMap2 is a subclass
        return faiss.vector_to_array(index.id_map).astype(np.int64)
    if isinstance(index, faiss.IndexIVF):
        return _inverted_lists(index, with_vectors=False)[0]
    return None


class VectorIndex:
    """Inner-product search over normalised vectors, with stable integer ids: exact up to
    FLAT_MAX vectors, IVF above (see the module docstring)."""

    def __init__(self, dim: int, index: faiss.Index | None = None):
        self.dim = dim
        # Any: FAISS's stubs describe the base Index, not IndexIDMap2's or IVF's members
        self.index: Any = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._trained_at = self.ntotal if self.is_approximate else 0

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dim: int) -> VectorIndex:
        if len(ids) > FLAT_MAX:
            return cls(dim, build_ivf(np.asarray(ids), vectors, dim))
        index = cls(dim)
        index.add(ids, vectors)
        return index

    @property
    def is_approximate(self) -> bool:
        return isinstance(self.index, faiss.IndexIVF)

    def _all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (id, vector) held, for re-building as another index type."""
        if self.is_approximate:
            ids, vectors = _inverted_lists(self.index, with_vectors=True)
            return ids, vectors.reshape(-1, self.dim)
        ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        return ids, self.index.index.reconstruct_n(0, self.ntotal)

    def ids(self) -> np.ndarray:
        """Every id held (duplicates kept), in storage order."""
        found = vector_ids(self.index)
        assert found is not None, "a VectorIndex is always IndexIDMap2 or IVF"
        return found

    def _maybe_regrow(self) -> None:
        n = self.ntotal
        if (not self.is_approximate and n > 2 * FLAT_MAX) or (
            self.is_approximate and n > 4 * max(self._trained_at, 1)
        ):
            ids, vecs = self._all()
            self.index = build_ivf(ids, vecs, self.dim)
            self._trained_at = n

    def vectors_for(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """Stored vectors of the given ids (rows of zeros for unknown ids).

        In one step for the lot, not one FAISS call per id (~7 µs each from Python): a
        search within a 1,000-paragraph collection scores all of them exactly, and the
        per-id loop made it 1.14x the unscoped search at 100k (bench/perf.py --scopes-only).
        """
        ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        if len(ids) == 0 or self.ntotal == 0:
            return np.zeros((len(ids), self.dim), dtype=np.float32)
        if self.is_approximate:
            with contextlib.suppress(RuntimeError):  # an unknown id: one by one below
                return self.index.reconstruct_batch(ids)
        else:
            rows = self._flat_rows(ids)
            if rows is not None:
                xb = faiss.rev_swig_ptr(self._flat().get_xb(), self.ntotal * self.dim)
                out = np.zeros((len(ids), self.dim), dtype=np.float32)
                known = rows >= 0
                out[known] = xb.reshape(self.ntotal, self.dim)[rows[known]]
                return out
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for row, pid in enumerate(ids.tolist()):
            with contextlib.suppress(RuntimeError):  # unknown id: leave zeros
                out[row] = self.index.reconstruct(pid)
        return out

    def _flat(self) -> Any:
        return faiss.downcast_index(self.index.index)

    def _flat_rows(self, ids: np.ndarray) -> np.ndarray | None:
        """Row of each id in the exact index's storage (-1 for unknown ids), or None when the
        stored ids are not ascending. They always are here: paragraph ids only grow, the
        index is built in id order, and removing keeps the order of the rest."""
        held = faiss.vector_to_array(self.index.id_map)
        if len(held) > 1 and not bool(np.all(held[1:] > held[:-1])):
            return None
        at = np.searchsorted(held, ids)
        at[at >= len(held)] = 0
        return np.where(held[at] == ids, at, -1)

    def search_arrays(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the top k, best first, without the -1 padding."""
        if self.ntotal == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        # One query on one thread: FAISS's OpenMP team gains nothing on a single vector, and
        # its end-of-search barrier waits for the other thread to be scheduled, which on a
        # busy 2-core machine costs whole scheduler slices (bench/perf.py: flat top-50 over
        # 20k went from p50 24 ms to ~2 ms). OpenMP thread counts are per calling thread.
        prev = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self.index.search(q, min(k, self.ntotal))
        finally:
            faiss.omp_set_num_threads(prev)
        keep = ids[0] != -1
        return ids[0][keep], scores[0][keep]

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
            self._maybe_regrow()

    def remove(self, ids: list[int]) -> None:
        if ids:
            self.index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        ids, scores = self.search_arrays(query, k)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def save(self, folder: Path, info: VectorFileInfo) -> None:
        """Write to temporary names, then rename: a crash leaves the old files or the new."""
        folder = Path(folder)
        # Names of our own: two processes saving at once (a bot and a shell ingest) must not
        # write into the same temporary file.
        tag = f".{os.getpid()}-{threading.get_ident()}.tmp"
        tmp_index = folder / (VECTORS_FILE + tag)
        tmp_side = folder / (SIDECAR_FILE + tag)
        faiss.write_index(self.index, str(tmp_index))
        with open(tmp_index, "rb+") as fh:
            os.fsync(fh.fileno())
        tmp_side.write_text(json.dumps(_asdict(info)))
        os.replace(tmp_index, folder / VECTORS_FILE)
        os.replace(tmp_side, folder / SIDECAR_FILE)

    @classmethod
    def load(cls, folder: Path) -> tuple[VectorIndex, VectorFileInfo] | None:
        """The saved index and what it was built from, or None when absent or unreadable."""
        folder = Path(folder)
        path, side = folder / VECTORS_FILE, folder / SIDECAR_FILE
        if not path.exists() or not side.exists():
            return None
        try:
            info = VectorFileInfo(**json.loads(side.read_text()))
            index = faiss.read_index(str(path))
        except (OSError, ValueError, TypeError, RuntimeError):
            return None
        return cls(info.dim, index), info


def read_sidecar(folder: Path) -> VectorFileInfo | None:
    try:
        return VectorFileInfo(**json.loads((Path(folder) / SIDECAR_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _asdict(info: VectorFileInfo) -> dict:
    return {name: getattr(info, name) for name in info.__slots__}
