"""Pronoun speakers: which mention is tied to the quote for "he said", relative pronouns,
referring "it", parentheticals, conjoined cues and quote continuations. Sentences are
written for these tests."""

import pytest

from tests.attribution_helpers import check


def find(res, start):
    hits = [a for a in res if a.quote.startswith(start)]
    assert hits, [a.quote for a in res]
    return hits[0]


# (construction, text, start of the quote, what the attribution holds)
ROWS = [
    (
        "two apostrophes open a new quoted sentence",
        "Mr. Lund said the ferry would run again in spring. "
        "''We have ordered two new engines,'' he said.",
        "We have ordered two new engines",
        {"mention": "he", "speaker": "Lund", "kind": "direct"},
    ),
    (
        "the sentence before keeps its own speaker",
        "Mr. Lund said the ferry would run again in spring. "
        "''We have ordered two new engines,'' he said.",
        "the ferry would run",
        {"mention": "Lund"},
    ),
    (
        "a relative pronoun is the mention, its antecedent the speaker",
        "Ines Varga, who said the plan was sound, voted against it anyway.",
        "the plan was sound",
        {"mention": "who", "speaker": "Ines Varga", "speaker_span": (12, 15)},
    ),
    (
        "a referring 'it' of a speech verb is a mention",
        "The Harbour Authority said on Friday that the quay would close. "
        "It also said the ferries would move to the north pier.",
        "the ferries would move",
        {"mention": "It", "speaker": "Harbour Authority"},
    ),
    (
        "a pronoun subject of a conjoined clause is its own attribution",
        "Mr. Dale said that he considers the matter closed, "
        "but he urged the board to review all its archives.",
        "to review all its archives",
        {"mention": "he", "cue": "urged"},
    ),
    (
        "a conjoined speech verb keeps the outer speaker",
        "She said she admires their patience and praised the volunteers for their work.",
        "she admires their patience",
        {"quote": "she admires their patience", "speaker_span": (0, 3)},
    ),
    (
        "a quote continues after a pronoun speaker and an aside",
        "“The tide was higher than we expected,” he said, pausing as he looked at the "
        "harbour. “We will need a longer wall.”",
        "We will need a longer wall",
        {"mention": "he", "kind": "direct"},
    ),
    (
        "a quote after a colon belongs to the cue after it",
        "Mr. Gray listed the rules of the club: “Nobody shouts at the referee,” he said.",
        "Nobody shouts at the referee",
        {"kind": "direct", "mention": "he"},
    ),
    (
        "a relative clause after an inverted quote is no role",
        "“The rules are unclear,” said Ana Pardo, who said she would not renew her permit.",
        "The rules are unclear",
        {"mention": "Ana Pardo", "role": None},
    ),
    (
        "a relative clause that reports speech is a second attribution",
        "“The rules are unclear,” said Ana Pardo, who said she would not renew her permit.",
        "she would not renew her permit",
        {"mention": "who", "speaker": "Ana Pardo"},
    ),
    (
        "a hedged cue keeps its pronoun source (reportedly)",
        "Last year, he reportedly argued that the ferry tax was unfair.",
        "the ferry tax was unfair",
        {"mention": "he", "cue": "argued"},
    ),
    (
        "a hedged cue keeps its pronoun source (seemed to indicate)",
        "On Wednesday, she seemed to indicate that the pier would stay shut.",
        "the pier would stay shut",
        {"mention": "she"},
    ),
    (
        "a relative clause after a quote is a role",
        '"We are ready," said Ana Costa, who runs the ferry company.',
        "We are ready",
        {"speaker": "Ana Costa", "role": "who runs the ferry company"},
    ),
    (
        "a relative clause that reports speech after a quote",
        '"We are ready," said Ana Costa, who said the ferry would run daily.',
        "the ferry would run daily",
        {"mention": "who", "speaker": "Ana Costa", "quote": "the ferry would run daily"},
    ),
]


@pytest.mark.parametrize(("kind", "text", "start", "holds"), ROWS, ids=[r[0] for r in ROWS])
def test_pronoun_and_clause_speakers(kind, text, start, holds):
    a = find(check(text), start)
    assert {k: getattr(a, k) for k in holds} == holds, kind


def test_parenthetical_cue_inside_another_cue_clause():
    text = "He hoped, he said, that the council would drop the fee."
    res = check(text)
    assert len(res) == 1
    a = res[0]
    assert a.cue == "said" and a.speaker_span == (10, 12)
    assert "the council would drop the fee" in a.quote


def test_dummy_it_is_no_mention():
    text = "It is said that the mayor will resign before the summer."
    assert all(a.mention is None for a in check(text))


def test_a_conjoined_clause_is_no_part_of_the_first_content():
    text = (
        "Mr. Dale said that he considers the matter closed, "
        "but he urged the board to review all its archives."
    )
    assert "urged" not in find(check(text), "he considers the matter closed").quote


def test_conjoined_speech_verb_is_attributed_to_the_same_speaker():
    text = "She said she admires their patience and praised the volunteers for their work."
    praised = [a for a in check(text) if a.cue == "praised"]
    assert praised and praised[0].speaker_span == (0, 3)


def test_the_clause_introducing_a_quote_is_not_attributed_too():
    text = "Mr. Gray listed the rules of the club: “Nobody shouts at the referee,” he said."
    assert not any(x.quote.startswith("Mr. Gray listed") for x in check(text))


def test_relative_clause_reporting_speech_shares_the_speaker():
    first, second = check('"We are ready," said Ana Costa, who said the ferry would run daily.')
    assert first.speaker == second.speaker == "Ana Costa"


def test_seem_without_a_reporting_verb_is_unchanged():
    res = check("The new timetable seems to be working well for the island.")
    assert len(res) == 1 and res[0].speaker_span is None
