"""Pronoun speakers: which mention is tied to the quote for "he said", relative pronouns,
referring "it", parentheticals, conjoined cues and quote continuations. Sentences are
written for these tests."""

from tests.attribution_helpers import check


def find(res, start):
    hits = [a for a in res if a.quote.startswith(start)]
    assert hits, [a.quote for a in res]
    return hits[0]


def test_two_apostrophe_quote_opens_a_new_sentence():
    text = (
        "Mr. Lund said the ferry would run again in spring. "
        "''We have ordered two new engines,'' he said."
    )
    res = check(text)
    a = find(res, "We have ordered two new engines")
    assert a.mention == "he" and a.speaker == "Lund" and a.kind == "direct"
    assert find(res, "the ferry would run").mention == "Lund"


def test_parenthetical_cue_inside_another_cue_clause():
    text = "He hoped, he said, that the council would drop the fee."
    res = check(text)
    assert len(res) == 1
    a = res[0]
    assert a.cue == "said" and a.speaker_span == (10, 12)
    assert "the council would drop the fee" in a.quote


def test_relative_pronoun_is_the_mention_and_antecedent_the_speaker():
    text = "Ines Varga, who said the plan was sound, voted against it anyway."
    a = find(check(text), "the plan was sound")
    assert a.mention == "who" and a.speaker == "Ines Varga"
    assert a.speaker_span == (12, 15)


def test_referring_it_of_a_speech_verb_is_a_mention():
    text = (
        "The Harbour Authority said on Friday that the quay would close. "
        "It also said the ferries would move to the north pier."
    )
    a = find(check(text), "the ferries would move")
    assert a.mention == "It" and a.speaker == "Harbour Authority"


def test_dummy_it_is_no_mention():
    text = "It is said that the mayor will resign before the summer."
    assert all(a.mention is None for a in check(text))


def test_pronoun_subject_of_conjoined_clause_is_its_own_attribution():
    text = (
        "Mr. Dale said that he considers the matter closed, "
        "but he urged the board to review all its archives."
    )
    res = check(text)
    said = find(res, "he considers the matter closed")
    assert "urged" not in said.quote
    urged = find(res, "to review all its archives")
    assert urged.mention == "he" and urged.cue == "urged"


def test_conjoined_speech_verb_keeps_the_outer_speaker():
    text = "She said she admires their patience and praised the volunteers for their work."
    res = check(text)
    said = find(res, "she admires their patience")
    assert said.quote == "she admires their patience" and said.speaker_span == (0, 3)
    praised = [a for a in res if a.cue == "praised"]
    assert praised and praised[0].speaker_span == (0, 3)


def test_quote_continues_after_pronoun_speaker_and_aside():
    text = (
        "“The tide was higher than we expected,” he said, pausing as he looked at the harbour. "
        "“We will need a longer wall.”"
    )
    res = check(text)
    b = find(res, "We will need a longer wall")
    assert b.mention == "he" and b.kind == "direct"


def test_quote_after_colon_belongs_to_the_cue_after_it():
    text = "Mr. Gray listed the rules of the club: “Nobody shouts at the referee,” he said."
    res = check(text)
    a = find(res, "Nobody shouts at the referee")
    assert a.kind == "direct" and a.mention == "he"
    assert not any(x.quote.startswith("Mr. Gray listed") for x in res)


def test_relative_clause_after_inverted_quote_is_no_role():
    text = "“The rules are unclear,” said Ana Pardo, who said she would not renew her permit."
    res = check(text)
    a = find(res, "The rules are unclear")
    assert a.mention == "Ana Pardo" and a.role is None
    b = find(res, "she would not renew her permit")
    assert b.mention == "who" and b.speaker == "Ana Pardo"


def test_hedged_cue_keeps_its_pronoun_source():
    res = check("Last year, he reportedly argued that the ferry tax was unfair.")
    a = find(res, "the ferry tax was unfair")
    assert a.mention == "he" and a.cue == "argued"
    res = check("On Wednesday, she seemed to indicate that the pier would stay shut.")
    a = find(res, "the pier would stay shut")
    assert a.mention == "she"


def test_seem_without_a_reporting_verb_is_unchanged():
    res = check("The new timetable seems to be working well for the island.")
    assert len(res) == 1 and res[0].speaker_span is None


def test_relative_clause_after_a_quote_is_a_role_unless_it_reports_speech():
    (a,) = check('"We are ready," said Ana Costa, who runs the ferry company.')
    assert a.speaker == "Ana Costa" and a.role == "who runs the ferry company"
    first, second = check('"We are ready," said Ana Costa, who said the ferry would run daily.')
    assert first.speaker == second.speaker == "Ana Costa"
    assert second.mention == "who" and second.quote == "the ferry would run daily"
