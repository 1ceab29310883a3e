"""The fast paths added for speed give the same answers as the plain ones they replace."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from retrieval.embedder import Embedder
from retrieval.errors import ModelError
from retrieval.index import Index
from retrieval.ingest import ingest_documents, token_counter
from retrieval.keyword import KeywordIndex
from retrieval.vectors import VectorIndex

TEXTS = [
    "The navy commissioned two new warships at the harbour on Friday.",
    "Farmers protested rising fertiliser prices outside parliament.",
    "The central bank raised interest rates by half a point.",
    "Warship construction slowed as steel shortages hit the shipyards.",
]


@pytest.mark.parametrize("ids", [[3, 7, 10, 42], [42, 3, 10, 7]])  # sorted and not
def test_rows_and_scores_match_per_id_lookup(ids):
    kw = KeywordIndex.build(np.array(ids), TEXTS)
    assert kw.rows_of([ids[2], 999, ids[0], -5]).tolist() == [2, -1, 0, -1]
    scores = kw.all_scores("warships harbour")
    got = kw.scores_at(scores, [ids[0], 999, ids[3]])
    assert got[0] == scores[0] and got[1] == 0 and got[2] == scores[3]
    top, _ = kw.top(scores, 3, allowed=np.array([ids[3], 999]))
    assert top.tolist() == [ids[3]]
    assert kw.query("warships", 2)[0].tolist() == kw.top(kw.all_scores("warships"), 2)[0].tolist()


def test_token_counter_counts_exactly_only_when_a_text_might_not_fit():
    calls: list[str] = []

    def exact(text: str) -> int:
        calls.append(text)
        return len(text.split()) * 3

    count = token_counter(exact, max_tokens=64)
    assert count("short") <= 64 and not calls  # fewer characters than the limit
    words = " ".join(["word"] * 20)  # 80+ characters but 20 units: 2*20+2 <= 64
    assert count(words) <= 64 and not calls
    long = " ".join(["word"] * 40)
    assert count(long) == 120 and calls == [long]  # might not fit: counted exactly
    cjk = "東京" * 40  # one regex "word", many WordPiece tokens: never estimated
    count(cjk)
    assert calls[-1] == cjk


def test_single_query_search_restores_faiss_threads():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    vi = VectorIndex.build(np.arange(50), v, 8)
    before = faiss.omp_get_max_threads()
    ids, _ = vi.search_arrays(v[7], 3)
    assert ids[0] == 7 and faiss.omp_get_max_threads() == before


def test_unknown_backend_is_refused_before_loading_anything():
    with pytest.raises(ModelError):
        Embedder(backend="fp4")


def test_overlapped_ingest_equals_sequential(tmp_path):
    from corpus.models import Document

    docs = [
        Document(
            f"d{i}",
            f'Mayor Ada Whitlock{i} said the port would reopen in {2020 + i}. "We are ready," '
            f"she said.\n\nFishermen in town {i} warned about dredging.\n",
            f"d{i}.txt",
        )
        for i in range(5)
    ]
    out = {}
    for overlap in (True, False):
        index = Index(tmp_path / str(overlap))
        summary = ingest_documents(index, docs, batch_size=2, overlap=overlap)
        assert summary.paragraphs_added == 10 and summary.documents_added == 5
        hits = index.store.hits([(i, 1.0) for i in range(1, 11)])
        out[overlap] = [(h.doc_id, h.text, [a.speaker for a in h.attributions]) for h in hits]
        assert index.vectors.ntotal == 10
        assert ingest_documents(index, docs, batch_size=2).paragraphs_embedded == 0
        index.close()
    assert out[True] == out[False]
    assert any(spk for _, _, spk in out[True])  # attribution really ran in the worker


def test_int8_backend_stays_close_to_the_exact_model():
    exact, int8 = Embedder(), Embedder(backend="int8")
    a, b = exact.encode(TEXTS), int8.encode(TEXTS)
    assert int8.model is not exact.model  # quantised a copy: the shared model stays exact
    assert float((a * b).sum(1).min()) > 0.95
    assert (a @ b.T).argmax(1).tolist() == list(range(len(TEXTS)))
