"""An index folder: SQLite metadata plus the search data derived from it (a FAISS vector file,
or a Milvus collection: retrieval/backend.py)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retrieval.backend import MILVUS_MISSING, VECTOR_BACKENDS, BackendSettings, SearchBackend
from retrieval.embedder import Embedder
from retrieval.errors import IndexBusy, IndexProblem
from retrieval.faiss_backend import FaissBackend
from retrieval.keyword import KeywordIndex
from retrieval.scope import members
from retrieval.store import DB_FILE, Store
from retrieval.vectors import VectorFileInfo, VectorIndex, read_sidecar
from retrieval.writelock import writing

if TYPE_CHECKING:
    from retrieval.milvus_backend import MilvusBackend, MilvusMirror

log = logging.getLogger(__name__)


class Index:
    """Opens (or creates) an index folder and keeps its derived vector file consistent.

    The vector file is trusted only when its sidecar records the database's current
    generation and paragraph count; otherwise it is rebuilt from the embeddings SQLite keeps,
    which needs no model and no re-embedding. A Milvus index (`search.kind="milvus"`) keeps
    its collection in step the same way (retrieval/milvus_backend.py).
    """

    def __init__(
        self,
        folder: str | Path,
        model: str | None = None,
        create: bool = True,
        backend: str | None = None,
        search: BackendSettings | None = None,
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
        self.search_settings = search or BackendSettings()
        self.vector_kind = self._vector_kind(self.search_settings.kind)
        self._milvus: MilvusMirror | None = None
        self._milvus_backend: MilvusBackend | None = None
        self._milvus_generation = -1
        if self.vector_kind == "milvus":
            try:
                self._mirror()  # a bad URI or a missing pymilvus is said now, before any work
            except IndexProblem:
                self.store.close()
                raise

    @property
    def model_name(self) -> str:
        return self.embedder.name

    def close(self) -> None:
        if self._milvus is not None:
            self._milvus.close()
        self.store.close()

    def _vector_kind(self, requested: str | None) -> str:
        """The backend this index searches with: the one it was built with; for a new
        index the one asked for, else FAISS. Like the embedding backend, another one than
        the index's is refused rather than silently used."""
        if requested is not None and requested not in VECTOR_BACKENDS:
            raise IndexProblem(
                f"unknown vector backend '{requested}': use one of {', '.join(VECTOR_BACKENDS)}"
            )
        stored = self.store.get_meta("vector_backend")
        if stored is None and self.store.get_meta("model") is not None:
            stored = "faiss"  # built before there was a choice
        if requested and stored and requested != stored:
            raise IndexProblem(
                f"{self.folder} was built with the '{stored}' vector backend, not "
                f"'{requested}': use another --index folder, or ATTRIBOT_VECTOR_BACKEND={stored}"
            )
        return stored or requested or "faiss"

    # -- vectors ----------------------------------------------------------------------------
    @property
    def vectors(self) -> VectorIndex:
        """The FAISS vectors (a Milvus index has none: see `search_backend`)."""
        if self.vector_kind != "faiss":
            raise IndexProblem(f"{self.folder} searches with Milvus: it has no FAISS vectors")
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
        return self._rebuild_faiss()

    def rebuild_vectors(self) -> VectorIndex | SearchBackend:
        """Recreate the vector file (or the Milvus collection) from SQLite alone (no model
        needed)."""
        if self.vector_kind == "milvus":
            with self._lock:
                backend = self._mirror().rebuild(self._dim())
                self._milvus_backend, self._milvus_generation = backend, self.store.generation
                return backend
        return self._rebuild_faiss()

    def _rebuild_faiss(self) -> VectorIndex:
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
        file, the previous snapshot keeps answering. (Milvus has no snapshots: another
        process's rows are searchable as soon as it writes them.)
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

    # -- the search backend -------------------------------------------------------------------
    def search_backend(self, keyword: Callable[[], KeywordIndex] | None = None) -> SearchBackend:
        """What a search runs on: the FAISS vectors with the keyword index `keyword` gives
        (the Searcher's, rebuilt per generation), or the index's Milvus collection."""
        if self.vector_kind == "faiss":
            return FaissBackend(self.vectors, keyword() if keyword is not None else None)
        return self._milvus_reader()

    def vector_count(self, ids: np.ndarray | None = None) -> int:
        """Vectors the search backend holds: all, or those of `ids` (ascending; `attribot
        stats` of a scope)."""
        if self.vector_kind == "faiss":
            vectors = self.vectors
            if ids is None:
                return vectors.ntotal
            return int(members(ids, np.sort(vectors.ids())).sum())
        backend = self._milvus_reader()
        return backend.ntotal if ids is None else backend.count(ids)

    def writer(self) -> SearchBackend:
        """The backend an ingest mirrors its committed batches into, then hands to `publish`:
        the in-memory FAISS vectors, or the Milvus collection (reconciled with SQLite first
        when a killed writer left it behind)."""
        if self.vector_kind == "faiss":
            return FaissBackend(self.vectors)
        return self._mirror().open(self._dim(), reconcile=True)

    def remember_backend(self, conn: sqlite3.Connection) -> None:
        """Inside an ingest's first commit: record which backend (and Milvus server) the new
        index uses, so later commands need no setting."""
        if self.vector_kind == "milvus":
            self._mirror().remember(conn)

    def publish(self, backend: SearchBackend, generation: int, batches: int) -> None:
        """An ingest's end: save the FAISS snapshot of `generation`, or mark the Milvus
        collection as mirroring it (`batches`: how many commits the ingest made)."""
        if isinstance(backend, FaissBackend):
            self.save_vectors(backend.vectors, generation)
            return
        from retrieval.milvus_backend import MilvusBackend

        assert isinstance(backend, MilvusBackend)
        with self._lock:
            in_use = self._mirror().publish(backend, generation, batches)
            self._milvus_backend, self._milvus_generation = in_use, self.store.generation

    def _mirror(self) -> MilvusMirror:
        try:
            from retrieval.milvus_backend import MilvusMirror
        except ImportError:
            raise IndexProblem(MILVUS_MISSING) from None
        with self._lock:
            if self._milvus is None:
                self._milvus = MilvusMirror(
                    self.store, self.folder, self.search_settings, self.model_name
                )
            return self._milvus

    def _milvus_reader(self) -> MilvusBackend:
        """The collection for searching. Opened once: a collection behind the database is
        reconciled then, unless an ingest or repair is writing (it marks the collection
        when it ends). Later generations only need counting again (another process's rows
        are in Milvus as soon as it wrote them), or opening again when a rebuild put
        another collection in use."""
        gen = self.store.generation
        with self._lock:
            backend = self._milvus_backend
            if backend is not None and self._milvus_generation != gen:
                if backend.name != self._mirror().current():  # rebuilt by another process
                    backend = None
                else:
                    backend.forget_count()
            if backend is None:
                backend = self._milvus_backend = self._open_for_reading()
            self._milvus_generation = gen
            return backend

    def _open_for_reading(self) -> MilvusBackend:
        mirror, dim = self._mirror(), self._dim()
        backend = mirror.open(dim, reconcile=False)
        if backend.synced == self.store.generation:
            return backend
        try:
            with writing(self.folder, exclusive=True):
                return mirror.open(dim, reconcile=True)
        except IndexBusy:
            return backend  # a writer runs: it reconciles and marks when it ends
