"""Find the speaker a question names, and spot "Who said ...?" questions.

The registry is the list of canonical speaker names in the index ("Rahm Emanuel"). A question
may use the full name, the surname ("What did Emanuel say about warships?"), a possessive
("Emanuel's view"), or a slightly misspelt name ("Emmanuel"): rapidfuzz handles the last case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from retrieval.models import SpeakerInfo

# Words that look like names at the start of a question but never are one.
_NOT_NAMES_TEXT = (
    "what who whom whose when where why how which did does do is are was were has have had "
    "the a an in on of about for to and or but said say says tell told according news us uk "
    "president minister ambassador professor mr mrs ms dr"
)
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-\.]*")

_WHO_SAID = re.compile(
    r"^\s*(?:who|which\s+(?:person|official|politician|leader|speaker|expert|minister))\s+"
    r"(?:said|says|say|stated|claimed|told|warned|argued|remarked|wrote|tweeted|declared|"
    r"described|called|was\s+quoted(?:\s+as\s+saying)?|is\s+quoted(?:\s+as\s+saying)?)"
    r"\s*(?:that\s+)?[,:]?\s*(?P<content>.*?)\s*\??\s*$",
    re.IGNORECASE | re.DOTALL,
)
_QUOTED = re.compile(r"[\"“”‘’']([^\"“”]{3,})[\"“”’']")


@dataclass(frozen=True, slots=True)
class SpeakerMatch:
    name: str  # canonical name from the registry
    score: float  # 0..100
    matched: str  # the words of the question that named them


def who_said_content(question: str) -> str | None:
    """The quoted/reported content of a "Who said ...?" question, else None."""
    m = _WHO_SAID.match(question)
    if not m:
        return None
    content = m.group("content").strip()
    quoted = _QUOTED.findall(content)
    if quoted:
        content = " ".join(quoted)
    content = content.strip(" \"“”‘’'.?")
    return content or None


class SpeakerRegistry:
    """Canonical names plus their surnames, matched against the words of a question."""

    def __init__(self, names: Iterable[str], threshold: float = 88.0) -> None:
        self.names = sorted({n.strip() for n in names if n and n.strip()})
        self.threshold = threshold
        # alias (lowercase) -> canonical names. Surnames only for multi-word person names;
        # an alias shared by two speakers ("Johnson") is ambiguous and matches neither alone.
        self._alias: dict[str, set[str]] = {}
        for name in self.names:
            parts = [p for p in re.split(r"\s+", name) if p]
            self._alias.setdefault(name.lower(), set()).add(name)
            if len(parts) >= 2 and len(parts[-1]) >= 3:
                self._alias.setdefault(parts[-1].lower().strip("."), set()).add(name)
        self._keys = list(self._alias)

    def __len__(self) -> int:
        return len(self.names)

    def match(self, question: str) -> SpeakerMatch | None:
        """The best speaker named in the question, or None."""
        if not self._keys:
            return None
        words = [w.strip(".'’-") for w in _WORD.findall(question)]
        words = [re.sub(r"['’]s$", "", w) for w in words]
        best: SpeakerMatch | None = None
        # n-grams of 1..4 words, longest first, so "Rahm Emanuel" beats "Emanuel"
        for n in (4, 3, 2, 1):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if gram[0].lower() in _NOT_NAMES or gram[-1].lower() in _NOT_NAMES:
                    continue
                # a name in a question is capitalised; lowercase words are content words
                if not all(w[:1].isupper() for w in gram):
                    continue
                text = " ".join(gram).lower()
                if len(text) < 3:
                    continue
                hit = process.extractOne(
                    text, self._keys, scorer=fuzz.ratio, score_cutoff=self.threshold
                )
                if hit is None:
                    continue
                key, score, _ = hit
                owners = self._alias[key]
                if len(owners) != 1:
                    continue
                # longer (more specific) matches win on ties
                cand = SpeakerMatch(next(iter(owners)), float(score) + n * 0.01, " ".join(gram))
                if best is None or cand.score > best.score:
                    best = cand
            if best is not None and best.score >= 99:
                break
        return best


def rank_speakers(
    query: str, speakers: Sequence[SpeakerInfo], limit: int = 25
) -> list[tuple[SpeakerInfo, float]]:
    """Speakers for what has been typed so far: full name, surname or any part of a name,
    then near misses ("Emmanuel"); ties go to the most quoted."""
    query = " ".join((query or "").split()).lower()
    if not query:
        return [(s, 0.0) for s in speakers[:limit]]
    scored: dict[int, tuple[SpeakerInfo, float]] = {}
    for info in speakers:
        name = info.name.lower()
        words = name.split()
        if name == query:
            score = 100.0
        elif name.startswith(query) or any(w.startswith(query) for w in words):
            score = 95.0
        elif query in name:
            score = 90.0
        else:
            continue
        scored[info.speaker_id] = (info, score)
    # Typos: rapidfuzz over the remaining names (WRatio handles partial and reordered names).
    rest = [s for s in speakers if s.speaker_id not in scored]
    if rest and len(query) >= 3:
        for _, score, i in process.extract(
            query,
            [s.name.lower() for s in rest],
            scorer=fuzz.WRatio,
            limit=limit,
            score_cutoff=70,
        ):
            scored[rest[i].speaker_id] = (rest[i], min(float(score), 89.0))
    ranked = sorted(scored.values(), key=lambda p: (-p[1], -p[0].quote_count, p[0].name))
    return ranked[:limit]


def resolve_speaker(value: str, speakers: Sequence[SpeakerInfo]) -> SpeakerInfo | None:
    """The one speaker a typed value means (an autocomplete pick is the canonical name)."""
    value = " ".join((value or "").split())
    if not value:
        return None
    by_name = {s.name.lower(): s for s in speakers}
    if value.lower() in by_name:
        return by_name[value.lower()]
    # The registry (full names, unambiguous surnames, small typos) expects capitalised names.
    capitalised = " ".join(w[:1].upper() + w[1:] for w in value.split())
    match = SpeakerRegistry(by_name[k].name for k in by_name).match(capitalised)
    if match is not None and match.name.lower() in by_name:
        return by_name[match.name.lower()]
    ranked = rank_speakers(value, speakers, limit=2)
    if ranked and ranked[0][1] >= 90 and (len(ranked) == 1 or ranked[1][1] < ranked[0][1]):
        return ranked[0][0]
    if ranked and ranked[0][1] >= 85 and len(ranked) == 1:
        return ranked[0][0]
    return None
