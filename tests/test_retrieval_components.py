"""Keyword index, fusion, speaker matching, dedupe and the IVF switch: real bm25s and FAISS."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

import retrieval.vectors as vec
from retrieval.dedupe import collapse
from retrieval.faiss_backend import FaissBackend
from retrieval.fusion import NAIVE_RRF, SHIPPED, FusionParams, fuse_scores, hubness, rank
from retrieval.keyword import KeywordIndex, stem, tokenize
from retrieval.question import read_question, who_said_content
from retrieval.search import retrieve
from retrieval.speaker_match import SpeakerRegistry

TEXTS = [
    "The navy commissioned two new warships at the harbour on Friday.",
    "Farmers protested rising fertiliser prices outside parliament.",
    "The central bank raised interest rates by half a point.",
    "Warship construction slowed as steel shortages hit the shipyards.",
]


def test_stemmer_folds_common_suffixes_and_keeps_short_words():
    assert stem("warships") == stem("warship")
    assert stem("raised") == stem("raising") == stem("raise")
    assert stem("bus") == "bus"
    assert "the" not in tokenize("The warships")


def test_keyword_query_restrict_and_roundtrip(tmp_path):
    ids = np.array([10, 20, 30, 40])
    kw = KeywordIndex.build(ids, TEXTS)
    got, scores = kw.query("warships harbour", k=3)
    assert got[0] == 10 and 40 in got and np.all(np.diff(scores) <= 0)
    only, _ = kw.query("warships", k=3, allowed=np.array([40]))
    assert only.tolist() == [40]
    assert kw.query("zebra", k=3)[0].size == 0
    kw.save(tmp_path / "kw", extra={"generation": 3})
    kw2 = KeywordIndex.load(tmp_path / "kw")
    assert kw2.query("interest rates", k=1)[0].tolist() == [30]
    assert kw2.scores_for("interest rates", [30, 99])[1] == 0.0


def test_a_keyword_index_is_reused_at_its_generation_and_rebuilt_at_another(tmp_path):
    ids = [10, 20, 30, 40]
    builds = []

    def source():
        builds.append(1)
        return ids, TEXTS

    folder = tmp_path / "keyword"
    first = KeywordIndex.open(folder, 3, source)
    assert len(builds) == 1 and (folder / "keyword.json").exists()
    again = KeywordIndex.open(folder, 3, source)  # a new process at the same generation
    assert len(builds) == 1
    assert again.query("interest rates", k=1)[0].tolist() == [30]
    assert first.query("interest rates", k=1)[0].tolist() == [30]
    KeywordIndex.open(folder, 4, source)  # the database moved on: built again, and saved
    assert len(builds) == 2
    KeywordIndex.open(folder, 4, source)
    assert len(builds) == 2
    (folder / "keyword.json").write_text("{not json")  # a damaged save is rebuilt, not fatal
    assert KeywordIndex.open(folder, 4, source).query("warships", k=1)[0].tolist() == [10]
    assert len(builds) == 3


def test_fusion_methods():
    dense = np.array([0.9, 0.5, 0.4])
    kw = np.array([0.0, 9.0, 1.0])
    # convex z-score keeps a clearly best dense hit on top against one keyword spike
    ids, fused = rank(np.array([1, 2, 3]), dense, kw, SHIPPED)
    assert ids[0] == 1 and fused[0] >= fused[1]
    assert fuse_scores(dense, kw, FusionParams(method="dense")).tolist() == dense.tolist()
    rrf = fuse_scores(dense, kw, NAIVE_RRF)
    assert rrf[1] > rrf[0]  # ranks (1,0) beat (0,2): RRF ignores how far ahead dense was
    with pytest.raises(ValueError):
        fuse_scores(dense, kw, FusionParams(method="nope"))


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def test_hubness_is_mean_similarity_to_nearest_other_candidates():
    rng = np.random.default_rng(3)
    spread = _unit(rng.normal(size=(6, 16)))
    hub = _unit(spread.sum(axis=0))  # near every other candidate
    h = hubness(np.vstack([spread, hub]), k=3)
    assert h.argmax() == 6
    assert hubness(spread[:1], k=10).tolist() == [0.0]  # alone: nothing to be a hub of
    sims = spread @ spread.T
    np.fill_diagonal(sims, -np.inf)
    assert np.isclose(hubness(spread, k=1)[0], sims[0].max())


def test_retrieve_demotes_a_hub_below_a_specific_passage():
    """A generic passage close to every other candidate edges out the specific one on raw
    cosine; the shipped fusion's hubness correction puts the specific one first, while the
    dense-only baseline and the uncorrected fusion keep the hub on top (real FAISS)."""
    rng = np.random.default_rng(1)
    dim = 32
    topic = _unit(rng.normal(size=dim))
    others = _unit(topic + 1.0 * _unit(rng.normal(size=(12, dim))))
    hub = _unit(topic + 0.2 * _unit(rng.normal(size=dim)))  # the topic's centre
    question = _unit(topic + 0.9 * _unit(rng.normal(size=dim)))
    # a specific passage: a little further from the question than the hub, away from the topic
    t_perp = _unit(topic - (topic @ question) * question)
    away = rng.normal(size=dim)
    away = _unit(away - (away @ question) * question - (away @ t_perp) * t_perp)
    c = float(question @ hub) - 0.02
    specific = _unit(c * question + np.sqrt(1 - c**2) * away)
    ids = np.arange(14, dtype=np.int64)
    index = FaissBackend(vec.VectorIndex.build(ids, np.vstack([others, hub, specific]), dim))
    no_hub = FusionParams(hub_weight=0.0)
    top_plain, _, _ = retrieve(question, "", index, 3, no_hub)
    top_dense, _, _ = retrieve(question, "", index, 3, FusionParams(method="dense"))
    top_shipped, _, cos = retrieve(question, "", index, 3, SHIPPED)
    assert top_plain[0] == 12 and top_dense[0] == 12
    assert top_shipped[0] == 13
    assert np.isclose(cos[0], question @ specific, atol=1e-5)  # cosines stay raw


def test_a_question_names_a_speaker_only_by_full_name_or_an_unshared_surname():
    reg = SpeakerRegistry(["Rahm Emanuel", "Boris Johnson", "Lyndon Johnson", "Joe Biden"])
    assert reg.exact(["Emanuel"]) == "Rahm Emanuel"
    assert reg.exact(["Rahm", "Emanuel"]) == "Rahm Emanuel"
    assert reg.exact(["Ambassador", "Rahm", "Emanuel"]) == "Rahm Emanuel"  # longest tail
    assert reg.exact(["Boris", "Johnson"]) == "Boris Johnson"
    assert reg.exact(["Johnson"]) is None  # two Johnsons: ambiguous
    assert reg.exact(["Hunter", "Biden"]) is None  # a shared surname is not the person
    assert reg.exact(["Emmanuel"]) is None  # a near-name is nobody in a question


def test_a_typed_speaker_name_forgives_small_typos():
    reg = SpeakerRegistry(["Rahm Emanuel", "Boris Johnson", "Lyndon Johnson"])
    assert reg.fuzzy("Emmanuel").name == "Rahm Emanuel"
    assert reg.fuzzy("boris jonson").name == "Boris Johnson"
    assert reg.fuzzy("Johnson") is None


def test_who_said_detection():
    assert who_said_content('Who said "it doubles our capacity"?') == "it doubles our capacity"
    assert who_said_content("Who warned that dredging could harm fish?") == (
        "dredging could harm fish"
    )
    assert who_said_content("What did the harbour master say?") is None


@pytest.mark.parametrize(
    "question, person, about_speech",
    [
        ("What did Emanuel say about warships?", "Rahm Emanuel", True),
        ("What did Rahm Emanuel tell reporters?", "Rahm Emanuel", True),
        ("How did Emanuel describe the alliance?", "Rahm Emanuel", True),
        ("What is Emanuel's view on the navy?", "Rahm Emanuel", True),
        ("According to Ambassador Rahm Emanuel, who repairs the ships?", "Rahm Emanuel", True),
        ("Does Emanuel think the yards are ready?", "Rahm Emanuel", True),
        ("In which city did Emanuel arrive on Monday?", "Rahm Emanuel", False),
        ("Why was Emanuel's plane delayed?", "Rahm Emanuel", False),
        ("What did Hunter Biden say about the laptop?", None, False),
        ("What did Johnson say?", None, False),
    ],
)
def test_a_named_person_is_the_subject_only_when_the_question_asks_what_they_said(
    question, person, about_speech
):
    reg = SpeakerRegistry(["Rahm Emanuel", "Boris Johnson", "Lyndon Johnson", "Joe Biden"])
    read = read_question(question, reg)
    assert (read.people[0].name if read.people else None) == person
    assert (read.subject is not None) == about_speech


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What did Rahm Emanuel say about the ship repairs?", "the ship repairs"),
        ("What has Emanuel said on Japan's shipyards?", "Japan's shipyards"),
        ("What is Emanuel's view on the alliance?", "the alliance"),
        ("How did Emanuel describe the yards?", "the yards"),
        ("According to Rahm Emanuel, who repairs the ships?", None),
        ("In which city did Emanuel arrive on Monday?", None),  # no subject, no topic
    ],
)
def test_the_topic_is_what_a_question_asks_its_subject_about(question, topic):
    assert read_question(question, SpeakerRegistry(["Rahm Emanuel"])).topic == topic


def test_quoted_words_are_phrases_to_match_verbatim():
    read = read_question("Did anyone say “stand together on the sea” last week?")
    assert read.phrases == ("stand together on the sea",)
    assert read_question("What's the 'plan' for rice?").phrases == ()
    read = read_question("Who said Rahm Emanuel's “ships are ready” line was wrong?")
    assert read.who_said == "ships are ready"


def test_collapse_keeps_first_of_near_duplicates():
    rng = np.random.default_rng(0)
    a = rng.normal(size=8).astype(np.float32)
    a /= np.linalg.norm(a)
    b = a + 0.01
    b /= np.linalg.norm(b)
    c = rng.normal(size=8).astype(np.float32)
    c /= np.linalg.norm(c)
    texts = [TEXTS[0], TEXTS[0].replace("Friday", "Saturday"), TEXTS[1]]
    assert collapse(np.stack([a, b, c]), texts) == [0, 2]
    # same vector but different wording is not a duplicate
    assert collapse(np.stack([a, a]), [TEXTS[0], TEXTS[2]]) == [0, 1]


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    """n random unit vectors."""
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_vector_index_turns_ivf_above_threshold(tmp_path, monkeypatch):
    monkeypatch.setattr(vec, "FLAT_MAX", 500)
    x = unit_rows(3000, 32, seed=1)
    ids = np.arange(3000) * 2 + 5
    small = vec.VectorIndex.build(ids[:400], x[:400], 32)
    assert not small.is_approximate
    small.add(ids[400:1200], x[400:1200])  # grows past 2*FLAT_MAX: re-built as IVF
    assert small.is_approximate and small.ntotal == 1200
    big = vec.VectorIndex.build(ids, x, 32)
    assert big.is_approximate
    assert big.search(x[7], 1)[0][0] == ids[7]
    assert np.allclose(big.vectors_for([ids[9]])[0], x[9])
    big.remove([int(ids[7])])
    assert big.search(x[7], 1)[0][0] != ids[7]
    big.save(tmp_path, vec.VectorFileInfo(1, big.ntotal, 32, "m"))
    loaded, _ = vec.VectorIndex.load(tmp_path)
    assert loaded.is_approximate and loaded.search(x[11], 1)[0][0] == ids[11]


def test_vector_ids_list_every_id_of_flat_and_ivf_indexes(monkeypatch):
    monkeypatch.setattr(vec, "FLAT_MAX", 500)
    x = unit_rows(1200, 16, seed=2)
    ids = np.arange(1200) * 3 + 1
    flat = vec.VectorIndex.build(ids[:300], x[:300], 16)
    ivf = vec.VectorIndex.build(ids, x, 16)
    assert not flat.is_approximate and ivf.is_approximate
    assert np.array_equal(np.sort(flat.ids()), ids[:300])
    assert np.array_equal(np.sort(ivf.ids()), ids)
    assert np.array_equal(vec.vector_ids(ivf.index), ivf.ids())
    # re-building an IVF index (a 4x regrow) keeps every id with its own vector
    held_ids, held = ivf._all()
    assert np.array_equal(np.sort(held_ids), ids)
    row = int(np.flatnonzero(held_ids == ids[42])[0])
    assert np.allclose(held[row], x[42])
    assert vec.vector_ids(faiss.IndexFlatIP(16)) is None  # a type no Attribot index has


@pytest.mark.parametrize("n", [300, 1200])  # exact, and IVF (FLAT_MAX is 500 here)
def test_vectors_for_gives_each_ids_vector_and_zeros_for_unknown_ids(monkeypatch, n):
    monkeypatch.setattr(vec, "FLAT_MAX", 500)
    x = unit_rows(n + 2, 16, seed=3)
    ids = np.arange(n) * 2 + 1
    index = vec.VectorIndex.build(ids, x[:n], 16)
    index.remove([int(i) for i in ids[10:20]])
    index.add(np.array([10**7, 10**7 + 5]), x[n:])  # later paragraphs: higher ids
    asked = np.array([int(ids[3]), 0, int(ids[12]), 10**7 + 5, int(ids[-1]), 10**9])
    got = index.vectors_for(asked)
    assert np.allclose(got[[0, 3, 4]], x[[3, n + 1, n - 1]])
    assert not got[[1, 2, 5]].any()  # never held, removed, beyond every id
    assert index.vectors_for([]).shape == (0, 16)
    assert np.allclose(index.vectors_for(ids[30:40].tolist()), x[30:40])


def test_rows_of_a_read_only_id_array_are_remembered_and_a_writable_ones_never():
    index = KeywordIndex.build([10, 20, 30, 40], TEXTS)
    scope = np.array([20, 40, 50], dtype=np.int64)
    scope.flags.writeable = False  # what the Searcher caches per scope
    first = index.rows_of(scope)
    assert first.tolist() == [1, 3, -1] and index.rows_of(scope) is first
    assert index.rows_of(scope.copy()) is not first  # an equal array, but one that may change
    changing = np.array([20, 40], dtype=np.int64)
    assert index.rows_of(changing).tolist() == [1, 3]
    changing[0] = 10
    assert index.rows_of(changing).tolist() == [0, 3]
    assert index.top(index.all_scores("warships"), 5, allowed=scope)[0].tolist() == [40]
