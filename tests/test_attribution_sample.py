"""Every attribution in the bundled sample article (read from ../shared, never copied)."""

import re
from pathlib import Path

import pytest

from corpus.attribution import Attributor

SAMPLE = Path(__file__).resolve().parents[2] / "shared/data/sample"
ARTICLE = SAMPLE / "japan-us-defence-cooperation.txt"


@pytest.fixture(scope="module")
def result():
    if not ARTICLE.exists():
        pytest.skip("shared sample data not available")
    text = ARTICLE.read_text(encoding="utf-8")
    return text, Attributor().extract(text)


def _by(atts, speaker):
    return [a for a in atts if a.speaker == speaker]


def test_spans_index_the_text(result):
    text, atts = result
    assert atts
    for a in atts:
        assert text[a.quote_span[0] : a.quote_span[1]] == a.quote
        if a.speaker_span:
            assert text[a.speaker_span[0] : a.speaker_span[1]] == a.mention


def test_emanuel_quotes_roles_and_coreference(result):
    text, atts = result
    em = _by(atts, "Rahm Emanuel")
    assert {a.role for a in em} == {"US Ambassador to Japan"}
    joined = " | ".join(a.quote for a in em)
    # His two direct quotes are the article's first two curly-quoted passages (read from the
    # file, not copied here).
    first, second = re.findall(r"“([^”]+)”", text)[:2]
    assert first in joined and second in joined
    mentions = {a.mention for a in em}
    assert {"Rahm Emanuel", "Emanuel", "he"} <= mentions
    he = next(a for a in em if a.mention == "he")
    assert he.quote.endswith("is designed for August") and he.kind == "indirect"
    stated = next(a for a in em if a.mention == "Emanuel")
    assert stated.kind == "mixed" and stated.cue == "stated"
    assert any(a.kind == "direct" and a.quote == second for a in em)


def test_professors_and_commissioner(result):
    _, atts = result
    (liu,) = _by(atts, "Liu Qingbin")
    assert (
        liu.role == "ex-professor at Yokohama National University’s Institute of Advanced Sciences"
    )
    assert liu.kind == "mixed" and "capacity in shipbuilding" in liu.quote
    (fuk,) = _by(atts, "Masaki Fukasawa")
    assert fuk.role == (
        "commissioner of the Acquisition, Technology and Logistics Agency of "
        "Japan’s Defense Ministry"
    )
    assert fuk.quote.startswith("increasing the opportunities") and fuk.kind == "indirect"
    (kok,) = _by(atts, "Atsushi Koketsu")
    assert kok.role == "professor emeritus at Yamaguchi University of Japan"
    assert kok.quote.startswith("Japan’s defence policy")


def test_groups_and_government(result):
    _, atts = result
    (exp,) = _by(atts, "experts")
    assert exp.speaker_kind == "group" and exp.quote.startswith("Japan and the US")
    ana = _by(atts, "Japanese analysts")
    assert {a.mention for a in ana} == {"Japanese analysts", "they"}
    assert all(a.speaker_kind == "group" for a in ana)
    assert any(a.quote.startswith("Japan may end up") for a in ana)
    (gov,) = _by(atts, "Japanese government")
    assert gov.speaker_kind == "organisation" and gov.cue == "assured"
    assert gov.quote.startswith("it would send Patriot")


def test_no_spurious_speakers(result):
    _, atts = result
    assert {a.speaker for a in atts} == {
        "experts",
        "Rahm Emanuel",
        "Japanese government",
        "Liu Qingbin",
        "Masaki Fukasawa",
        "Japanese analysts",
        "Atsushi Koketsu",
    }
