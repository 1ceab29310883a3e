"""Role references to people introduced with a role, and "In X's view, ..." attributions.
Sentences are written for these tests."""

from tests.attribution_helpers import check


def find(res, quote):
    hits = [a for a in res if a.quote == quote]
    assert hits, [a.quote for a in res]
    return hits[0]


def test_role_resolves_to_appositive_person_who_has_not_spoken():
    text = (
        "Masaki Tanaka, the commissioner of the Port Agency, opened the meeting. "
        "The commissioner said the new berth would be ready by June."
    )
    a = find(check(text), "the new berth would be ready by June")
    assert a.speaker == "Masaki Tanaka"
    assert a.mention == "The commissioner"
    assert text[a.speaker_span[0] : a.speaker_span[1]] == "The commissioner"


def test_role_resolves_to_premodifier_title():
    text = "Harbour master Ada Whitlock arrived. The harbour master said the cranes were late."
    a = find(check(text), "the cranes were late")
    assert a.speaker == "Ada Whitlock"
    assert a.mention == "The harbour master"


def test_role_held_by_two_people_stays_unresolved():
    text = (
        "Masaki Tanaka, the commissioner of the Port Agency, met Jo Bell, the commissioner "
        "of the Roads Board. The commissioner said the new berth would be ready by June."
    )
    a = find(check(text), "the new berth would be ready by June")
    assert a.speaker == "the commissioner"  # described, as written: no name guessed
    assert a.role is None


def test_in_possessive_view():
    text = (
        "Harbour master Ada Whitlock spoke on Monday. "
        "In Whitlock's view, the port needs a second crane."
    )
    a = find(check(text), "the port needs a second crane")
    assert a.speaker == "Ada Whitlock"
    assert a.kind == "indirect"
    assert "view" in a.cue


def test_in_the_view_of_with_appositive():
    text = (
        "In the view of Dr. Henrik Aas, a soil scientist at the Northfield Institute, "
        "warmer winters push buds out earlier."
    )
    a = find(check(text), "warmer winters push buds out earlier")
    assert a.speaker == "Henrik Aas"
    assert "soil scientist" in a.role
    assert a.kind == "indirect"


def test_in_the_view_of_without_appositive_keeps_content_commas():
    text = "In the view of Henrik Aas, the orchard, which is old, needs new trees."
    a = find(check(text), "the orchard, which is old, needs new trees")
    assert a.speaker == "Henrik Aas"
