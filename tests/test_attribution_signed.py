"""Quotations signed with a dash and a name or introduced by a name and a colon, and sources
a date or an abbreviation used to hide. One row per construction: (text, speaker, quote,
kind). Written for these tests."""

import pytest

from tests.attribution_helpers import check

VOX_POP = (
    "Readers told us what they made of the harbour vote.\n"
    "“The new berth will bring jobs back to the waterfront, and that is what we need.” ― "
    "Marta Lindqvist\n"
    "”I am worried about the dredging. Nobody has asked the fishermen what they think.” — "
    "Tomas Berg, 52, a trawler captain\n"
    "“We were promised a park and we got a car park instead.”― Aiko Sato.\n"
)

ROWS = [
    # A vox pop: each line one quotation signed by its reader, a role after a comma.
    (VOX_POP, "Marta Lindqvist", "The new berth will bring jobs back", "direct"),
    # The opening mark written reversed (”), as some sites do.
    (VOX_POP, "Tomas Berg", "I am worried about the dredging", "direct"),
    (VOX_POP, "Aiko Sato", "We were promised a park", "direct"),
    # A party-and-state tag between the name and the verb, then the day: the day is no source.
    (
        "“Our assumption is that the levy will pass,” Harbour Board Chair Dana Okafor, "
        "D-Ore., said Tuesday.",
        "Dana Okafor",
        "Our assumption is that the levy will pass",
        "direct",
    ),
    # A full name right before a colon introduces the quotation, whatever the clause's verb.
    (
        "The delay did not surprise harbour economist Lena Vogt: “Dredging always takes "
        "longer than the board says.”",
        "Lena Vogt",
        "Dredging always takes longer than the board says.",
        "direct",
    ),
    # A description, then the name in apposition: the name is the speaker, the rest its role.
    (
        "A lawyer for the harbour board, Petra Nowak, stressed that the board would appear "
        "before the inquiry.",
        "Petra Nowak",
        "the board would appear before the inquiry",
        "indirect",
    ),
    # An organisation's name, a title, then a person: the person speaks, the rest is the role.
    (
        "The Kestrel Port Authority Director Ingrid Solberg said the berths would open in May.",
        "Ingrid Solberg",
        "the berths would open in May",
        "indirect",
    ),
    # A newsroom role capitalised before the name goes to the role.
    (
        "Reporter Amara Osei said the ferry had been cancelled twice.",
        "Amara Osei",
        "the ferry had been cancelled twice",
        "indirect",
    ),
    # A paragraph ending in a colon introduces the next paragraph's quotation, whatever the
    # verb ("went on", "released the following statement").
    (
        "The mayor, Dana Okafor, went on:\n\n“We will open the new pool in June, and it "
        "will be free for children.”",
        "Dana Okafor",
        "We will open the new pool in June",
        "direct",
    ),
    # "Del." (Delegate) does not end the sentence, so the name stays with the quote.
    (
        "“This is a waste of the committee's time,” said Del. Ruth Amankwah, a Democrat.",
        "Ruth Amankwah",
        "This is a waste of the committee's time",
        "direct",
    ),
]


@pytest.mark.parametrize(("text", "speaker", "quote", "kind"), ROWS)
def test_the_quotation_is_attributed_to_its_speaker(text, speaker, quote, kind):
    found = [a for a in check(text) if quote in a.quote]
    assert found, [a.quote for a in check(text)]
    assert found[0].speaker == speaker
    assert found[0].kind == kind


def test_a_description_before_the_name_becomes_the_role():
    (a,) = check("A lawyer for the harbour board, Petra Nowak, said the inquiry would wait.")
    assert (a.speaker, a.role) == ("Petra Nowak", "lawyer for the harbour board")


def test_a_title_in_quote_marks_signed_by_its_author_is_no_quotation():
    text = "Now showing.\n“Harbour Lights” — Ingrid Solberg\n"
    assert not [a for a in check(text) if a.speaker == "Ingrid Solberg"]


def test_a_colon_before_a_paragraph_that_is_no_quotation_attributes_nothing_across():
    text = "The menu had two dishes:\n\nFish and chips, both fried in beef fat.\n"
    assert check(text) == []


def test_signed_lines_are_not_unwrapped_into_one_paragraph():
    from corpus.paragraphs import unwrap

    assert unwrap(VOX_POP) == VOX_POP
