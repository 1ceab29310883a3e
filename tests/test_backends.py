"""The search backend interface (retrieval/backend.py) held to one contract by FAISS + bm25s
and by Milvus (Lite): the same candidates and scores on the same index, filters inside the
search, and Milvus' own ways of going wrong each met with a clear answer. Real Milvus Lite,
real FAISS, the real model; nothing mocked.

The search, speaker, crash and bad-input tests run on both backends too (the BACKENDS
parameter in tests/test_retrieval_search.py, test_crash_safety.py and test_bad_input.py).
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

from bot.cli import cli
from retrieval.backend import BackendSettings
from retrieval.check import check_index
from retrieval.errors import IndexProblem
from retrieval.store import DB_FILE
from tests.conftest import HAVE_MILVUS, ROOT

needs_milvus = pytest.mark.skipif(
    not HAVE_MILVUS,
    reason="pymilvus and milvus-lite are not installed (pip install 'attribot[milvus]')",
)
QUESTIONS = [
    "What did the minister say about ticket prices?",
    "Who is paying for the bridge repairs?",
    "frost damage to the fruit harvest",
    "How do I fix a segmentation fault in my C compiler?",
]


def run(*args, env: dict | None = None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture(scope="module")
def pair(built_index, built_milvus_index):
    """The sample corpus searched with FAISS and with Milvus Lite (read-only)."""
    from retrieval.index import Index
    from retrieval.search import Searcher

    faiss_index, milvus_index = Index(built_index), Index(built_milvus_index)
    texts = (faiss_index.store.paragraph_texts(), milvus_index.store.paragraph_texts())
    assert texts[0] == texts[1], "both sample indexes hold the same paragraphs, same ids"
    searchers = Searcher(faiss_index), Searcher(milvus_index)
    backends = [s.index.search_backend(s.keyword_index) for s in searchers]
    yield searchers, backends
    faiss_index.close()
    milvus_index.close()


@needs_milvus
@pytest.mark.parametrize("question", QUESTIONS)
def test_both_backends_give_the_same_candidates_and_scores(pair, question):
    (faiss_s, _), (faiss, milvus) = pair
    q = faiss_s.index.embedder.encode_query(question)
    a, b = faiss.dense(q, 10), milvus.dense(q, 10)
    assert a[0].tolist() == b[0].tolist()
    assert np.allclose(a[1], b[1], atol=1e-5)
    kq_a, kq_b = faiss.keyword_query(question), milvus.keyword_query(question)
    a, b = faiss.keyword(kq_a, 10), milvus.keyword(kq_b, 10)
    assert a[0].tolist() == b[0].tolist()
    # Milvus' BM25 has Robertson's (k1 + 1) factor; scaled back, it is bm25s' score
    assert np.allclose(a[1], b[1], rtol=1e-5)
    some = np.array([3, 7, 11, 25, 30, 999], dtype=np.int64)  # 999: no such paragraph
    assert np.allclose(faiss.keyword_scores(kq_a, some), milvus.keyword_scores(kq_b, some))
    assert np.allclose(faiss.vectors_for(some), milvus.vectors_for(some), atol=1e-6)
    for ids in (None, some[:3]):
        assert np.isclose(faiss.keyword_best(kq_a, ids), milvus.keyword_best(kq_b, ids))


@needs_milvus
@pytest.mark.parametrize("question", QUESTIONS)
def test_both_backends_answer_alike_through_the_searcher(pair, question):
    """Same passages, same fused scores, same no-answer evidence: the no-answer threshold
    calibrated on bm25s holds for Milvus."""
    (faiss_s, milvus_s), _ = pair
    a, b = faiss_s.search_detailed(question), milvus_s.search_detailed(question)
    assert [h.paragraph_id for h in a.hits] == [h.paragraph_id for h in b.hits]
    assert np.allclose([h.score for h in a.hits], [h.score for h in b.hits], atol=1e-4)
    assert a.no_answer == b.no_answer
    assert np.isclose(a.lexical, b.lexical) and np.isclose(a.best_cosine, b.best_cosine)


@needs_milvus
def test_a_filtered_milvus_search_returns_k_of_the_filtered_ids_best_first(pair):
    """Filtered HNSW can come back short of k: whatever the engine does, the answer is the
    k nearest of the allowed ids (scored exactly when the engine falls short)."""
    (faiss_s, _), (_, milvus) = pair
    q = faiss_s.index.embedder.encode_query("bridge repair costs").reshape(-1)
    allowed = np.arange(1, 35, 2, dtype=np.int64)  # 17 ids, more than k
    ids, cos = milvus.dense(q, 10, allowed)
    exact = milvus.vectors_for(allowed) @ q
    assert len(ids) == 10 and set(ids.tolist()) <= set(allowed.tolist())
    assert ids.tolist() == allowed[np.argsort(-exact, kind="stable")[:10]].tolist()
    assert np.allclose(cos, np.sort(exact)[::-1][:10], atol=1e-5)
    kw_ids, _ = milvus.keyword(milvus.keyword_query("bridge repairs"), 50, allowed)
    assert len(kw_ids) and set(kw_ids.tolist()) <= set(allowed.tolist())


@needs_milvus
@pytest.mark.needs_model
def test_milvus_filters_by_collection_inside_the_search(built_milvus_index, tmp_path):
    """What issue 13's collections plug into: the collection is the partition key, and a
    search in one collection finds its passages only, at full k."""
    from retrieval.index import Index

    folder = tmp_path / "index"
    shutil.copytree(built_milvus_index, folder)
    index = Index(folder)
    try:
        backend = index.search_backend()
        vectors = backend.vectors_for([25, 26])
        backend.add([9001, 9002], vectors, ["ticket prices rise", "season tickets"], ["b"] * 2)
        q = vectors[0]
        ids, _ = backend.dense(q, 5, collections=frozenset({"b"}))
        assert ids.tolist() == [9001, 9002]
        ids, _ = backend.dense(q, 5, collections=frozenset({"default"}))
        assert ids[0] == 25 and not {9001, 9002} & set(ids.tolist())
        kq = backend.keyword_query("ticket prices")
        assert backend.keyword(kq, 5, collections=frozenset({"b"}))[0].tolist() == [9001, 9002]
        assert 9001 not in backend.keyword(kq, 5, collections=frozenset({"default"}))[0]
    finally:
        index.close()


@needs_milvus
def test_an_index_parameter_milvus_drops_fails_loudly(tmp_path):
    """Milvus Lite keeps build parameters only in one JSON "params" value: given as separate
    keys (pymilvus' usual way) they vanish. Reading the indexes back catches it."""
    from pymilvus import DataType, MilvusClient

    from retrieval.milvus_backend import check_indexes, disconnect

    uri = str(tmp_path / "lite.db")
    client = MilvusClient(uri)
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=4)
    params = client.prepare_index_params()
    params.add_index(
        field_name="vector",
        index_name="vector",
        index_type="HNSW",
        metric_type="IP",
        M=16,
        efConstruction=200,
    )
    client.create_collection("dropped", schema=schema, index_params=params)
    with pytest.raises(IndexProblem, match=r"vector M=16 came back as None"):
        check_indexes(client, "dropped", lite=True)
    disconnect(client, uri)


@needs_milvus
@pytest.mark.needs_model
def test_a_collection_behind_the_database_is_reconciled(built_milvus_index, tmp_path):
    """What a writer killed between its SQLite commit and its Milvus upsert leaves: rows
    missing, rows of paragraphs since deleted, the mark behind. Reconciling with SQLite
    (ids compared, the difference upserted and deleted) puts it right; so does simply
    opening the index, which reconciles and, on Lite, rebuilds into one segment."""
    from retrieval.index import Index
    from retrieval.milvus_backend import MilvusMirror

    folder = tmp_path / "index"
    shutil.copytree(built_milvus_index, folder)
    for how in ("reconcile", "open"):
        index = Index(folder)
        mirror = MilvusMirror(index.store, folder, BackendSettings(), index.model_name)
        backend = mirror.open(384, reconcile=False)
        stale = backend.vectors_for([1])
        backend.remove([2, 3, 4])
        backend.add([5000], stale, ["a paragraph the database no longer has"], ["default"])
        mirror.client().alter_collection_properties(
            backend.name, properties={"attribot.generation": "0"}
        )
        if how == "reconcile":
            assert mirror.reconcile(backend) == index.store.generation
        mirror.close()
        index.close()
        if how == "open":
            codes = {p.code for p in check_index(folder).problems}
            assert {"ids_mismatch", "stale_generation", "count_mismatch"} <= codes
            index = Index(folder)
            assert index.search_backend().ntotal == index.store.counts()["paragraphs"]
            index.close()
        assert check_index(folder).ok, (how, check_index(folder).to_json())


@needs_milvus
@pytest.mark.needs_model
def test_json_contracts_have_the_same_shape_on_both_backends(sample_index_copy):
    stats = json.loads(run("stats", "--index", sample_index_copy, "--json").stdout)
    assert list(stats) == ["documents", "paragraphs", "vectors", "speakers", "attributions"]
    assert stats["vectors"] == stats["paragraphs"]
    report = json.loads(run("check", "--index", sample_index_copy, "--json").stdout)
    assert report["ok"] and list(report["counts"]) == [
        "documents",
        "paragraphs",
        "generation",
        "missing_embeddings",
        "vectors",
        "vectors_generation",
    ]
    answer = json.loads(
        run("ask", "Will ticket prices rise?", "--index", sample_index_copy, "--json").stdout
    )
    assert answer["hits"] and answer["hits"][0]["paragraph_id"] == 25


# -- settings and bad input -------------------------------------------------------------------
@needs_milvus
@pytest.mark.needs_model
def test_an_index_keeps_its_vector_backend(built_index, built_milvus_index):
    from retrieval.index import Index

    with pytest.raises(IndexProblem, match="built with the 'faiss' vector backend, not 'milvus'"):
        Index(built_index, search=BackendSettings("milvus"))
    result = run("ask", "ticket prices", "--index", built_milvus_index, env=_env("faiss"))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {built_milvus_index} was built with the 'milvus' vector backend, not "
        "'faiss': use another --index folder, or ATTRIBOT_VECTOR_BACKEND=milvus"
    )
    # without the setting, an index searches with what it was built with
    index = Index(built_milvus_index)
    assert index.vector_kind == "milvus"
    index.close()


def _env(backend: str, **more: str) -> dict[str, str]:
    return {"ATTRIBOT_VECTOR_BACKEND": backend, **more}


@needs_milvus
@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ftp://milvus:19530", "neither http(s):// (a Milvus server) nor a path ending in .db"),
        ("data/milvus.sqlite", "neither http(s):// (a Milvus server) nor a path ending in .db"),
        ("http://admin:secret@milvus:19530", "without them and the credentials as"),
    ],
)
def test_a_bad_milvus_uri_is_one_line(tmp_path, uri, message):
    (tmp_path / "a.txt").write_text("The ferry runs again on Monday, the harbour master said.\n")
    result = run(
        "ingest",
        tmp_path / "a.txt",
        "--index",
        tmp_path / "i",
        env=_env("milvus", **{"ATTRIBOT_MILVUS_URI": uri}),
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "secret" not in result.stderr


@needs_milvus
@pytest.mark.needs_model  # the new index's dimension comes from the model
def test_an_unreachable_server_is_one_line_and_the_token_never_shows(tmp_path):
    token = "root:Sup3rSecretMilvusPassw0rd"
    (tmp_path / "a.txt").write_text("The ferry runs again on Monday, the harbour master said.\n")
    env = _env("milvus", ATTRIBOT_MILVUS_URI="http://127.0.0.1:9", ATTRIBOT_MILVUS_TOKEN=token)
    result = run("ingest", tmp_path / "a.txt", "--index", tmp_path / "i", "--json", env=env)
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: cannot open Milvus at http://127.0.0.1:9")
    assert len(result.stderr.strip().splitlines()) == 1
    assert token not in result.output


def test_the_milvus_token_is_a_secret_redacted_from_logs(monkeypatch, caplog):
    from bot.logs import RedactSecrets
    from bot.settings import Settings

    token = "root:Sup3rSecretMilvusPassw0rd"
    monkeypatch.setenv("ATTRIBOT_MILVUS_TOKEN", token)
    monkeypatch.setenv("ATTRIBOT_VECTOR_BACKEND", "milvus")
    settings = Settings(_env_file=None)
    assert token not in repr(settings) and token not in repr(settings.search)
    assert settings.search.milvus_token == token and token in settings.secrets
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "connecting with %s", (token,), None)
    assert RedactSecrets(settings.secrets).filter(record)
    assert record.getMessage() == "connecting with [token]"


def test_an_unknown_vector_backend_setting_is_refused(tmp_path):
    result = run("stats", "--index", tmp_path, env={"ATTRIBOT_VECTOR_BACKEND": "qdrant"})
    assert result.exit_code == 1
    assert "ATTRIBOT_VECTOR_BACKEND" in result.stderr and "faiss, milvus" in result.stderr


@needs_milvus
@pytest.mark.needs_model
def test_milvus_lite_open_in_another_process_is_one_line(built_milvus_index, tmp_path):
    """Milvus Lite serves one process: the second gets a sentence saying so and what to
    use instead, not pymilvus' traceback."""
    folder = tmp_path / "index"
    shutil.copytree(built_milvus_index, folder)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom retrieval.index import Index\n"
            "Index(sys.argv[1]).vector_count()\nprint('open', flush=True)\ntime.sleep(60)\n",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"open\n"
        result = run("ask", "ticket prices", "--index", folder)
        assert result.exit_code == 1
        assert "another process has it open (Milvus Lite serves one process" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        report = check_index(folder)
        assert [p.code for p in report.problems] == ["milvus_unreachable"]
        assert report.advice().startswith("make Milvus reachable")
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert run("ask", "ticket prices", "--index", folder).exit_code == 0  # released


def test_without_pymilvus_a_milvus_index_says_what_to_install(tmp_path, monkeypatch):
    """A fresh clone without the extra: one line naming the extra."""
    from retrieval.index import Index

    folder = tmp_path / "index"
    folder.mkdir()
    conn = sqlite3.connect(folder / DB_FILE)
    conn.close()
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # what an absent package imports as
    monkeypatch.delitem(sys.modules, "retrieval.milvus_backend", raising=False)
    with pytest.raises(IndexProblem, match=r"pip install 'attribot\[milvus\]'"):
        Index(folder, search=BackendSettings("milvus"))
