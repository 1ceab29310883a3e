"""Speaker names: which speaker some words name, and which speakers match what is typed.

One resolver for the concept: questions (retrieval.question) use `SpeakerRegistry.exact`;
the `speaker` option and autocomplete use `resolve_speaker` and `rank_speakers`, which also
forgive typos, because there the user is choosing a speaker on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from corpus.attribution.speakers import speaker_key
from retrieval.models import SpeakerInfo

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-\.]*")


@dataclass(frozen=True, slots=True)
class SpeakerMatch:
    name: str  # canonical name from the registry
    score: float  # 0..100
    matched: str  # the words that named them


def _first_last(key: str) -> str:
    """ "donald j trump" -> "donald trump": a middle name or initial is often left out."""
    words = key.split()
    return f"{words[0]} {words[-1]}" if len(words) > 2 else key


class SpeakerRegistry:
    """The corpus' person speakers, looked up by the words that name them.

    `exact` is for names in questions: a full name (by `speaker_key`: case, accents,
    honorifics set aside; a middle name or initial may be left out), or a surname written alone that exactly one speaker has. It never
    guesses: a shared surname or a near-name matches nobody. `fuzzy` is for a name typed on
    purpose (the `speaker` option), where small typos ("Emmanuel") should still find them.
    """

    def __init__(
        self, names: Iterable[str] | Mapping[str, Sequence[int]], threshold: float = 88.0
    ) -> None:
        """`names`: canonical names, or canonical name -> the speaker ids that bear it."""
        self._ids = (
            {n.strip(): tuple(v) for n, v in names.items()} if isinstance(names, Mapping) else {}
        )
        self.names = sorted({n.strip() for n in names if n and n.strip()})
        self.threshold = threshold
        self._full: dict[str, set[str]] = {}
        self._surname: dict[str, set[str]] = {}
        for name in self.names:
            for key in {speaker_key(name), _first_last(speaker_key(name))}:
                self._full.setdefault(key, set()).add(name)
            parts = speaker_key(name).split()
            if len(parts) >= 2 and len(parts[-1]) >= 3:
                self._surname.setdefault(parts[-1], set()).add(name)

    def __len__(self) -> int:
        return len(self.names)

    def ids_of(self, name: str) -> tuple[int, ...]:
        """The speaker ids of a canonical name (empty when built from names alone)."""
        return self._ids.get(name, ())

    def exact(self, words: Sequence[str]) -> str | None:
        """The one speaker these words name exactly, or None.

        A run with words before the name ("Apple chief Tim Cook") matches on its longest
        tail that is a full name; a lone word only as an unambiguous surname."""
        words = list(words)
        for start in range(len(words) - 1):
            key = speaker_key(" ".join(words[start:]))
            owners = self._full.get(key) or self._full.get(_first_last(key), set())
            if len(owners) == 1:
                return next(iter(owners))
        if len(words) == 1:
            key = speaker_key(words[0])
            owners = self._full.get(key, set()) | self._surname.get(key, set())
            if len(owners) == 1:
                return next(iter(owners))
        return None

    def fuzzy(self, text: str) -> SpeakerMatch | None:
        """The best speaker named in typed text, allowing small typos; None if unsure."""
        keys = {**{k: v for k, v in self._full.items()}, **self._surname}
        words = [w.strip(".'’-") for w in _WORD.findall(text)]
        best: SpeakerMatch | None = None
        for n in (4, 3, 2, 1):  # longest first, so "Rahm Emanuel" beats "Emanuel"
            for i in range(len(words) - n + 1):
                gram = " ".join(words[i : i + n])
                key = speaker_key(gram)
                if len(key) < 3:
                    continue
                hit = process.extractOne(
                    key, list(keys), scorer=fuzz.ratio, score_cutoff=self.threshold
                )
                if hit is None or len(keys[hit[0]]) != 1:
                    continue
                cand = SpeakerMatch(next(iter(keys[hit[0]])), float(hit[1]) + n * 0.01, gram)
                if best is None or cand.score > best.score:
                    best = cand
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
    match = SpeakerRegistry(by_name[k].name for k in by_name).fuzzy(value)
    if match is not None and match.name.lower() in by_name:
        return by_name[match.name.lower()]
    ranked = rank_speakers(value, speakers, limit=2)
    if ranked and ranked[0][1] >= 90 and (len(ranked) == 1 or ranked[1][1] < ranked[0][1]):
        return ranked[0][0]
    if ranked and ranked[0][1] >= 85 and len(ranked) == 1:
        return ranked[0][0]
    return None
