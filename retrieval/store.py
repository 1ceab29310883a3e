"""SQLite metadata: documents, paragraphs, attributions, speakers, cached embeddings.

SQLite is the source of truth. The FAISS file and the keyword index are derived from it and
can always be rebuilt from it, without the model, because every paragraph's embedding is kept
here too (keyed by text hash, so unchanged paragraphs are never embedded twice).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import numpy as np

from corpus.models import Attribution, Document, Paragraph, is_description
from retrieval.errors import IndexProblem
from retrieval.models import Hit, SpeakerInfo
from retrieval.scope import DEFAULT_COLLECTION, EVERYTHING, Scope

DB_FILE = "attribot.sqlite3"  # the database's name inside an index folder
SCHEMA_VERSION = 1


def _documents_table(name: str) -> str:
    """A document is one (collection, doc_id): the same file may be in two collections, and
    two servers' uploads with the same name are two documents. Indexes from before
    collections had doc_id UNIQUE on its own; `Store._migrate` rebuilds the table in place."""
    return f"""CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    path TEXT NOT NULL,
    title TEXT, source TEXT, date TEXT,
    kind TEXT NOT NULL DEFAULT 'article',
    content_hash TEXT NOT NULL,
    added_at TEXT NOT NULL DEFAULT (datetime('now')),
    collection TEXT NOT NULL DEFAULT '{DEFAULT_COLLECTION}',
    UNIQUE (collection, doc_id)
);"""


_OLD_DOCUMENT_COLUMNS = "id, doc_id, path, title, source, date, kind, content_hash, added_at"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
{documents}
-- AUTOINCREMENT: a paragraph id is never reused, so FAISS ids stay stable for ever.
CREATE TABLE IF NOT EXISTS paragraphs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text_hash TEXT NOT NULL,
    UNIQUE (document_id, idx)
);
CREATE TABLE IF NOT EXISTS speakers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'person'
);
CREATE TABLE IF NOT EXISTS speaker_roles (
    speaker_id INTEGER NOT NULL REFERENCES speakers(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (speaker_id, role)
);
CREATE TABLE IF NOT EXISTS attributions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    speaker_id INTEGER REFERENCES speakers(id),
    quote TEXT NOT NULL,
    quote_start INTEGER NOT NULL, quote_end INTEGER NOT NULL,
    speaker TEXT, mention TEXT, mention_start INTEGER, mention_end INTEGER,
    role TEXT, cue TEXT, kind TEXT NOT NULL, speaker_kind TEXT NOT NULL DEFAULT 'person'
);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    question TEXT NOT NULL,
    paragraph_ids TEXT NOT NULL,
    vote INTEGER NOT NULL,
    at TEXT NOT NULL DEFAULT (datetime('now')),
    answer_key TEXT  -- the Discord answer voted on; NULL in rows from before votes had one
);
CREATE INDEX IF NOT EXISTS paragraphs_document ON paragraphs(document_id);
CREATE INDEX IF NOT EXISTS attributions_paragraph ON attributions(paragraph_id);
CREATE INDEX IF NOT EXISTS attributions_speaker ON attributions(speaker_id);
""".replace("{documents}", _documents_table("documents"))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_hash(doc: Document) -> str:
    payload = "\x1f".join([doc.text, doc.title or "", doc.source or "", doc.date or "", doc.kind])
    return text_hash(payload)


def speaker_key(name: str) -> str:
    """One key for one person across documents (the attribution engine's normalisation)."""
    # Imported here: the engine pulls in spaCy, which commands that never write don't need.
    from corpus.attribution import speaker_key as engine_key

    return engine_key(name)


def _add_collections(conn: sqlite3.Connection) -> None:
    """Rebuild an old documents table (doc_id unique on its own) as today's, every row in the
    default collection, keeping ids and the AUTOINCREMENT counter (SQLite's documented way to
    change a constraint: new table, copy, drop, rename)."""
    seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name='documents'").fetchone()
    conn.execute(_documents_table("documents_new"))
    conn.execute(
        f"INSERT INTO documents_new({_OLD_DOCUMENT_COLUMNS}) "
        f"SELECT {_OLD_DOCUMENT_COLUMNS} FROM documents"
    )
    conn.execute("DROP TABLE documents")
    conn.execute("ALTER TABLE documents_new RENAME TO documents")
    if seq is not None:
        conn.execute("UPDATE sqlite_sequence SET seq=max(seq, ?) WHERE name='documents'", (seq[0],))


# From an attribution to the document (alias d) it is in, for scoped reads.
_TO_DOCUMENT = "JOIN paragraphs p ON p.id=a.paragraph_id JOIN documents d ON d.id=p.document_id"


def in_scope(scope: Scope) -> tuple[str, list[str]]:
    """An SQL condition on documents aliased `d` keeping those in `scope`, and its arguments
    (SQLite reads `IN ()` as false: an empty scope sees nothing)."""
    if scope.collections is None:
        return "1", []
    names = scope.names
    return f"d.collection IN ({','.join('?' * len(names))})", names


def _like(text: str) -> str:
    """A LIKE pattern for `text` anywhere in a value, its wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Store:
    """One SQLite database. Safe to share between threads; writes are serialised."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            if readonly:
                if not self.path.exists():
                    raise IndexProblem(f"no index at {self.path.parent}")
                uri = f"file:{self.path}?mode=ro"
                self.db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            else:
                self.db = sqlite3.connect(self.path, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA busy_timeout = 10000")
            if not readonly:
                # WAL: readers (the bot) keep seeing the last committed state while an
                # ingest writes; a crash mid-transaction rolls back on next open.
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.db.executescript(SCHEMA)
                self._check_version()
                self._migrate()
        except sqlite3.DatabaseError as exc:
            raise IndexProblem(
                f"{self.path} is not a readable Attribot index ({exc}). "
                "Run `attribot check` for details, or delete the folder and ingest again."
            ) from None

    def _check_version(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            with self.db:
                self.db.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
        elif int(row[0]) != SCHEMA_VERSION:
            raise IndexProblem(
                f"{self.path} has schema version {row[0]}, this Attribot expects "
                f"{SCHEMA_VERSION}: re-ingest into a new index folder"
            )

    def _migrate(self) -> None:
        """Changes to an index built by an older Attribot, made in place on open.

        They keep every row and its meaning (a nullable column, an index, the collection
        every older document belongs to: the default one), so the schema version stays.
        Checked inside one write transaction: two processes opening the same old index at
        once migrate it once. Foreign keys are off meanwhile (they can only be switched
        outside a transaction): dropping the old documents table must not cascade to the
        paragraphs, which keep their ids, so nothing is re-embedded and FAISS is untouched.
        """
        if self._migrated():
            return  # the usual case: no write lock taken, so opening never waits on an ingest
        self.db.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.transaction() as conn:
                if "answer_key" not in self._columns("feedback"):
                    conn.execute("ALTER TABLE feedback ADD COLUMN answer_key TEXT")
                # One vote per user per answer. Partial: votes recorded before answers had a
                # key (NULL) stay as they were, duplicates included.
                conn.execute(
                    "CREATE UNIQUE INDEX IF NOT EXISTS feedback_user_answer "
                    "ON feedback(user_id, answer_key) WHERE answer_key IS NOT NULL"
                )
                if "collection" not in self._columns("documents"):
                    _add_collections(conn)
                if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise IndexProblem(f"{self.path}: migration would break foreign keys")
        finally:
            self.db.execute("PRAGMA foreign_keys = ON")

    def _columns(self, table: str) -> set[str]:
        return {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}

    def _migrated(self) -> bool:
        index = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='index' AND name='feedback_user_answer'"
        ).fetchone()
        return (
            "answer_key" in self._columns("feedback")
            and index is not None
            and "collection" in self._columns("documents")
        )

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.rollback()
                raise
            else:
                self.db.commit()

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str, conn: sqlite3.Connection | None = None) -> None:
        (conn or self.db).execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    @property
    def generation(self) -> int:
        """Bumped by every committed change to paragraphs; derived files record it."""
        return int(self.get_meta("generation", "0") or 0)

    # -- documents --------------------------------------------------------------------------
    def document_hash(self, doc_id: str, collection: str = DEFAULT_COLLECTION) -> str | None:
        row = self.db.execute(
            "SELECT content_hash FROM documents WHERE collection=? AND doc_id=?",
            (collection, doc_id),
        ).fetchone()
        return row[0] if row else None

    def cached_vectors(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        hashes = list(set(hashes))
        for i in range(0, len(hashes), 500):
            chunk = hashes[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model=? AND text_hash IN ({marks})",
                (model, *chunk),
            ):
                out[row[0]] = np.frombuffer(row[1], dtype=np.float32)
        return out

    def replace_document(
        self,
        conn: sqlite3.Connection,
        doc: Document,
        paragraphs: list[Paragraph],
        vectors: dict[str, np.ndarray],
        model: str,
        content_hash: str | None = None,
        collection: str = DEFAULT_COLLECTION,
    ) -> tuple[list[int], list[int]]:
        """Insert or replace a document of `collection` inside an open transaction.

        `content_hash` is the hash of the document as loaded (a transcript's text is
        rewritten before storage, but unchanged files must still be recognised).
        Returns (removed paragraph ids, added paragraph ids) for the vector index.
        """
        row = conn.execute(
            "SELECT id FROM documents WHERE collection=? AND doc_id=?", (collection, doc.doc_id)
        ).fetchone()
        removed: list[int] = []
        if row is not None:
            removed = [
                r[0] for r in conn.execute("SELECT id FROM paragraphs WHERE document_id=?", row)
            ]
            conn.execute("DELETE FROM documents WHERE id=?", (row[0],))
        cur = conn.execute(
            "INSERT INTO documents(doc_id, path, title, source, date, kind, content_hash, "
            "collection) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.doc_id,
                doc.path,
                doc.title,
                doc.source,
                doc.date,
                doc.kind,
                content_hash or document_hash(doc),
                collection,
            ),
        )
        document_id = cur.lastrowid
        added: list[int] = []
        for para in paragraphs:
            h = text_hash(para.text)
            cur = conn.execute(
                "INSERT INTO paragraphs(document_id, idx, text, start, end, text_hash) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (document_id, para.index, para.text, para.start, para.end, h),
            )
            pid = cast(int, cur.lastrowid)  # set by every INSERT
            added.append(pid)
            conn.execute(
                "INSERT OR IGNORE INTO embeddings(model, text_hash, vector) VALUES (?, ?, ?)",
                (model, h, np.asarray(vectors[h], dtype=np.float32).tobytes()),
            )
            for attr in para.attributions:
                self._insert_attribution(conn, pid, attr)
        return removed, added

    def _insert_attribution(self, conn: sqlite3.Connection, pid: int, attr: Attribution) -> None:
        conn.execute(
            "INSERT INTO attributions(paragraph_id, speaker_id, quote, quote_start, "
            "quote_end, speaker, mention, mention_start, mention_end, role, cue, kind, "
            "speaker_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                pid,
                self._speaker_id(conn, attr),
                attr.quote,
                attr.quote_span[0],
                attr.quote_span[1],
                attr.speaker,
                attr.mention,
                attr.speaker_span[0] if attr.speaker_span else None,
                attr.speaker_span[1] if attr.speaker_span else None,
                attr.role,
                attr.cue,
                attr.kind,
                attr.speaker_kind,
            ),
        )

    def _speaker_id(self, conn: sqlite3.Connection, attr: Attribution) -> int | None:
        """The speaker row of a named speaker. A speaker described as written ("the club
        secretary", "a senior official") is shown with its quote but is nobody's name: two
        articles' "the secretary" are not one person, so it gets no row (no /speakers entry,
        no autocomplete, no speaker filter)."""
        if not attr.speaker or is_description(attr.speaker):
            return None
        key = speaker_key(attr.speaker)
        if not key:
            return None
        conn.execute(
            "INSERT OR IGNORE INTO speakers(key, name, kind) VALUES (?, ?, ?)",
            (key, attr.speaker, attr.speaker_kind),
        )
        sid = conn.execute("SELECT id FROM speakers WHERE key=?", (key,)).fetchone()[0]
        if attr.role:
            conn.execute(
                "INSERT OR IGNORE INTO speaker_roles(speaker_id, role) VALUES (?, ?)",
                (sid, attr.role),
            )
        return sid

    def prune_speakers(self, conn: sqlite3.Connection) -> None:
        """Speakers whose every quote went with a replaced document are forgotten."""
        conn.execute(
            "DELETE FROM speakers WHERE id NOT IN "
            "(SELECT DISTINCT speaker_id FROM attributions WHERE speaker_id IS NOT NULL)"
        )

    def reembed(
        self, model: str, dim: int, encode: Callable[[list[str]], np.ndarray], batch: int = 256
    ) -> int:
        """Embed again, from the text kept here, every paragraph whose stored embedding for
        `model` is missing or not `dim`-dimensional; how many texts were embedded.

        Each batch commits with a new generation, so running bots (Index.refresh) pick up
        the repaired vectors.
        """
        rows = self.db.execute(
            "SELECT DISTINCT p.text_hash, p.text FROM paragraphs p LEFT JOIN embeddings e "
            "ON e.text_hash=p.text_hash AND e.model=? "
            "WHERE e.vector IS NULL OR length(e.vector) != ?",
            (model, dim * 4),
        ).fetchall()
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            vectors = encode([r[1] for r in chunk])
            with self.transaction() as conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO embeddings(model, text_hash, vector) VALUES (?, ?, ?)",
                    [(model, r[0], v.tobytes()) for r, v in zip(chunk, vectors, strict=True)],
                )
                if self.get_meta("dim") is None:
                    self.set_meta("dim", str(dim), conn)
                self.bump_generation(conn)
        return len(rows)

    def bump_generation(self, conn: sqlite3.Connection) -> int:
        gen = int(
            (conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone() or ["0"])[0]
        )
        self.set_meta("generation", str(gen + 1), conn)
        return gen + 1

    # -- reading ----------------------------------------------------------------------------
    def counts(self, scope: Scope = EVERYTHING) -> dict[str, int]:
        """Documents, paragraphs, speakers and attributions; within `scope`, the speakers
        are those quoted there."""
        q = self.db.execute
        if scope.everything:
            return {
                "documents": q("SELECT COUNT(*) FROM documents").fetchone()[0],
                "paragraphs": q("SELECT COUNT(*) FROM paragraphs").fetchone()[0],
                "speakers": q("SELECT COUNT(*) FROM speakers").fetchone()[0],
                "attributions": q("SELECT COUNT(*) FROM attributions").fetchone()[0],
            }
        cond, args = in_scope(scope)
        attributions, speakers = q(
            f"SELECT COUNT(*), COUNT(DISTINCT a.speaker_id) FROM attributions a {_TO_DOCUMENT} "
            f"WHERE {cond}",
            args,
        ).fetchone()
        return {
            "documents": q(f"SELECT COUNT(*) FROM documents d WHERE {cond}", args).fetchone()[0],
            "paragraphs": q(
                f"SELECT COUNT(*) FROM paragraphs p JOIN documents d ON d.id=p.document_id "
                f"WHERE {cond}",
                args,
            ).fetchone()[0],
            "speakers": speakers,
            "attributions": attributions,
        }

    def collections(self) -> list[tuple[str, int, int]]:
        """(collection, documents, paragraphs) for every collection that has documents."""
        return [
            (r[0], r[1], r[2])
            for r in self.db.execute(
                "SELECT d.collection, COUNT(DISTINCT d.id), COUNT(p.id) FROM documents d "
                "LEFT JOIN paragraphs p ON p.document_id=d.id GROUP BY d.collection "
                "ORDER BY d.collection"
            )
        ]

    def scope_paragraph_ids(self, scope: Scope) -> np.ndarray:
        """The ids of every paragraph in `scope`, ascending."""
        cond, args = in_scope(scope)
        cur = self.db.execute(
            f"SELECT p.id FROM paragraphs p JOIN documents d ON d.id=p.document_id WHERE {cond}",
            args,
        )
        ids = np.fromiter((r[0] for r in cur), dtype=np.int64)
        ids.sort()  # in numpy: SQLite's ORDER BY would build a temporary b-tree
        return ids

    def all_vectors(self, model: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(ids, vectors) of every paragraph, and ids whose embedding is missing."""
        ids, rows, missing = [], [], []
        for row in self.db.execute(
            "SELECT p.id, e.vector FROM paragraphs p LEFT JOIN embeddings e "
            "ON e.text_hash=p.text_hash AND e.model=? ORDER BY p.id",
            (model,),
        ):
            if row[1] is None:
                missing.append(row[0])
            else:
                ids.append(row[0])
                rows.append(np.frombuffer(row[1], dtype=np.float32))
        vectors = np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
        return np.asarray(ids, dtype=np.int64), vectors, missing

    def unembedded(self, model: str) -> int:
        """How many paragraphs have no stored embedding for `model`."""
        return self.db.execute(
            "SELECT COUNT(*) FROM paragraphs p LEFT JOIN embeddings e "
            "ON e.text_hash=p.text_hash AND e.model=? WHERE e.vector IS NULL",
            (model,),
        ).fetchone()[0]

    def embedded_paragraphs(
        self, model: str, ids: list[int] | None = None, batch: int = 500
    ) -> Iterator[tuple[list[int], np.ndarray, list[str], list[str]]]:
        """(ids, vectors, texts, collections) of every paragraph (or of `ids`) that has an
        embedding for `model`, `batch` at a time in id order: what a search backend is
        built from, with the collection of each paragraph's document."""
        ids = self.paragraph_ids() if ids is None else sorted(ids)
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT p.id, e.vector, p.text, d.collection FROM paragraphs p "
                "JOIN documents d ON d.id=p.document_id JOIN embeddings e "
                f"ON e.text_hash=p.text_hash AND e.model=? WHERE p.id IN ({marks}) ORDER BY p.id",
                (model, *chunk),
            ).fetchall()
            if rows:
                yield (
                    [r[0] for r in rows],
                    np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows]),
                    [r[2] for r in rows],
                    [r[3] for r in rows],
                )

    def paragraph_ids(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT id FROM paragraphs ORDER BY id")]

    def paragraph_texts(self) -> tuple[list[int], list[str]]:
        ids, texts = [], []
        for row in self.db.execute("SELECT id, text FROM paragraphs ORDER BY id"):
            ids.append(row[0])
            texts.append(row[1])
        return ids, texts

    def texts(self, paragraph_ids: list[int]) -> dict[int, str]:
        """The text of each paragraph asked for (unknown ids are left out)."""
        out: dict[int, str] = {}
        for i in range(0, len(paragraph_ids), 500):
            chunk = paragraph_ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT id, text FROM paragraphs WHERE id IN ({marks})", chunk
            ):
                out[row[0]] = row[1]
        return out

    def hits(self, scored: list[tuple[int, float]]) -> list[Hit]:
        """Hits for (paragraph id, score) pairs, in the given order; unknown ids are dropped
        (a vector file a moment ahead of or behind the database must not break a search)."""
        if not scored:
            return []
        ids = [pid for pid, _ in scored]
        marks = ",".join("?" * len(ids))
        rows = {
            r["id"]: r
            for r in self.db.execute(
                "SELECT p.id, p.idx, p.text, d.doc_id, d.title, d.source, d.date, d.path, "
                "d.collection "
                f"FROM paragraphs p JOIN documents d ON d.id=p.document_id WHERE p.id IN ({marks})",
                ids,
            )
        }
        attrs = self.attributions_for(ids)
        out = []
        for pid, score in scored:
            row = rows.get(pid)
            if row is None:
                continue
            out.append(
                Hit(
                    paragraph_id=pid,
                    doc_id=row["doc_id"],
                    text=row["text"],
                    score=float(score),
                    paragraph_index=row["idx"],
                    title=row["title"],
                    source=row["source"],
                    date=row["date"],
                    path=row["path"],
                    attributions=attrs.get(pid, []),
                    collection=row["collection"],
                )
            )
        return out

    def attributions_for(self, paragraph_ids: list[int]) -> dict[int, list[Attribution]]:
        out: dict[int, list[Attribution]] = {}
        if not paragraph_ids:
            return out
        marks = ",".join("?" * len(paragraph_ids))
        for r in self.db.execute(
            "SELECT a.*, s.name AS canonical FROM attributions a "
            "LEFT JOIN speakers s ON s.id=a.speaker_id "
            f"WHERE a.paragraph_id IN ({marks}) ORDER BY a.paragraph_id, a.quote_start",
            paragraph_ids,
        ):
            span = (
                (r["mention_start"], r["mention_end"]) if r["mention_start"] is not None else None
            )
            out.setdefault(r["paragraph_id"], []).append(
                Attribution(
                    quote=r["quote"],
                    quote_span=(r["quote_start"], r["quote_end"]),
                    speaker=r["speaker"],
                    speaker_span=span,
                    role=r["role"],
                    cue=r["cue"],
                    kind=r["kind"],
                    speaker_kind=r["speaker_kind"],
                    mention=r["mention"],
                )
            )
        return out

    def speakers(
        self, name_filter: str | None = None, scope: Scope = EVERYTHING
    ) -> list[SpeakerInfo]:
        """Speakers with their roles and quote counts, most quoted first. Within `scope`: only
        those quoted there, with the roles and quotes found there, so a speaker list never
        tells of a collection outside it."""
        if not scope.everything:
            return self._speakers_in(name_filter, scope)
        sql = (
            "SELECT s.id, s.name, s.kind, COUNT(a.id) AS n FROM speakers s "
            "LEFT JOIN attributions a ON a.speaker_id=s.id "
        )
        args: tuple = ()
        if name_filter:
            sql += "WHERE s.name LIKE ? ESCAPE '\\' "
            args = (_like(name_filter),)
        sql += "GROUP BY s.id ORDER BY n DESC, s.name"
        roles: dict[int, list[str]] = {}
        for r in self.db.execute("SELECT speaker_id, role FROM speaker_roles ORDER BY role"):
            roles.setdefault(r[0], []).append(r[1])
        return [
            SpeakerInfo(r[0], r[1], r[2], roles.get(r[0], []), r[3])
            for r in self.db.execute(sql, args)
        ]

    def _speakers_in(self, name_filter: str | None, scope: Scope) -> list[SpeakerInfo]:
        cond, args = in_scope(scope)
        roles: dict[int, list[str]] = {}
        for r in self.db.execute(
            f"SELECT DISTINCT a.speaker_id, a.role FROM attributions a {_TO_DOCUMENT} "
            f"WHERE {cond} AND a.speaker_id IS NOT NULL AND a.role IS NOT NULL ORDER BY a.role",
            args,
        ):
            roles.setdefault(r[0], []).append(r[1])
        sql = (
            "SELECT s.id, s.name, s.kind, COUNT(a.id) AS n FROM attributions a "
            f"JOIN speakers s ON s.id=a.speaker_id {_TO_DOCUMENT} WHERE {cond} "
        )
        if name_filter:
            sql += "AND s.name LIKE ? ESCAPE '\\' "
            args = [*args, _like(name_filter)]
        sql += "GROUP BY s.id ORDER BY n DESC, s.name"
        return [
            SpeakerInfo(r[0], r[1], r[2], roles.get(r[0], []), r[3])
            for r in self.db.execute(sql, args)
        ]

    def speaker_paragraphs(self, speaker_id: int, scope: Scope = EVERYTHING) -> list[int]:
        """The paragraphs quoting a speaker (in `scope`), in corpus order."""
        cond, args = in_scope(scope)
        return [
            r[0]
            for r in self.db.execute(
                f"SELECT DISTINCT a.paragraph_id FROM attributions a {_TO_DOCUMENT} "
                f"WHERE a.speaker_id=? AND {cond}",
                [speaker_id, *args],
            )
        ]

    def neighbours(
        self, paragraph_id: int, before: int = 1, after: int = 1, scope: Scope = EVERYTHING
    ) -> list[Hit]:
        """A paragraph with the ones around it in its document, in reading order; [] when
        there is no such paragraph in `scope`."""
        cond, args = in_scope(scope)
        row = self.db.execute(
            "SELECT p.document_id, p.idx FROM paragraphs p JOIN documents d "
            f"ON d.id=p.document_id WHERE p.id=? AND {cond}",
            [paragraph_id, *args],
        ).fetchone()
        if row is None:
            return []
        ids = [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM paragraphs WHERE document_id=? AND idx BETWEEN ? AND ? "
                "ORDER BY idx",
                (row[0], row[1] - before, row[1] + after),
            )
        ]
        return self.hits([(pid, 0.0) for pid in ids])

    def record_feedback(
        self,
        user_id: str,
        question: str,
        paragraph_ids: list[int],
        vote: int,
        answer_key: str,
    ) -> str:
        """One vote per user per answer, the last click winning.

        Returns "recorded" (the user's first vote on it), "changed" or "unchanged".
        """
        ids = ",".join(map(str, paragraph_ids))
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT vote FROM feedback WHERE user_id=? AND answer_key=?",
                (user_id, answer_key),
            ).fetchone()
            if row is not None and row[0] == vote:
                return "unchanged"
            conn.execute(
                "INSERT INTO feedback(user_id, question, paragraph_ids, vote, answer_key) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(user_id, answer_key) WHERE answer_key IS NOT NULL "
                "DO UPDATE SET vote=excluded.vote, at=datetime('now')",
                (user_id, question, ids, vote, answer_key),
            )
            return "recorded" if row is None else "changed"
