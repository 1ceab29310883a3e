"""Who said it, named right (issue 11): one row per construction, on short articles written
for these tests. Each row is (kind, text, quote, speaker): the attribution whose quote is
`quote` must name `speaker` (the person's fullest name in the article, or the organisation's).
"""

import pytest

from corpus.attribution import Attributor
from tests.attribution_helpers import check


@pytest.fixture(scope="module")
def att():
    return Attributor()


SPEAKER_ROWS = [
    # 1. The quote is found; the speaker is named in the paragraph or sentence before.
    (
        "bare cue ends its paragraph, quote opens the next",
        "Coach Ilse Varga spoke after the game.\n\nVarga said after the final whistle.\n\n"
        "“We never stopped running, not for one minute.”",
        "We never stopped running, not for one minute.",
        "Ilse Varga",
    ),
    (
        "quote paragraph continues the speaker ending the paragraph before",
        "The club closed its stadium on Sunday.\n\n“The roof is unsafe,” said Tomas Berg, "
        "the club's chairman.\n\n“We will not open again until it is repaired.”",
        "We will not open again until it is repaired.",
        "Tomas Berg",
    ),
    (
        "he said after a quote, antecedent in the previous paragraph",
        "Coach Arno Weiss watched his team lose on Saturday.\n\n"
        "“I just tried to stay calm and watch the ball,” he said.",
        "I just tried to stay calm and watch the ball,",
        "Arno Weiss",
    ),
    (
        "a quote interrupted by its cue and the speaker's role",
        "“The line is safe,” said Nadia Frey, a rail engineer, “but the trains are old.”",
        "but the trains are old.",
        "Nadia Frey",
    ),
    (
        "a quote right after an attributed quote continues it",
        "“The bridge is closed,” Mayor Lena Ortiz said. “Engineers will inspect it tomorrow.”",
        "Engineers will inspect it tomorrow.",
        "Lena Ortiz",
    ),
    (
        "a quote, then its speaker and a verb the lexicon lacks",
        "Mayor Lena Ortiz opened the fair.\n\n“Thank you all for coming!” Ortiz shouted.",
        "Thank you all for coming!",
        "Lena Ortiz",
    ),
    (
        "a quotation after a clause and a colon",
        "Councillor Ruth Amsel spoke last. She went on: “The budget leaves our parks with "
        "nothing at all.”",
        "The budget leaves our parks with nothing at all.",
        "Ruth Amsel",
    ),
    # 2. Names polluted by their context: the name is the person's, the rest is the role.
    (
        "clause opener before a surname",
        "Senator Dana Kovac voted for the bill. Although Kovac said the bill was flawed, "
        "she backed it.",
        "the bill was flawed",
        "Dana Kovac",
    ),
    (
        "institution and descriptor before the name",
        "Northfield University political scientist Priya Raman said turnout would fall.",
        "turnout would fall",
        "Priya Raman",
    ),
    (
        "city possessive before the name",
        "Halden's Wen Liang said the ferry would run until December.",
        "the ferry would run until December",
        "Wen Liang",
    ),
    (
        "title kept out of the name",
        "Chief Harold Banks said the fire started in the kitchen.",
        "the fire started in the kitchen",
        "Harold Banks",
    ),
    (
        "a middle initial does not end the sentence",
        "Dennis B. Morrow, a retired judge, said the ruling would stand.",
        "the ruling would stand",
        "Dennis B. Morrow",
    ),
    (
        "hyphenated Korean given name",
        "Park Ji-hoon, the company's founder, said sales had doubled.",
        "sales had doubled",
        "Park Ji-hoon",
    ),
    (
        "surname alone takes the full name given earlier",
        "Economist Marta Solberg studies rents. Prices will keep rising, Solberg said.",
        "Prices will keep rising",
        "Marta Solberg",
    ),
    (
        "given name alone takes the full name given earlier",
        "Rosa Delgado, 14, won the spelling contest on Friday.\n\n"
        "“I practised every single night,” Rosa said.",
        "I practised every single night,",
        "Rosa Delgado",
    ),
    # 3. Organisation references take the organisation named earlier.
    (
        "the company",
        "Acme Robotics Inc. cut 200 jobs on Monday. The company said demand had fallen.",
        "demand had fallen",
        "Acme Robotics Inc.",
    ),
    (
        "the agency",
        "The Northern Water Agency opened a plant. The agency said prices would not rise.",
        "prices would not rise",
        "Northern Water Agency",
    ),
    (
        "the department",
        "The Department of Transport closed two lanes. The department said the work would "
        "take a month.",
        "the work would take a month",
        "Department of Transport",
    ),
    (
        "the union, from an apposition",
        "Workers joined Unifor, the union that represents car plant staff, in 2019. "
        "The union said members would strike on Friday.",
        "members would strike on Friday",
        "Unifor",
    ),
    (
        "the city",
        "The City of Halden raised parking fees. The city said the money would fix roads.",
        "the money would fix roads",
        "City of Halden",
    ),
    (
        "the firm",
        "Brightwater Capital LLC bought the mill. The firm said it would keep all staff.",
        "it would keep all staff",
        "Brightwater Capital LLC",
    ),
    (
        "a statement from an organisation",
        "The trail was closed, a statement from the Halden Parks Board said.",
        "The trail was closed",
        "Halden Parks Board",
    ),
    (
        "the statement, after the organisation released it",
        "Acme Robotics Inc. released a statement on Monday. The statement said no one was "
        "hurt in the fire.",
        "no one was hurt in the fire",
        "Acme Robotics Inc.",
    ),
    # 2b. A name the parser hangs off the phrase, a dateline, a surname two people share.
    (
        "a name after a title with a preposition and a conjunction",
        "Kestrel Radio Vice President for news and sport Ada Whitlock called the programme "
        "“the best morning show in the north.”",
        "the programme “the best morning show in the north",
        "Ada Whitlock",
    ),
    (
        "a name after an organisation with a preposition and a title",
        "The Union of Dock and Harbour Workers General Secretary Nadia Frey said the strike "
        "would go on.",
        "the strike would go on",
        "Nadia Frey",
    ),
    (
        "a dateline is no speaker",
        "TROMSO (AP) — Fisheries Minister Ola Brekke said the quota would be cut.",
        "the quota would be cut",
        "Ola Brekke",
    ),
    (
        "a dateline's sentence full of capitals still introduces the name",
        "Harbour chief Solberg calls the new quay ‘a waste.’\n\nHALDEN, Feb. 8 (UPI) — Count "
        "former Harbour Commissioner Ingrid Solberg among Kestrel Port’s critics.\n\n"
        "“It is a waste of public money,” Solberg told a radio station.",
        "It is a waste of public money,",
        "Ingrid Solberg",
    ),
    (
        "the name between commas after its role, the verb left without a subject",
        "In a statement to the Courier, her senior policy adviser, Ada Whitlock, said: “The "
        "mayor believes that the budget is sound, and that the harbour is safe.”",
        "The mayor believes that the budget is sound, and that the harbour is safe.",
        "Ada Whitlock",
    ),
    (
        "a description after 'the' is no person's name",
        "“The ferries are late,” said Arno Weiss, the union's leader.\n\nThe Halden Liberal "
        "has served two terms in the assembly.\n\nLiberal Peter Lund is doubling down on his "
        "criticism of the ferry tax. He said the tax was unfair.",
        "the tax was unfair",
        "Peter Lund",
    ),
    (
        "a generational suffix in capitals ends a person's name, not an organisation's",
        "During the two-hour service, assistant pastor Samuel Okafor III asked the "
        "congregation to stand for a minute of silence.",
        "to stand for a minute of silence",
        "Samuel Okafor III",
    ),
    (
        "a name, then 'of' and where the person works",
        "Ada Whitlock, a lawyer for the Harbour Trust, has sued the port twice.\n\n"
        '"It was the least bad outcome," Ms. Whitlock of the Harbour Trust said.',
        "It was the least bad outcome,",
        "Ada Whitlock",
    ),
    (
        "a surname shared with a relative named once is the article's subject",
        "Boxer Yusuf Demir died on Friday. Yusuf Demir won three titles.\n\n“Train hard "
        "and stay humble,” Demir told young fighters in 2019.\n\nHis brother Kemal Demir "
        "was with him. Fans remembered Yusuf Demir in the square, where a mural of Yusuf "
        "Demir stands.",
        "Train hard and stay humble,",
        "Yusuf Demir",
    ),
    # 4. Pronouns with two people of the same gender taking turns.
    (
        "she after the second woman speaks",
        "Mayor Lena Ortiz proposed a new tax. Councillor Ruth Amsel opposed it.\n\n"
        "“The tax will hurt small shops,” Amsel said. She added that shops were already "
        "struggling.",
        "shops were already struggling",
        "Ruth Amsel",
    ),
    (
        "she returns to the first woman when she speaks again",
        "Mayor Lena Ortiz proposed a new tax. Councillor Ruth Amsel opposed it.\n\n"
        "“The tax will hurt small shops,” Amsel said.\n\n"
        "Ortiz disagreed. “Shops will gain from better streets,” she said.",
        "Shops will gain from better streets,",
        "Lena Ortiz",
    ),
    (
        "an object pronoun after a name is no evidence of that person's gender",
        "Dr. Arno Weiss appeared at a Senate hearing on Tuesday.\n\nSen. Ilse Varga scolded "
        "him. “The science is almost unanimous against you on this,” she said.",
        "The science is almost unanimous against you on this,",
        "Ilse Varga",
    ),
    (
        "he goes to the subject, not the man named after him",
        "Tomas Berg criticised Arno Weiss on Monday. He said the deal was a mistake.",
        "the deal was a mistake",
        "Tomas Berg",
    ),
    # 5. Quotes the engine had missed in the second split's news (issue 10).
    (
        "a colon after a verb that is not speech ends its paragraph, the quote opens the next",
        "Voters in Ashford were divided.\n\nRetired teacher Ida Holm echoed:\n\n“She listens "
        "to people, and that is rare in this town.”",
        "She listens to people, and that is rare in this town.",
        "Ida Holm",
    ),
    (
        "a long clause before a colon that ends its paragraph, the quote opens the next",
        "The council met on Monday.\n\nAs reporter Jonas Lind wrote after the council "
        "appeared to have dropped the harbour plan entirely:\n\n“The city has done almost "
        "nothing with the money it raised for the harbour.”",
        "The city has done almost nothing with the money it raised for the harbour.",
        "Jonas Lind",
    ),
    (
        "a quote after a colon paragraph keeps the speaker its own cue names",
        "Reporter Jonas Lind said the mayor had changed her mind, and the Courier has a "
        "recording:\n\n“Will the bridge close next year?” a reporter can be heard asking the "
        "mayor.",
        "Will the bridge close next year?",
        "a reporter",
    ),
    (
        "a quote paragraph after a paragraph ending in a closing quote mark",
        "“The port will stay open,” Mayor Lena Ortiz told a rally, saying the city would "
        "“fight for every job.”\n\n“We built this harbour with our hands and we will keep it.”",
        "We built this harbour with our hands and we will keep it.",
        "Lena Ortiz",
    ),
    (
        "called with the object inside the quoted name",
        "The debate turned sharp in March, when Senator Ruth Amsel called the mayor “the "
        "city's worst enemy.”",
        "the mayor “the city's worst enemy",
        "Ruth Amsel",
    ),
    (
        "labeling an object with a quoted name",
        "Councillor Tomas Berg, for his part, is labeling the plan “a reckless gamble with "
        "public money.”",
        "the plan “a reckless gamble with public money",
        "Tomas Berg",
    ),
    (
        "yelling is a speech verb",
        "Fans threw bottles at the bench, with Coach Arno Weiss reportedly yelling: “Get off "
        "the pitch right now!”",
        "Get off the pitch right now!",
        "Arno Weiss",
    ),
    (
        "a name the parser hangs off the verb as a compound, a participle before the quote",
        "Tomas Berg came back for an encore.\n\nWhen someone in the audience shouted, “Encore,” "
        "Berg joked, again using a deep voice, “Thank you, you are all too kind tonight!”",
        "Thank you, you are all too kind tonight!",
        "Tomas Berg",
    ),
    (
        "a sentence opening with a participle goes on with the speaker before it",
        "Later in the show, host Ida Holm said the report “was not good.” Adding, “Now, as "
        "with every scandal, the cover-up is worse than the crime.”",
        "Now, as with every scandal, the cover-up is worse than the crime.",
        "Ida Holm",
    ),
    (
        "an article and an adjective before a surname the article names",
        "Former governor Jonas Lind ended his campaign on Tuesday.\n\nA teary-eyed Lind said "
        "he was proud of the campaign he ran.",
        "he was proud of the campaign he ran",
        "Jonas Lind",
    ),
    (
        "the verb before its source and a colon, the quote after it",
        "Economists doubt the plan will work. Said Holm: “I don’t see any sign that the "
        "council is serious about reform.”",
        "I don’t see any sign that the council is serious about reform.",
        "Holm",
    ),
    (
        "the verb before its source and a colon ends its paragraph, the quote opens the next",
        "James Berg spoke on a radio program on Sunday.\n\nStated Berg:\n\n“I think the stakes "
        "are so high that the council would do anything to stay in power.”",
        "I think the stakes are so high that the council would do anything to stay in power.",
        "James Berg",
    ),
    (
        "a first name before a middle initial and two surnames",
        "“The council has finally woken up to the flooding.” ― Julie A. Lind Holm",
        "The council has finally woken up to the flooding.",
        "Julie A. Lind Holm",
    ),
    (
        "three name words right after a title are the name",
        "Union President Cornell James Weiss said the strike would go on.",
        "the strike would go on",
        "Cornell James Weiss",
    ),
    (
        "a quoted show title after the verb is not its subject, nor more of the speaker's words",
        "Retired general Tomas Berg spoke on Thursday.\n\n“The army is tired. There is a deep "
        "gap between the ministry and our soldiers,” Berg, a former commander, said Thursday "
        "morning on Radio North’s “Morning Desk.” “I mean, there is a lot of frustration "
        "within the ranks.”",
        "I mean, there is a lot of frustration within the ranks.",
        "Tomas Berg",
    ),
    (
        "footage of a named person asking: the person speaks, not the clause's subject",
        "The campaign released an ad on Friday.\n\nThe ad uses footage of Mayor Lena Ortiz "
        "asking, “Why are we not ten points ahead, you might ask?”",
        "Why are we not ten points ahead, you might ask?",
        "Lena Ortiz",
    ),
    (
        "a description later identified as a named person",
        "A man later identified as Tomas Berg, a farmer from Ashford, demanded to know whether "
        "the mayor would resign.",
        "the mayor would resign",
        "Tomas Berg",
    ),
]


@pytest.mark.parametrize(
    ("kind", "text", "quote", "speaker"), SPEAKER_ROWS, ids=[r[0] for r in SPEAKER_ROWS]
)
def test_speaker_is_named_right(kind, text, quote, speaker):
    res = check(text)
    hits = [a for a in res if a.quote == quote]
    assert hits, (kind, [(a.quote, a.speaker) for a in res])
    assert hits[0].speaker == speaker, (kind, hits[0])


ROLE_ROWS = [
    (
        "descriptor goes to the role",
        "Northfield University political scientist Priya Raman said turnout would fall.",
        "political scientist",
    ),
    ("title goes to the role", "Chief Harold Banks said the fire started in the kitchen.", "Chief"),
    (
        "appositive is the role",
        "Dennis B. Morrow, a retired judge, said the ruling would stand.",
        "retired judge",
    ),
    (
        "a party and state in brackets are not the role",
        "Democratic Sen. Ruth Amsel (D-Mo.) said the bill would fail.",
        "Democratic Sen.",
    ),
]


@pytest.mark.parametrize(("kind", "text", "role"), ROLE_ROWS, ids=[r[0] for r in ROLE_ROWS])
def test_what_is_not_the_name_goes_to_the_role(kind, text, role):
    (a,) = check(text)
    assert a.role is not None and role in a.role, (kind, a)


# 5. Precision: what a reader must not be shown. Each row: (kind, text, quote that must not
# be shown, or None for "nothing at all").
NOT_SHOWN_ROWS = [
    (
        "an event that is not speech",
        "The museum marked the third anniversary of the flood with a small exhibition.",
        None,
    ),
    (
        "a ceremony that is not speech",
        "Hundreds of people celebrated the opening of the new library on Saturday.",
        None,
    ),
    (
        "the addressee of a statement is not what was said",
        "In a statement to the Courier, his chief of staff, Tomas Berg, said: “The minister "
        "believes that the ferries are safe.”",
        "the Courier, his chief of staff",
    ),
    (
        "a box labeled with a quoted name has nobody naming it",
        "On her discharge papers, in a box labeled “medical problem,” a doctor had typed a "
        "short note.",
        None,
    ),
    (
        "a show title in quote marks after 'on' is not a quote",
        "“The army is tired,” general Tomas Berg said on Radio North’s “Morning Desk Live.”",
        "Morning Desk Live.",
    ),
    (
        "calling a meeting is convening it, not naming it",
        "Under the new rules, the chair will call a “special meeting” of the whole board.",
        None,
    ),
    (
        "described X as: X is not what was said",
        "Mayor Lena Ortiz described the council's vote as “regrettable.”",
        "the council's vote",
    ),
]


@pytest.mark.parametrize(
    ("kind", "text", "not_quote"), NOT_SHOWN_ROWS, ids=[r[0] for r in NOT_SHOWN_ROWS]
)
def test_what_is_not_said_is_not_shown(kind, text, not_quote):
    res = check(text)
    if not_quote is None:
        assert res == [], (kind, res)
    else:
        assert not_quote not in [a.quote for a in res], (kind, res)


def test_described_as_shows_the_quoted_description_with_its_object():
    (a,) = check("Mayor Lena Ortiz described the council's vote as “regrettable.”")
    assert a.speaker == "Lena Ortiz" and "“regrettable" in a.quote
    assert a.quote != "the council's vote"


UNKNOWN = "It was widely believed that the mill would close. “Stop the vote,” they chanted."


def test_unknown_speaker_non_quotation_needs_the_stricter_anonymous_score(att):
    """A reader can do nothing with an attribution that names nobody and is not a quotation:
    it is shown only above the gate's stricter anonymous threshold (cue_gate.json, chosen by
    cross-validation on PolNeAR train with a wrong one costing 1.5 right ones)."""
    gate = att._gate
    assert gate.anonymous_threshold > gate.threshold
    shown = [(a.quote, a.speaker, a.kind) for a in att.extract(UNKNOWN)]
    strict = Attributor(nlp=att.nlp)
    strict._gate.anonymous_threshold = 1.01
    held_back = [(a.quote, a.speaker, a.kind) for a in strict.extract(UNKNOWN)]
    assert ("the mill would close", None, "indirect") in shown
    assert held_back == [("Stop the vote,", None, "direct")]  # quotations are still shown


def test_two_people_joined_by_and_are_not_a_role_and_a_name():
    (a,) = check("Tomas Berg and Peter Lund said the deal was a mistake.")
    assert a.quote == "the deal was a mistake"
    assert a.role is None and a.speaker != "Peter Lund", a
