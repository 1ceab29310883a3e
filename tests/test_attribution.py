"""Attribution constructions on small sentences written for these tests."""

import pytest

from corpus.attribution import Attributor, extract, speaker_key


@pytest.fixture(scope="module")
def att():
    return Attributor()


def one(att, text):
    res = att.extract(text)
    for a in res:
        assert text[a.quote_span[0] : a.quote_span[1]] == a.quote
        if a.speaker_span:
            assert text[a.speaker_span[0] : a.speaker_span[1]] == a.mention
    return res


def test_quote_first_pronoun_resolves(att):
    text = (
        "Mayor Lena Ortiz opened the new bridge on Friday.\n"
        "“This bridge will carry forty thousand cars a day,” Ortiz said. "
        "“It took us six years.”\n"
        "The project ran over budget, she added."
    )
    res = one(att, text)
    assert [a.speaker for a in res] == ["Lena Ortiz"] * 3
    assert res[0].kind == "direct" and res[0].quote.startswith("This bridge")
    assert res[1].quote == "It took us six years."
    assert res[2].mention == "she" and res[2].kind == "indirect"


def test_straight_quotes_and_inverted_cue_with_role(att):
    text = '"We expect the talks to resume in May," said Tomas Berg, a spokesman for the union.'
    (a,) = one(att, text)
    assert a.speaker == "Tomas Berg" and a.role == "spokesman for the union"
    assert a.kind == "direct" and a.quote.startswith("We expect the talks")


def test_cue_first_colon_and_multi_paragraph_quote(att):
    text = (
        "The minister, Ines Morales, said: “The harvest failed in three provinces.\n"
        "“We will import grain until spring.”\n"
        "Farmers were not consulted."
    )
    res = one(att, text)
    assert len(res) == 1
    a = res[0]
    assert a.speaker == "Ines Morales" and a.kind == "direct"
    assert a.quote.startswith("The harvest failed") and a.quote.endswith("until spring.")


# (construction, text, what the attribution with that quote holds)
ONE_SENTENCE_ROWS = [
    (
        "reported speech with 'told reporters that'",
        "Officials told reporters that the airport would reopen on Monday.",
        {
            "quote": "the airport would reopen on Monday",
            "speaker": "Officials",
            "speaker_kind": "group",
        },
    ),
    (
        "according to, after the content",
        "The factory will close next year, according to the company.",
        {
            "quote": "The factory will close next year",
            "cue": "according to",
            "speaker": "company",
            "speaker_kind": "organisation",
        },
    ),
    (
        "a passive cue's agent is the speaker",
        "The bridge was described by officials as “unsafe for heavy traffic”.",
        {"quote": "unsafe for heavy traffic", "speaker": "officials", "cue": "described"},
    ),
    (
        "called “X” by an agent",
        "The shipyard deal was called “historic” by Japanese officials.",
        {"quote": "historic", "speaker": "Japanese officials"},
    ),
    (
        "it was reported by X that",
        "It was reported by the Guardian that the minister would resign.",
        {"quote": "the minister would resign", "speaker": "Guardian"},
    ),
    (
        "a mixed quote keeps the title as role",
        "Senator Paul Okafor argued that the bill was “a gift to polluters”.",
        {"kind": "mixed", "speaker": "Paul Okafor", "role": "Senator"},
    ),
    (
        "a belief cue with a group speaker",
        "Many economists believe that inflation has peaked.",
        {"quote": "inflation has peaked", "speaker_kind": "group"},
    ),
    (
        "a pronoun with no antecedent names nobody",
        "He said the road was closed.",
        {"quote": "the road was closed", "speaker": None, "mention": "He"},
    ),
    (
        "as X observed, C",
        "Of course, as Ada Whitlock of the Harbour Times observed, the biggest winner was "
        "not the team.",
        {"quote": "the biggest winner was not the team", "speaker": "Ada Whitlock"},
    ),
    (
        "C, as X said",
        "The port has lost money for three years, as the minister said.",
        {"quote": "The port has lost money for three years", "speaker": "the minister"},
    ),
    (
        "C interrupted by as X said: the whole clause",
        "The port, as the minister said on Monday, has lost money for three years.",
        {
            "quote": "The port, as the minister said on Monday, has lost money for three years",
            "speaker": "the minister",
        },
    ),
    (
        "reaffirming that C",
        "Attorney General Ines Morales is reaffirming that the inquiry is free of outside "
        "influence.",
        {"quote": "the inquiry is free of outside influence", "speaker": "Ines Morales"},
    ),
    (
        "quoted as saying",
        "Director Sara Lind was quoted as saying that the museum would stay open.",
        {"quote": "the museum would stay open", "speaker": "Sara Lind"},
    ),
]


@pytest.mark.parametrize(
    ("kind", "text", "holds"), ONE_SENTENCE_ROWS, ids=[r[0] for r in ONE_SENTENCE_ROWS]
)
def test_one_sentence_constructions(att, kind, text, holds):
    res = one(att, text)
    hits = [a for a in res if "quote" not in holds or a.quote == holds["quote"]]
    assert hits, (kind, [a.quote for a in res])
    assert {k: getattr(hits[0], k) for k in holds} == holds, kind


def test_definite_organisation_resolves_to_its_full_name(att):
    text = (
        "The Northern Water Agency opened a desalination plant on Monday.\n"
        "According to the agency, the plant will supply 40,000 homes. "
        "The water agency said prices would not rise."
    )
    res = one(att, text)
    assert [a.speaker for a in res] == ["Northern Water Agency"] * 2
    assert {a.speaker_kind for a in res} == {"organisation"}
    assert [a.mention for a in res] == ["the agency", "The water agency"]


def test_definite_organisation_stays_a_description_when_ambiguous(att):
    text = (
        "Officials at the Northern Water Agency and the Coastal Fisheries Agency met on "
        "Monday. According to the agency, catches fell by a third."
    )
    (a,) = one(att, text)
    assert a.speaker == "agency" and a.speaker_kind == "organisation"


def test_extract_many_matches_extract(att):
    texts = ["Nothing to see here.", "The plan is sound, analysts said."]
    many = att.extract_many(texts)
    assert many[0] == [] and [a.speaker for a in many[1]] == ["analysts"]
    assert [a.quote for a in extract(texts[1])] == ["The plan is sound"]


def test_speaker_key():
    assert speaker_key("Rahm Emanuel") == speaker_key("Mr. RAHM  Emanuel") == "rahm emanuel"
    assert speaker_key("The Japanese government") == "japanese government"
    assert speaker_key("José Núñez") == "jose nunez"


def test_pronoun_takes_nearest_antecedent_of_its_gender(att):
    text = (
        "Mr. Tom Baker, the governor, met the mayor on Friday. “The bridge opens in May,” "
        "Baker said.\nMs. Lena Ortiz said the costs were too high. "
        "He said the state would pay."
    )
    res = one(att, text)
    he = next(a for a in res if a.mention == "He")
    assert he.speaker == "Tom Baker"


def test_noun_and_seem_cues(att):
    res = one(att, "The senator repeated his criticism of the new tariffs on Monday.")
    assert any(a.quote == "the new tariffs" and a.cue == "criticism" for a in res)
    res = one(att, "It appears that the council has changed its mind on the budget.")
    assert any(a.quote.startswith("the council has changed") for a in res)
