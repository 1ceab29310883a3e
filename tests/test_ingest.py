"""Ingestion on the real model, FAISS and SQLite."""

import json

import numpy as np
import pytest

from retrieval.index import Index
from retrieval.ingest import ingest_paths
from retrieval.vectors import read_sidecar


def _write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


ARTICLE = (
    "The port authority approved a new container terminal on Monday.\n\n"
    'Harbour master Ada Whitlock said the terminal would open in 2027. "It doubles our '
    'capacity," she said.\n\n'
    "Fishermen warned that dredging could harm the spawning grounds.\n"
)


def test_ingest_then_reingest_changes_nothing(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "port.txt", ARTICLE)
    index = Index(tmp_path / "idx")
    first = ingest_paths(index, [docs])
    assert (first.documents_added, first.paragraphs_added) == (1, 3)
    assert first.paragraphs_embedded == 3
    generation = index.store.generation
    again = ingest_paths(index, [docs])
    assert again.documents_unchanged == 1
    assert (again.documents_added, again.paragraphs_added, again.paragraphs_embedded) == (0, 0, 0)
    assert index.store.generation == generation  # nothing written at all
    assert index.vectors.ntotal == index.store.counts()["paragraphs"] == 3


def test_changed_file_replaces_its_paragraphs_and_embeds_only_new_text(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    path = _write(docs, "port.txt", ARTICLE)
    index = Index(tmp_path / "idx")
    ingest_paths(index, [docs])
    old_ids = set(index.store.paragraph_ids())
    path.write_text(ARTICLE + "\nThe terminal will employ four hundred people.\n")
    summary = ingest_paths(index, [docs])
    assert summary.documents_updated == 1
    assert (summary.paragraphs_removed, summary.paragraphs_added) == (3, 4)
    assert summary.paragraphs_embedded == 1  # three unchanged texts come from the cache
    new_ids = set(index.store.paragraph_ids())
    assert not old_ids & new_ids  # ids are never reused
    assert index.vectors.ntotal == 4
    hits = index.store.hits(index.vectors.search(index.embedder.encode_query("jobs"), 1))
    assert "four hundred" in hits[0].text


def test_attributions_are_stored_with_the_paragraphs(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "port.txt", ARTICLE)
    index = Index(tmp_path / "idx")
    ingest_paths(index, [docs])
    hits = index.store.hits([(pid, 0.0) for pid in index.store.paragraph_ids()])
    quoted = [a for h in hits for a in h.attributions]
    assert any(
        a.speaker == "Ada Whitlock" and a.quote == "It doubles our capacity," for a in quoted
    )
    second = hits[1]
    for a in second.attributions:  # spans are relative to the paragraph text
        assert second.text[a.quote_span[0] : a.quote_span[1]] == a.quote
    names = [s.name for s in index.store.speakers()]
    assert "Ada Whitlock" in names


def test_vector_file_rebuilt_from_sqlite_when_stale(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "port.txt", ARTICLE)
    folder = tmp_path / "idx"
    index = Index(folder)
    ingest_paths(index, [docs])
    query = index.embedder.encode_query("container terminal")
    expected = index.vectors.search(query, 3)
    index.close()
    sidecar = folder / "vectors.json"
    info = json.loads(sidecar.read_text())
    info["generation"] = 0  # as if a crash happened between the commit and the vector save
    sidecar.write_text(json.dumps(info))
    reopened = Index(folder)
    got = reopened.vectors.search(query, 3)
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)
    assert read_sidecar(folder).generation == reopened.store.generation


def test_jsonl_documents_keep_their_ids(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(
        json.dumps({"id": "x-1", "text": "The bridge opens in May.", "title": "Bridge"}) + "\n"
    )
    index = Index(tmp_path / "idx")
    ingest_paths(index, [path])
    (hit,) = index.store.hits([(index.store.paragraph_ids()[0], 1.0)])
    assert hit.doc_id == "x-1" and hit.title == "Bridge"


def test_same_person_in_two_documents_is_one_speaker_with_both_roles(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(
        docs,
        "one.txt",
        'Harbour master Ada Whitlock said the dredging would start in May. "We are ready," '
        "Whitlock said.\n",
    )
    _write(
        docs,
        "two.txt",
        "Ada Whitlock, the chair of the regional ports board, said fees would not rise.\n",
    )
    index = Index(tmp_path / "idx")
    ingest_paths(index, [docs])
    (whitlock,) = [s for s in index.store.speakers() if "Whitlock" in s.name]
    assert whitlock.name == "Ada Whitlock"
    assert whitlock.quote_count == 3
    assert any("Harbour master" in r for r in whitlock.roles)
    assert any("chair of the regional ports board" in r for r in whitlock.roles)


def test_an_index_keeps_its_embedding_backend(tmp_path):
    from retrieval.errors import IndexProblem

    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "port.txt", ARTICLE)
    index = Index(tmp_path / "idx", backend="int8")
    ingest_paths(index, [docs])
    index.close()
    reopened = Index(tmp_path / "idx")
    assert reopened.embedder.backend == "int8"
    reopened.close()
    with pytest.raises(IndexProblem, match="'int8' embedding backend"):
        Index(tmp_path / "idx", backend="torch")
