"""FAISS vector index keyed by paragraph id, saved atomically beside a small JSON sidecar."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

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


class VectorIndex:
    """Exact inner-product search over normalised vectors, with stable integer ids."""

    def __init__(self, dim: int, index: faiss.Index | None = None):
        self.dim = dim
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dim: int) -> VectorIndex:
        index = cls(dim)
        index.add(ids, vectors)
        return index

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def remove(self, ids: list[int]) -> None:
        if ids:
            self.index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self.ntotal == 0 or k <= 0:
            return []
        scores, ids = self.index.search(np.ascontiguousarray(query, dtype=np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def save(self, folder: Path, info: VectorFileInfo) -> None:
        """Write to temporary names, then rename: a crash leaves the old files or the new."""
        folder = Path(folder)
        tmp_index = folder / (VECTORS_FILE + ".tmp")
        tmp_side = folder / (SIDECAR_FILE + ".tmp")
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
