"""Generated news-style documents for the ingest benchmark: nothing is downloaded.

Each document is an article of blank-line separated paragraphs (60-120 words each) with the
constructions attribution has to handle: direct quotes with "X said", reported speech ("X said
that ..."), "according to", titles/roles and later pronoun/surname mentions. Texts are built
from templates and a seeded RNG, so the same arguments give the same corpus.
"""

# ruff: noqa: SIM905
from __future__ import annotations

import numpy as np

from corpus.models import Document

FIRST = (
    "Maria James Kenji Aisha Pedro Ingrid Tomasz Amara Li Hannah Olu Sofia Rahul Elena "
    "Marcus Yuki Fatima Lars Chloe Diego"
).split()
LAST = (
    "Tanaka Emanuel Whitlock Sato Okafor Lindqvist Moreau Alvarez Chen Kowalski Haddad "
    "Novak Mensah Rossi Nakamura Petrov Dubois Ferreira Schmidt Banerjee"
).split()
ROLE = [
    "the finance minister",
    "the US ambassador",
    "a professor of economics at Keio University",
    "the union leader",
    "the city's mayor",
    "a senior analyst at Capital Economics",
    "the health commissioner",
    "a spokesperson for the ministry",
    "the chief executive of the port authority",
    "an opposition lawmaker",
]
TOPIC = [
    ("tariffs", "trade", "exporters"),
    ("the rice harvest", "farm subsidies", "farmers"),
    ("the vaccine rollout", "clinics", "nurses"),
    ("interest rates", "inflation", "borrowers"),
    ("the election", "turnout", "voters"),
    ("the floods", "reconstruction", "residents"),
    ("the chip factory", "supply chains", "engineers"),
    ("pension reform", "retirement age", "workers"),
    ("the rail strike", "wages", "commuters"),
    ("the drought", "water rationing", "growers"),
    ("the satellite launch", "the space agency", "researchers"),
    ("housing prices", "mortgages", "first-time buyers"),
    ("the coal plant", "emissions", "miners"),
    ("the wind farm", "the power grid", "fishermen"),
    ("defence cooperation", "the alliance", "troops"),
]
CITY = "Tokyo Osaka Berlin Lagos Lima Warsaw Seoul Nairobi Denver Lyon Manila Accra".split()
VERB = "said warned argued insisted told reporters claimed admitted predicted added".split()
DAY = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
FILLER = [
    "Officials have spent months negotiating the details behind closed doors.",
    "The proposal still needs the approval of parliament before it can take effect.",
    "Critics say the plan does too little and comes too late for those most affected.",
    "Markets reacted calmly to the announcement, with shares ending the day slightly higher.",
    "The government has promised to publish a full assessment before the end of the year.",
    "Similar measures were tried a decade ago with mixed results, according to a recent study.",
    "Local businesses said they had not been consulted before the decision was announced.",
    "The issue is expected to dominate the next round of talks between the two countries.",
]


def _person(rng: np.random.Generator) -> tuple[str, str, str]:
    first, last = str(rng.choice(FIRST)), str(rng.choice(LAST))
    return f"{first} {last}", last, str(rng.choice(ROLE))


def _paragraph(rng: np.random.Generator, topic: tuple[str, str, str], cast: list) -> str:
    subject, thing, people = topic
    full, last, role = cast[int(rng.integers(len(cast)))]
    city, day, verb = str(rng.choice(CITY)), str(rng.choice(DAY)), str(rng.choice(VERB))
    n = int(rng.integers(2, 95))
    kind = int(rng.integers(4))
    if kind == 0:
        lead = (
            f'"We expect {n} percent more pressure on {thing} by next year," {full}, {role}, '
            f'{verb} on {day}. "Nobody in {city} should pretend that {subject} will fix itself."'
        )
    elif kind == 1:
        lead = (
            f"{last} {verb} that {subject} would cost {people} in {city} about {n} million "
            f"dollars, and that the government had underestimated the effect on {thing}."
        )
    elif kind == 2:
        lead = (
            f"According to {full}, {role}, the debate over {subject} has shifted since {day}. "
            f'"The numbers on {thing} are clear," {last} said. "We cannot ignore {people}."'
        )
    else:
        lead = (
            f"Speaking in {city} on {day}, {last} said {people} had waited long enough. "
            f'"This is about {thing}, not politics," she said, adding that talks on {subject} '
            f"would resume within {n} days."
        )
    extra = [str(x) for x in rng.choice(FILLER, int(rng.integers(2, 5)), replace=False)]
    return " ".join([lead, *extra])


def make_documents(n_docs: int, seed: int = 0, prefix: str = "gen") -> list[Document]:
    """`n_docs` articles of 5-10 paragraphs each (about 7.5 on average)."""
    rng = np.random.default_rng(seed)
    docs = []
    for d in range(n_docs):
        topic = TOPIC[int(rng.integers(len(TOPIC)))]
        cast = [_person(rng) for _ in range(int(rng.integers(2, 4)))]
        paras = [_paragraph(rng, topic, cast) for _ in range(int(rng.integers(5, 11)))]
        title = f"{topic[0].capitalize()}: {cast[0][1]} speaks out in {rng.choice(CITY)}"
        docs.append(
            Document(
                doc_id=f"{prefix}-{seed}-{d}",
                text="\n\n".join(paras) + "\n",
                path=f"{prefix}/{seed}/{d}.txt",
                title=title,
            )
        )
    return docs
