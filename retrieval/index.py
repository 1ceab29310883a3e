"""An index folder: SQLite metadata plus the vector file derived from it."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from retrieval.embedder import Embedder
from retrieval.errors import IndexProblem
from retrieval.store import DB_FILE, Store
from retrieval.vectors import VectorFileInfo, VectorIndex, read_sidecar

log = logging.getLogger(__name__)


class Index:
    """Opens (or creates) an index folder and keeps its derived vector file consistent.

    The vector file is trusted only when its sidecar records the database's current
    generation and paragraph count; otherwise it is rebuilt from the embeddings SQLite keeps,
    which needs no model and no re-embedding.
    """

    def __init__(
        self,
        folder: str | Path,
        model: str | None = None,
        create: bool = True,
        backend: str | None = None,
    ):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise IndexProblem(f"{self.folder} is a file, not an index folder")
        if not (self.folder / DB_FILE).exists():
            if not create:
                raise IndexProblem(
                    f"no index at {self.folder}: run `attribot ingest PATH --index {self.folder}`"
                )
            self.folder.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.folder / DB_FILE)
        stored_model = self.store.get_meta("model")
        if model and stored_model and model != stored_model:
            raise IndexProblem(
                f"{self.folder} was built with model '{stored_model}', not '{model}': "
                "use another --index folder for another model"
            )
        # Vectors from the int8/ONNX backends differ slightly from exact ones: one index, one
        # backend.
        stored_backend = self.store.get_meta("backend")
        if backend and stored_backend and backend != stored_backend:
            raise IndexProblem(
                f"{self.folder} was built with the '{stored_backend}' embedding backend, not "
                f"'{backend}': use another --index folder, or ATTRIBOT_EMBED_BACKEND="
                f"{stored_backend}"
            )
        self.embedder = Embedder(
            model or stored_model, backend=backend or stored_backend or "torch"
        )
        self._vectors: VectorIndex | None = None
        self._vectors_generation = -1
        self._lock = threading.RLock()

    @property
    def model_name(self) -> str:
        return self.embedder.name

    def close(self) -> None:
        self.store.close()

    # -- vectors ----------------------------------------------------------------------------
    @property
    def vectors(self) -> VectorIndex:
        with self._lock:
            if self._vectors is None:
                self._vectors = self._load_or_rebuild()
            return self._vectors

    def _load_or_rebuild(self) -> VectorIndex:
        generation = self.store.generation
        count = self.store.counts()["paragraphs"]
        loaded = VectorIndex.load(self.folder)
        if loaded is not None:
            vectors, info = loaded
            if info.generation == generation and vectors.ntotal == count:
                self._vectors_generation = generation
                return vectors
            log.warning(
                "vector file is out of date (generation %s/%s, %s vectors for %s paragraphs): "
                "rebuilding it from the database",
                info.generation,
                generation,
                vectors.ntotal,
                count,
            )
        elif count:
            log.warning("vector file missing or unreadable: rebuilding it from the database")
        return self.rebuild_vectors()

    def rebuild_vectors(self) -> VectorIndex:
        """Recreate the vector file from SQLite alone (no model needed)."""
        with self._lock:
            generation = self.store.generation
            vectors = self._build_from_store()
            self.save_vectors(vectors, generation)
            return self._vectors  # type: ignore[return-value]

    def _build_from_store(self) -> VectorIndex:
        ids, matrix, missing = self.store.all_vectors(self.model_name)
        if missing:
            raise IndexProblem(
                f"{len(missing)} paragraphs have no stored embedding for model "
                f"'{self.model_name}': run `attribot check --repair --index {self.folder}` "
                "(it re-embeds them from the text the database keeps)"
            )
        dim = matrix.shape[1] if len(ids) else self._dim()
        return VectorIndex.build(ids, matrix, dim)

    def _dim(self) -> int:
        stored = self.store.get_meta("dim")
        return int(stored) if stored else self.embedder.dim

    def save_vectors(self, vectors: VectorIndex, generation: int) -> None:
        """Publish `vectors` as the snapshot of `generation`, and use it from now on.

        Another process may have committed while we worked (a shell `attribot ingest` beside
        a Discord /ingest): our in-memory vectors then lack its paragraphs, and publishing
        them would make every running bot adopt a snapshot that silently misses passages.
        So only a vector set whose ids are exactly the database's is published; otherwise
        it is rebuilt from SQLite, which has every writer's embeddings. If a writer commits
        after our check, it publishes its own snapshot when it ends (or the next open
        rebuilds), so a few attempts always converge.
        """
        with self._lock:
            for _ in range(3):
                current = self.store.generation
                if current != generation or not np.array_equal(
                    np.sort(vectors.ids()), self.store.paragraph_ids()
                ):
                    log.info("another writer committed meanwhile: rebuilding vectors from SQLite")
                    generation = self.store.generation
                    vectors = self._build_from_store()
                vectors.save(
                    self.folder,
                    VectorFileInfo(generation, vectors.ntotal, vectors.dim, self.model_name),
                )
                self._vectors, self._vectors_generation = vectors, generation
                if self.store.generation == generation:
                    return  # nobody committed while we saved: what we published is current

    def refresh(self) -> bool:
        """Pick up a newer snapshot written by another process (an ingest while the bot runs).

        Returns True when something changed. Until the writer has saved a consistent vector
        file, the previous snapshot keeps answering.
        """
        if self._vectors is None:
            return False  # not loaded yet: the first use loads the newest snapshot
        info = read_sidecar(self.folder)
        if info is None or info.generation == self._vectors_generation:
            return False
        if info.generation != self.store.generation:
            return False  # the writer is between its database commit and its vector save
        loaded = VectorIndex.load(self.folder)
        if loaded is None or loaded[0].ntotal != loaded[1].count:
            return False  # unreadable, or caught between the two renames of a save
        with self._lock:
            self._vectors, loaded_info = loaded
            self._vectors_generation = loaded_info.generation
        log.info("loaded index snapshot generation %s", loaded_info.generation)
        return True
