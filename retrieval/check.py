"""Verify an index folder, and repair what can be repaired from SQLite.

SQLite is the source of truth; the vector file (or Milvus collection) is derived from it. So:
- a vector file or Milvus collection that disagrees with the database (missing, unreadable,
  stale, wrong ids, duplicates) is always repairable: `repair_index` rebuilds it from the
  stored embeddings;
- paragraphs without a stored embedding are repairable too: `repair_index` re-embeds them
  from the paragraph text SQLite keeps (this one needs the model);
- a damaged database is not: the report says to restore a backup or ingest again.

Checking never writes and never loads the model, so it is safe to run beside a live bot.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from retrieval.backend import MILVUS_MISSING, BackendSettings
from retrieval.errors import IndexProblem
from retrieval.index import Index
from retrieval.store import DB_FILE
from retrieval.vectors import SIDECAR_FILE, VECTORS_FILE, read_sidecar, vector_ids
from retrieval.writelock import writing

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(slots=True)
class Problem:
    """One thing wrong, in plain words, and whether `attribot check --repair` fixes it."""

    code: str
    message: str
    repairable: bool

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message, "repairable": self.repairable}


@dataclass
class CheckReport:
    folder: Path
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int | None] = field(default_factory=dict)
    repaired: list[str] = field(default_factory=list)  # what --repair did

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def repairable(self) -> bool:
        return bool(self.problems) and all(p.repairable for p in self.problems)

    def add(self, code: str, message: str, repairable: bool) -> None:
        self.problems.append(Problem(code, message, repairable))

    def advice(self) -> str:
        """The one thing to run (or do) next."""
        if self.ok:
            return ""
        if self.repairable:
            return f"run `attribot check --repair --index {self.folder}`"
        if any(p.code == "milvus_unreachable" for p in self.problems):
            return "make Milvus reachable (see the problem above), then check again"
        if any(p.code == "missing" for p in self.problems):
            return f"run `attribot ingest PATH --index {self.folder}`"
        return (
            f"restore {self.folder / DB_FILE} from a backup (see README 'Operating it'), "
            f"or move {self.folder} away and run `attribot ingest PATH --index {self.folder}`"
        )

    def to_json(self) -> dict:
        return {
            "index": str(self.folder),
            "ok": self.ok,
            "problems": [p.to_json() for p in self.problems],
            "counts": self.counts,
            "repaired": self.repaired,
            "advice": self.advice(),
        }


# -- checking ---------------------------------------------------------------------------------
def _open_readonly(db_path: Path) -> sqlite3.Connection:
    # mode=ro: checking must never create, migrate or lock the database for writing.
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _check_database(report: CheckReport, db_path: Path) -> sqlite3.Connection | None:
    """SQLite-level checks; returns an open connection when the metadata is readable."""
    try:
        with open(db_path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        report.add("db_unreadable", f"{db_path} cannot be read ({exc.strerror or exc})", False)
        return None
    if header != SQLITE_HEADER:
        report.add(
            "db_corrupt",
            f"{db_path} is not an SQLite database (its first bytes are wrong): "
            "the documents and paragraphs in it are lost",
            False,
        )
        return None
    try:
        conn = _open_readonly(db_path)
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
        if rows != ["ok"]:
            report.add(
                "db_corrupt",
                f"{db_path} is damaged: SQLite integrity check says {'; '.join(rows[:3])}",
                False,
            )
            conn.close()
            return None
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            broken = sorted({r[0] for r in fk})
            report.add(
                "db_foreign_keys",
                f"{len(fk)} rows in {', '.join(broken)} point at rows that no longer exist",
                False,
            )
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        needed = {"meta", "documents", "paragraphs", "embeddings", "attributions"}
        if not needed <= tables:
            report.add(
                "db_schema",
                f"{db_path} is not an Attribot index (missing tables: "
                f"{', '.join(sorted(needed - tables))})",
                False,
            )
            conn.close()
            return None
        return conn
    except sqlite3.DatabaseError as exc:
        report.add("db_corrupt", f"{db_path} cannot be read by SQLite ({exc})", False)
        return None


def check_index(folder: str | Path, search: BackendSettings | None = None) -> CheckReport:
    """Everything that can be verified without writing or loading the model. `search`
    says where a Milvus index's server is (and its token) when the index does not."""
    folder = Path(folder)
    report = CheckReport(folder)
    db_path = folder / DB_FILE
    if not db_path.exists():
        report.add("missing", f"no index at {folder} ({DB_FILE} is not there)", False)
        return report
    conn = _check_database(report, db_path)
    if conn is None:
        return report
    try:
        _check_contents(report, conn, folder, search or BackendSettings())
    finally:
        conn.close()
    return report


def _check_contents(
    report: CheckReport, conn: sqlite3.Connection, folder: Path, search: BackendSettings
) -> None:
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    model = meta.get("model")
    dim = int(meta["dim"]) if meta.get("dim") else None
    generation = int(meta.get("generation", "0") or 0)
    # One read transaction, so an ingest committing meanwhile cannot make the numbers disagree.
    conn.execute("BEGIN")
    para_ids = np.array([r[0] for r in conn.execute("SELECT id FROM paragraphs ORDER BY id")])
    documents = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    missing_emb = bad_emb = 0
    if model is not None:
        for length in conn.execute(
            "SELECT length(e.vector) FROM paragraphs p LEFT JOIN embeddings e "
            "ON e.text_hash=p.text_hash AND e.model=?",
            (model,),
        ):
            if length[0] is None:
                missing_emb += 1
            elif dim and length[0] != dim * 4:
                bad_emb += 1
    elif len(para_ids):
        report.add("no_model", "the index records no embedding model for its paragraphs", False)
    conn.execute("COMMIT")
    report.counts.update(
        documents=documents,
        paragraphs=len(para_ids),
        generation=generation,
        missing_embeddings=missing_emb,
    )
    if missing_emb:
        report.add(
            "missing_embeddings",
            f"{missing_emb} paragraphs have no stored embedding for model '{model}' "
            "(repair re-embeds them from their stored text)",
            True,
        )
    if bad_emb:
        report.add(
            "bad_embeddings",
            f"{bad_emb} stored embeddings are not {dim}-dimensional (repair re-embeds them)",
            True,
        )
    if meta.get("vector_backend") == "milvus":
        _check_milvus(report, folder, para_ids, generation, meta, search)
    else:
        _check_vectors(report, folder, para_ids, generation, model)


def _check_vectors(
    report: CheckReport, folder: Path, para_ids: np.ndarray, generation: int, model: str | None
) -> None:
    vec_path, side_path = folder / VECTORS_FILE, folder / SIDECAR_FILE
    report.counts["vectors"] = None
    if not vec_path.exists():
        if len(para_ids):
            report.add("vectors_missing", f"{vec_path} is missing", True)
        return
    try:
        index = faiss.read_index(str(vec_path))
    except RuntimeError:
        report.add("vectors_unreadable", f"{vec_path} is unreadable (truncated or garbage)", True)
        return
    ids = vector_ids(index)
    report.counts["vectors"] = int(index.ntotal)
    if ids is None:
        report.add("vectors_type", f"{vec_path} holds an unknown FAISS index type", True)
        return
    unique = np.unique(ids)
    if len(unique) != len(ids):
        report.add(
            "vectors_duplicates",
            f"{len(ids) - len(unique)} paragraph ids appear more than once in {vec_path}",
            True,
        )
    if len(ids) != len(para_ids):
        report.add(
            "count_mismatch",
            f"{len(ids)} vectors for {len(para_ids)} paragraphs",
            True,
        )
    not_indexed = np.setdiff1d(para_ids, unique).size
    stale = np.setdiff1d(unique, para_ids).size
    if not_indexed or stale:
        report.add(
            "ids_mismatch",
            f"{not_indexed} paragraphs have no vector and {stale} vectors belong to no paragraph",
            True,
        )
    info = read_sidecar(folder)
    if info is None:
        report.add("sidecar_unreadable", f"{side_path} is missing or unreadable", True)
        return
    report.counts["vectors_generation"] = info.generation
    if info.generation != generation:
        report.add(
            "stale_generation",
            f"the vector file is of generation {info.generation}, the database of {generation} "
            "(an ingest stopped before saving it, or one is running now)",
            True,
        )
    if info.count != index.ntotal:
        report.add(
            "sidecar_count",
            f"{side_path} records {info.count} vectors, the file holds {index.ntotal}",
            True,
        )
    if model is not None and info.model != model:
        report.add(
            "sidecar_model", f"the vector file is of model '{info.model}', not '{model}'", True
        )


def _check_milvus(
    report: CheckReport,
    folder: Path,
    para_ids: np.ndarray,
    generation: int,
    meta: dict[str, str],
    search: BackendSettings,
) -> None:
    """The Milvus collection against the database: the same problem codes as a vector file."""
    report.counts["vectors"] = None
    try:
        from retrieval.milvus_backend import inspect_collection
    except ImportError:
        report.add("milvus_unreachable", MILVUS_MISSING, False)
        return
    below = int(para_ids.max()) + 1 if len(para_ids) else 0
    try:
        state = inspect_collection(folder, meta, search, below)
    except IndexProblem as exc:
        report.add("milvus_unreachable", str(exc), False)
        return
    where = f"Milvus collection {state.name} at {state.uri}"
    if not state.exists:
        if len(para_ids):
            report.add("vectors_missing", f"{where} is missing", True)
        return
    report.counts["vectors"] = state.count
    report.counts["vectors_generation"] = state.generation
    if state.problem:
        report.add("vectors_type", f"{where}: {state.problem}", True)
    if state.count != len(para_ids):
        report.add("count_mismatch", f"{state.count} vectors for {len(para_ids)} paragraphs", True)
    not_indexed = np.setdiff1d(para_ids, state.ids).size
    stale = np.setdiff1d(state.ids, para_ids).size + state.beyond
    if not_indexed or stale:
        report.add(
            "ids_mismatch",
            f"{not_indexed} paragraphs have no vector and {stale} vectors belong to no paragraph",
            True,
        )
    if state.generation != generation:
        report.add(
            "stale_generation",
            f"the {where} mirrors generation {state.generation}, the database is at "
            f"{generation} (an ingest stopped before marking it, or one is running now)",
            True,
        )


# -- repairing --------------------------------------------------------------------------------
def repair_index(folder: str | Path, search: BackendSettings | None = None) -> CheckReport:
    """Fix what `check_index` finds, from SQLite; returns the report after repairing.

    It refuses to start while an ingest writes to the same folder, and ingests refuse to start
    while it runs (retrieval.writelock): the ingest's save at its end would otherwise publish
    vectors of another generation.
    """
    folder = Path(folder)
    before = check_index(folder, search)
    if before.ok or not before.repairable:
        return before
    with writing(folder, exclusive=True):
        return _repair(folder, before, search)


def _repair(folder: Path, before: CheckReport, search: BackendSettings | None) -> CheckReport:
    done: list[str] = []
    for pattern in (VECTORS_FILE + ".*tmp", SIDECAR_FILE + ".*tmp"):
        # a save killed half-way leaves these; they are never read, just clutter
        for leftover in folder.glob(pattern):
            leftover.unlink(missing_ok=True)
    index = Index(folder, create=False, search=search)
    try:
        codes = {p.code for p in before.problems}
        if codes & {"missing_embeddings", "bad_embeddings"}:
            n = index.store.reembed(index.model_name, index.embedder.dim, index.embedder.encode)
            done.append(f"re-embedded {n} paragraphs")
        rebuilt = index.rebuild_vectors()
        what = "the vector file" if index.vector_kind == "faiss" else "the Milvus collection"
        done.append(f"rebuilt {what} from the database ({rebuilt.ntotal} vectors)")
    finally:
        index.close()
    after = check_index(folder, search)
    after.repaired = done
    log.info("repair of %s: %s", folder, "; ".join(done))
    return after
