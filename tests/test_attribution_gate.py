"""The learned cue gate (corpus/attribution/gate.py, cue_gate.json) and the constructions it
admits. Sentences are written for these tests."""

import json
import math

import pytest

from corpus.attribution import Attributor
from corpus.attribution.gate import GATE_PATH, CueGate, features, load_gate


@pytest.fixture(scope="module")
def att():
    return Attributor()


@pytest.fixture(scope="module")
def gate():
    g = load_gate()
    assert g is not None, "cue_gate.json ships with the package"
    return g


def test_gate_file_is_plain_json_and_small(gate):
    data = json.loads(GATE_PATH.read_text(encoding="utf-8"))
    assert GATE_PATH.stat().st_size < 20_000_000
    assert 0.0 < data["threshold"] < 1.0
    assert all(isinstance(v, float) for v in data["weights"].values())
    assert gate.threshold == data["threshold"]


def test_score_is_logistic_of_summed_weights():
    g = CueGate({"threshold": 0.5, "bias": -1.0, "weights": {"r=ccomp": 2.0, "l=say": 0.5}})
    f = features("ccomp", "say", "person", True, "the bridge will open", False)
    assert g.score(f) == pytest.approx(1 / (1 + math.exp(-1.5)))
    assert g.keep(f)
    assert not g.keep(features("gdobj", "eat", "none", None, "an apple", False))


def test_may_keep_is_an_upper_bound(gate):
    # Whatever the source and content, a kept candidate's (rule, word) passes may_keep.
    for rule, word in [("ccomp", "say"), ("gen", "shows"), ("gdobj", "thanked"), ("bare", "say")]:
        for src in ("person", "pron", "organisation", "none"):
            for content in ("x", "the new bridge will open in May", "“quoted words here”"):
                f = features(rule, word, src, True, content, rule != "bare")
                if gate.keep(f):
                    assert gate.may_keep(rule, word)


def test_poll_shows_is_attributed(att):
    text = "A new poll shows the senator leading her rival by six points."
    res = att.extract(text)
    assert any(a.cue == "shows" and a.quote.startswith("the senator leading") for a in res)


def test_said_still_attributed_and_plain_sentence_is_not(att):
    res = att.extract("The mayor said the bridge would open in May.")
    assert len(res) == 1 and res[0].mention == "The mayor"
    assert att.extract("The bridge opened in May after six years of work.") == []


def test_adverbial_before_quote_and_glued_quote_marks(att):
    text = "As the mayor said last week in Lyon, “The bridge will open in May.”"
    (a,) = att.extract(text)
    assert a.quote == "The bridge will open in May." and a.mention == "the mayor"
    (b,) = att.extract("Ortiz said,“We are ready for the opening.”")
    assert b.mention == "Ortiz" and b.quote.startswith("We are ready")


def test_learned_prefilter_belongs_to_the_engine_not_the_lexicon(att, gate):
    from corpus.attribution import lexicon

    added = [w for w in gate.prefilter_add if w not in lexicon.PREFILTER_FORMS]
    assert added, "the shipped gate adds learned words"
    assert set(added) <= att.prefilter
    assert not set(gate.prefilter_drop) & att.prefilter
    assert isinstance(lexicon.PREFILTER_FORMS, frozenset)
    assert not set(added) & lexicon.PREFILTER_FORMS  # creating engines changed nothing there
