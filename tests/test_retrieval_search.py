"""Searcher end to end on a small index built here: real model, FAISS, bm25s, SQLite."""

from __future__ import annotations

import pytest

from retrieval.index import Index
from retrieval.ingest import ingest_paths
from retrieval.search import Searcher

ARTICLES = {
    "navy.txt": (
        "The navy commissioned two destroyers at Yokosuka on Friday.\n\n"
        'Ambassador Rahm Emanuel said the ships showed a firm alliance. "Japan and America '
        'stand together on the sea," he said.\n\n'
        'Professor Keiko Tanabe said budgets were the real test. "Money decides what gets '
        'built," she said.\n'
    ),
    "farm.txt": (
        "Rice farmers protested rising fertiliser prices outside the prefectural office.\n\n"
        'Union leader Hiro Sato said costs had doubled in a year. "We cannot plant at a '
        'loss," he said.\n'
    ),
    "copy.txt": (  # the same wire paragraph as farm.txt with one word changed
        "Rice farmers protested rising fertiliser prices outside the prefectural offices.\n"
    ),
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory) -> Searcher:
    root = tmp_path_factory.mktemp("search")
    docs = root / "docs"
    docs.mkdir()
    for name, text in ARTICLES.items():
        (docs / name).write_text(text)
    index = Index(root / "idx")
    ingest_paths(index, [docs])
    s = Searcher(index)
    s.warm_up()
    return s


def test_hybrid_finds_the_passage(searcher):
    hits = searcher.search("Why are rice farmers protesting?", top_k=3)
    assert hits and "fertiliser" in hits[0].text


def test_near_duplicates_collapse(searcher):
    hits = searcher.search("fertiliser prices protest", top_k=5)
    assert sum("fertiliser prices" in h.text for h in hits) == 1


def test_named_speaker_restricts_results(searcher):
    res = searcher.search_detailed("What did Emanuel say about the alliance?", top_k=3)
    assert res.speaker == "Rahm Emanuel"
    assert res.hits and all(
        any(a.speaker == "Rahm Emanuel" for a in h.attributions) for h in res.hits
    )
    assert searcher.search("What did Tanabe say?", speaker="Keiko Tanabe")


def test_who_said_ranks_by_quote(searcher):
    res = searcher.search_detailed('Who said "money decides what gets built"?', top_k=3)
    assert res.who_said == "money decides what gets built"
    assert any(a.speaker == "Keiko Tanabe" for a in res.hits[0].attributions)


def test_off_topic_question_gets_no_answer(searcher):
    res = searcher.search_detailed("How do I fix a segmentation fault in my C compiler?", top_k=3)
    assert res.no_answer and res.hits == []
