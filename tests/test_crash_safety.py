"""kill -9 at any moment of an ingest or a vector rebuild leaves an index that opens, agrees
with its metadata, and completes when the same ingest runs again: with the FAISS backend and
with Milvus (Lite) alike.

Real subprocesses (`attribot ingest`), real SIGKILLs; nothing is mocked.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from retrieval.check import check_index, repair_index
from retrieval.index import Index
from retrieval.ingest import ingest_paths
from retrieval.store import DB_FILE
from retrieval.vectors import VECTORS_FILE, vector_ids
from tests.conftest import BACKENDS, backend_env

ROOT = Path(__file__).resolve().parents[1]
ATTRIBOT = Path(sys.executable).with_name("attribot")
N_DOCS = 160  # three ingest batches (64, 64, 32): kills land before, between and in commits
WORDS = [
    "council",
    "harbour",
    "bridge",
    "budget",
    "river",
    "school",
    "library",
    "mayor",
    "vote",
    "repair",
]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def make_corpus(folder: Path, n: int = N_DOCS, seed: int = 7) -> Path:
    """Small two-paragraph articles: cheap to analyse, so a few batches take seconds."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for i in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(12))
        (folder / f"note{i:04d}.txt").write_text(
            f"Note {i} about the {words}.\n\n"
            f'"We will fix the {rng.choice(WORDS)} by June," said Mayor Ada Whitlock.\n'
        )
    return folder


def _env(backend: str = "faiss") -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISCORD_TOKEN", None)
    env["ATTRIBOT_LOG_LEVEL"] = "WARNING"
    env.update(backend_env(backend))
    return env


def start_ingest(corpus: Path, index: Path, backend: str = "faiss") -> subprocess.Popen:
    return subprocess.Popen(
        [str(ATTRIBOT), "ingest", str(corpus), "--index", str(index), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(backend),
        cwd=index.parent,
    )


def db_generation(index: Path) -> int:
    """The committed generation, read the way a second process would (read-only)."""
    try:
        conn = sqlite3.connect(f"file:{index / DB_FILE}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def kill_when(proc: subprocess.Popen, ready, timeout: float = 45.0) -> bool:
    """SIGKILL `proc` as soon as `ready()` holds; False when it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    pytest.fail("the ingest neither finished nor reached the kill point in time")


def assert_consistent(folder: Path) -> None:
    """Opening repairs whatever a kill left; after that every check passes."""
    before = check_index(folder)
    # a kill never damages the database itself: only derived files can be behind
    assert before.ok or before.repairable, before.to_json()
    index = Index(folder, create=False)
    try:
        paragraphs = index.store.paragraph_ids()
        if index.vector_kind == "milvus":
            # opening reconciles the collection; check_index below compares every id
            assert index.search_backend().ntotal == len(paragraphs)
        else:
            vectors = index.vectors
            assert vectors.ntotal == len(paragraphs)
            ids = vector_ids(vectors.index)
            assert len(np.unique(ids)) == len(ids), "duplicate vector ids"
            assert set(ids.tolist()) == set(paragraphs)
    finally:
        index.close()
    after = check_index(folder)
    assert after.ok, after.to_json()


def content(folder: Path) -> tuple[set, int, int]:
    """What an index holds, independent of the ids it happened to assign."""
    conn = sqlite3.connect(f"file:{folder / DB_FILE}?mode=ro", uri=True)
    try:
        rows = set(
            conn.execute(
                "SELECT d.doc_id, p.idx, p.text_hash FROM paragraphs p "
                "JOIN documents d ON d.id=p.document_id"
            )
        )
        attrs = conn.execute("SELECT COUNT(*) FROM attributions").fetchone()[0]
        docs = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    finally:
        conn.close()
    return rows, attrs, docs


@pytest.mark.needs_model  # the ingest subprocess embeds and parses
@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_during_ingest_then_rerun_completes(tmp_path, backend):
    corpus = make_corpus(tmp_path / "corpus")
    # The reference runs beside the kill sequence (second core), not after it.
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    clean = start_ingest(corpus, clean_dir / "index", backend)

    work = tmp_path / "work"
    work.mkdir()
    index = work / "index"
    rng = random.Random(int(time.time()))
    start = time.monotonic()
    # 1. during start-up, before anything is written (or while the empty index is created)
    proc = start_ingest(corpus, index, backend)
    kill_when(proc, lambda: time.monotonic() - start > 0.5)
    if (index / DB_FILE).exists():
        assert_consistent(index)
    # 2. a random moment from just after the first batch commits (the vector file is then
    # always stale) into the next batch: analysing, embedding or committing
    proc = start_ingest(corpus, index, backend)
    delay = rng.uniform(0.0, 1.5)
    marks: dict[str, float] = {}

    def after_first_commit() -> bool:
        if "at" not in marks and db_generation(index) >= 1:
            marks["at"] = time.monotonic()
        return "at" in marks and time.monotonic() - marks["at"] >= delay

    assert kill_when(proc, after_first_commit), "finished before the kill"
    assert_consistent(index)
    # 3. the same ingest again runs to the end
    proc = start_ingest(corpus, index, backend)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert_consistent(index)

    out, err = clean.communicate(timeout=60)
    assert clean.returncode == 0, err.decode()
    resumed, reference = content(index), content(clean_dir / "index")
    assert resumed[2] == reference[2] == N_DOCS
    assert resumed == reference  # same paragraphs, same attributions count


REBUILD_FOREVER = (
    "import sys\n"
    "from retrieval.index import Index\n"
    "index = Index(sys.argv[1], create=False)\n"
    "while True:\n"
    "    index.rebuild_vectors()\n"
    "    print('rebuilt', flush=True)\n"
)


def start_rebuilding(index: Path) -> subprocess.Popen:
    """A process rebuilding the index's vectors (or collection) from SQLite over and over,
    printing a line after each: what /reindex and a repair do."""
    return subprocess.Popen(
        [sys.executable, "-c", REBUILD_FOREVER, str(index)],
        stdout=subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
    )


def test_kill_9_during_vector_rebuild(tmp_path, index_copy):
    """What /reindex and a repair do: rebuild the vector file from SQLite. A kill at any
    point leaves the old file or the new one, never a torn one."""
    rng = random.Random()
    for _ in range(3):
        proc = start_rebuilding(index_copy)
        vec = index_copy / VECTORS_FILE
        mtime = vec.stat().st_mtime_ns
        # wait until it has rewritten the file at least once, then kill at a random moment
        deadline = time.monotonic() + 30
        while vec.stat().st_mtime_ns == mtime and time.monotonic() < deadline:
            assert proc.poll() is None
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        report = check_index(index_copy)
        assert report.ok or report.repairable, report.to_json()
        assert_consistent(index_copy)


def test_kill_9_during_milvus_rebuild(tmp_path, built_milvus_index):
    """/reindex and a repair of a Milvus index: fill a new collection from SQLite and switch
    to it. A kill at any point leaves a collection in use that the next open reconciles."""
    index = tmp_path / "index"
    shutil.copytree(built_milvus_index, index)
    rng = random.Random()
    for _ in range(3):
        proc = start_rebuilding(index)
        assert proc.stdout is not None and proc.stdout.readline() == b"rebuilt\n"
        time.sleep(rng.uniform(0, 0.5))  # somewhere in the next rebuild, or between two
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        report = check_index(index)
        assert report.ok or report.repairable, report.to_json()
        assert_consistent(index)


def test_missing_embeddings_are_reported_with_the_command_to_run(index_copy):
    """The one thing Index cannot rebuild alone; check says exactly what to run, and the
    repair it names works."""
    conn = sqlite3.connect(index_copy / DB_FILE)
    with conn:
        conn.execute("DELETE FROM embeddings WHERE rowid IN (SELECT rowid FROM embeddings LIMIT 3)")
    conn.close()
    (index_copy / VECTORS_FILE).unlink()
    report = check_index(index_copy)
    assert not report.ok and report.repairable
    assert {"missing_embeddings", "vectors_missing"} <= {p.code for p in report.problems}
    assert report.advice() == f"run `attribot check --repair --index {index_copy}`"

    from retrieval.errors import IndexProblem

    index = Index(index_copy, create=False)
    with pytest.raises(IndexProblem, match=r"attribot check --repair --index"):
        index.vectors  # noqa: B018
    index.close()

    fixed = repair_index(index_copy)
    assert fixed.ok, fixed.to_json()
    assert any("re-embedded" in line for line in fixed.repaired)
    assert_consistent(index_copy)


def test_stale_or_broken_vector_file_is_rebuilt_on_open(index_copy):
    index = Index(index_copy, create=False)
    expected = index.vectors.ntotal
    index.close()
    for damage in (b"", b"garbage" * 100, None):
        path = index_copy / VECTORS_FILE
        if damage is None:
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # truncated
        else:
            path.write_bytes(damage)
        report = check_index(index_copy)
        assert report.repairable and "vectors_unreadable" in {p.code for p in report.problems}
        index = Index(index_copy, create=False)
        assert index.vectors.ntotal == expected
        index.close()
        assert check_index(index_copy).ok


# -- readers and writers at once ------------------------------------------------------------
def _exists(folder: Path, ids: list[int]) -> bool:
    conn = sqlite3.connect(f"file:{folder / DB_FILE}?mode=ro", uri=True, timeout=10)
    try:
        marks = ",".join("?" * len(ids))
        found = conn.execute(f"SELECT COUNT(*) FROM paragraphs WHERE id IN ({marks})", ids)
        return found.fetchone()[0] == len(ids)
    finally:
        conn.close()


def test_service_keeps_answering_while_another_process_ingests(index_copy, tmp_path):
    """The bot's situation during `attribot ingest` into its index: every answer comes
    back, every hit is a real paragraph, and the new documents appear once the ingest saves."""
    import threading

    from bot.service import AttribotService

    corpus = make_corpus(tmp_path / "corpus", n=130)
    svc = AttribotService(index_copy)
    svc.warm_up()
    before = svc.index.store.counts()
    questions = [
        "Who will pay for the new ferries?",
        "What did the council decide about the budget?",
    ]
    errors: list[BaseException] = []
    asked = [0]
    proc = start_ingest(corpus, index_copy)

    def asker(question: str) -> None:
        while proc.poll() is None:
            try:
                hits = svc.ask(question, top_k=5).hits
                assert hits, "no answer"
                assert _exists(index_copy, [h.paragraph_id for h in hits]), "unknown hit id"
                asked[0] += 1
            except BaseException as exc:  # noqa: BLE001 - collected and reported below
                errors.append(exc)
                return
            time.sleep(0.05)

    threads = [threading.Thread(target=asker, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    out, err = proc.communicate(timeout=120)
    for t in threads:
        t.join()
    assert proc.returncode == 0, err.decode()
    assert not errors, errors
    assert asked[0] >= 10  # really asked during the ingest
    hits = svc.ask("What will Mayor Ada Whitlock fix by June?").hits  # refresh: the new
    assert any("note0" in (h.path or "") for h in hits), [h.path for h in hits]
    counts = svc.index.store.counts()
    assert counts["documents"] == before["documents"] + 130
    assert svc.index.vectors.ntotal == counts["paragraphs"]
    svc.index.close()
    assert check_index(index_copy).ok


def test_two_writers_at_once_leave_every_reader_complete(index_copy, tmp_path):
    """A /ingest upload in the bot while `attribot ingest` runs from a shell: each writer's
    vectors lack the other's paragraphs, so whichever saves last must not publish a vector
    file missing the other's (it would be adopted by running bots and silently lose
    passages)."""
    from bot.service import AttribotService

    corpus = make_corpus(tmp_path / "corpus", n=160)
    upload = tmp_path / "upload.txt"
    upload.write_text(
        "Lighthouse keeper Ines Carvalho said the beacon at Port Verran will be restored.\n\n"
        '"We light it again in August," Carvalho said.\n'
    )
    svc = AttribotService(index_copy)
    svc.warm_up()
    gen0 = svc.index.store.generation
    proc = start_ingest(corpus, index_copy)
    deadline = time.monotonic() + 60
    while db_generation(index_copy) == gen0 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1].decode()
        time.sleep(0.02)
    # the shell ingest has committed a batch its in-memory vectors hold and ours do not
    summary = ingest_paths(svc.index, [upload])
    assert summary.documents_added == 1
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    svc.ask("beacon at Port Verran")  # refresh to whatever was published last
    paragraphs = svc.index.store.paragraph_ids()
    ids = vector_ids(svc.index.vectors.index)
    assert set(ids.tolist()) == set(paragraphs), (len(ids), len(paragraphs))
    svc.index.close()
    assert check_index(index_copy).ok, check_index(index_copy).to_json()
