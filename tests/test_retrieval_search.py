"""Searcher end to end on a small index built here: real model, SQLite, and each search
backend (FAISS + bm25s, and Milvus Lite): the same questions get the same answers."""

from __future__ import annotations

import pytest

from retrieval.index import Index
from retrieval.ingest import ingest_paths
from retrieval.search import Searcher
from tests.conftest import BACKENDS, search_settings

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
    "docks.txt": (  # a second Sato: a surname two speakers share
        'Shipyard owner Kenji Sato said the dry docks were full until spring. "We turn away '
        'two ships a month," he said.\n\n'
        "Harbour master Ines Duarte said the dredging schedule, the pilot boat contract, the "
        'fuel tariffs and the autumn berth fees were settled. "Nobody tells the gulls," '
        "she said.\n"
    ),
    "ferry.txt": (  # the topic in the narrative beside her quote, then in her own words
        "Ferry fares rose again this spring, and commuters queued for hours to complain about "
        "the ferry fares at the harbour office. Mayor Lena Ortiz said the new terminal was "
        'finished on time. "The terminal cost less than we planned," she said.\n\n'
        'Ortiz later met commuters on the quay. "Nobody should pay more to cross the bay, so '
        'ferry fares will come down next year," she said.\n'
    ),
}


@pytest.fixture(scope="module", params=BACKENDS)
def searcher(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("search")
    docs = root / "docs"
    docs.mkdir()
    for name, text in ARTICLES.items():
        (docs / name).write_text(text)
    index = Index(root / "idx", search=search_settings(request.param))
    ingest_paths(index, [docs])
    s = Searcher(index)
    s.warm_up()
    yield s
    index.close()


def test_hybrid_finds_the_passage(searcher):
    hits = searcher.search("Why are rice farmers protesting?", top_k=3)
    assert hits and "fertiliser" in hits[0].text


def test_near_duplicates_collapse(searcher):
    hits = searcher.search("fertiliser prices protest", top_k=5)
    assert sum("fertiliser prices" in h.text for h in hits) == 1


def speakers_of(hit) -> set[str]:
    return {a.speaker for a in hit.attributions if a.speaker}


def test_a_question_asking_what_a_person_said_puts_their_passages_first(searcher):
    res = searcher.search_detailed("What did Emanuel say about the alliance?", top_k=3)
    assert res.speaker == "Rahm Emanuel"
    assert "Rahm Emanuel" in speakers_of(res.hits[0])
    (tanabe,) = [s for s in searcher.index.store.speakers() if s.name == "Keiko Tanabe"]
    hits = searcher.search("What did she say about budgets?", speaker=tanabe)
    assert hits and all("Keiko Tanabe" in speakers_of(h) for h in hits)


def test_what_a_person_said_about_a_topic_ranks_their_own_words_on_it_first(searcher):
    res = searcher.search_detailed("What did Lena Ortiz say about ferry fares?", top_k=3)
    assert res.speaker == "Lena Ortiz" and res.question.topic == "ferry fares"
    top = res.hits[0]  # not the paragraph that repeats the topic beside another quote of hers
    assert any(a.speaker == "Lena Ortiz" and "ferry fares" in a.quote for a in top.attributions)


def test_a_question_naming_a_person_who_is_not_its_subject_searches_everything(searcher):
    res = searcher.search_detailed(
        "Where did the navy commission destroyers, with Emanuel watching?", top_k=3
    )
    assert res.question.people and res.question.subject is None
    assert "commissioned two destroyers" in res.hits[0].text  # quotes nobody


def test_a_surname_two_speakers_share_sends_the_question_to_neither(searcher):
    res = searcher.search_detailed("What did Sato say about the dry docks?", top_k=3)
    assert res.question.people == ()  # "Sato" could be Hiro or Kenji: nobody is assumed
    assert "dry docks" in res.hits[0].text  # found by its words, as for any question
    res = searcher.search_detailed("What did Kenji Sato say about ships?", top_k=3)
    assert res.speaker == "Kenji Sato"
    assert speakers_of(res.hits[0]) == {"Kenji Sato"}
    res = searcher.search_detailed("What did Hiro Sato say about ships?", top_k=3)
    assert res.speaker == "Hiro Sato" and "Kenji Sato" not in speakers_of(res.hits[0])


def test_a_verbatim_quote_is_answered_even_where_the_evidence_floor_refuses(searcher):
    strict = Searcher(searcher.index, no_answer_score=10.0)  # no cosine can pass this
    res = strict.search_detailed("Who said “nobody tells the gulls”?", top_k=3)
    assert not res.no_answer and res.best_cosine < 0.6  # a short quote, far from its passage
    assert "Nobody tells the gulls" in res.hits[0].text
    assert speakers_of(res.hits[0]) == {"Ines Duarte"}
    assert strict.search_detailed("What are the autumn berth fees?").no_answer


def test_who_said_ranks_by_quote(searcher):
    res = searcher.search_detailed('Who said "money decides what gets built"?', top_k=3)
    assert res.who_said == "money decides what gets built"
    assert any(a.speaker == "Keiko Tanabe" for a in res.hits[0].attributions)


def test_off_topic_question_gets_no_answer(searcher):
    res = searcher.search_detailed("How do I fix a segmentation fault in my C compiler?", top_k=3)
    assert res.no_answer and res.hits == []


def test_a_chosen_speaker_whose_passages_do_not_answer_widens_to_everyone(searcher):
    (tanabe,) = [s for s in searcher.index.store.speakers() if s.name == "Keiko Tanabe"]
    res = searcher.search_detailed("Why are rice farmers protesting?", speaker=tanabe)
    assert res.widened and res.speaker == "Keiko Tanabe"
    assert "fertiliser" in res.hits[0].text
    kept = searcher.search_detailed("Why are rice farmers protesting?", speaker=tanabe, widen=False)
    assert kept.no_answer and kept.hits == []  # /quotes: only what she said, or nothing
