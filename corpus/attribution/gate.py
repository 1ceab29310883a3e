"""Learned cue gate: which candidate attributions the engine keeps.

The rules propose candidates, each tagged with the construction that found it (`rule`:
ccomp, xcomp, dobj, bare, noun, gen = any verb with a clausal complement, gdobj = any verb
with an object, ...) and its cue word. A logistic regression over sparse binary features of
the candidate (construction, construction+word, word, what the source is, where it sits,
content length, quote marks in the content, and a few conjunctions) scores it; candidates
scoring at least the threshold are kept.

`cue_gate.json` (weights by feature name, bias, threshold) is trained on PolNeAR train by
`bench/train_cues.py` (threshold by 2-fold cross-validation over documents) and loaded as
plain JSON. It also lists extra prefilter words: cue words outside the hand lexicon whose
kept candidates hit gold often enough to be worth parsing their sentences.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

GATE_PATH = Path(__file__).with_name("cue_gate.json")


def _len_bucket(n: int) -> str:
    for lim, name in ((1, "1"), (2, "2"), (5, "3-5"), (10, "6-10"), (20, "11-20"), (40, "21-40")):
        if n <= lim:
            return name
    return "41+"


def features(
    rule: str,
    lemma: str,
    source_kind: str,
    source_before_cue: bool | None,
    content: str,
    cue_before_content: bool,
) -> list[str]:
    """Binary feature names of one candidate (see module docstring)."""
    words = len(content.split())
    q = any(c in content for c in '“”"') or "''" in content
    src = source_kind
    return [
        "r=" + rule,
        f"k={rule}|{lemma}",
        "l=" + lemma,
        "s=" + src,
        f"r&s={rule}&{src}",
        f"l&s={lemma}&{src}",
        "sp=" + ("none" if source_before_cue is None else str(source_before_cue)),
        "len=" + _len_bucket(words),
        f"r&len={rule}&{_len_bucket(words)}",
        "q=" + str(q),
        "cb=" + str(cue_before_content),
        f"r&cb={rule}&{cue_before_content}",
    ]


class CueGate:
    def __init__(self, data: dict) -> None:
        self.threshold: float = data["threshold"]
        # Candidates that end with no speaker and are not quotations need this score.
        self.anonymous_threshold: float = data.get("anonymous_threshold", self.threshold)
        self.bias: float = data["bias"]
        self.weights: dict[str, float] = data["weights"]
        self.prefilter_add: list[str] = data.get("prefilter_add", [])
        self.prefilter_drop: list[str] = data.get("prefilter_drop", [])
        # Upper bounds for may_keep: the best weight of each feature group, overall or per
        # construction / word, so a candidate can be ruled out before its source and
        # content are worked out.
        self._best: dict[str, float] = {}
        for f, w in self.weights.items():
            group, _, val = f.partition("=")
            key = group if "&" not in group else f"{group}={val.rsplit('&', 1)[0]}"
            if group in {"r", "k", "l"}:
                continue
            self._best[key] = max(self._best.get(key, 0.0), w)
        self._may: dict[tuple[str, str], bool] = {}
        self._word: dict[str, bool] = {}
        # "pointed to" / "critical of": first words of two-word keys that may pass.
        self._two_word: dict[str, set[str]] = {}
        for f in self.weights:
            if f.startswith(("k=gprep|", "k=gadj|")):
                rule, _, lem = f[2:].partition("|")
                if self.may_keep(rule, lem):
                    self._two_word.setdefault(rule, set()).add(lem.split(" ")[0])

    def score(self, feats: list[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in feats)
        return 1.0 / (1.0 + math.exp(-z))

    def keep(self, feats: list[str]) -> bool:
        return self.score(feats) >= self.threshold

    def word_may_keep(self, word: str) -> bool:
        """False when no generic construction (rules.py `_generic`) can keep `word`."""
        ok = self._word.get(word)
        if ok is None:
            ok = any(self.may_keep(r, word) for r in ("gen", "gxcomp", "gdobj"))
            if not ok:
                for r in ("gprep", "gadj"):
                    if self.may_keep(r, "\x00") or word in self._two_word.get(r, ()):
                        ok = True
                        break
            self._word[word] = ok
        return ok

    def may_keep(self, rule: str, lemma: str) -> bool:
        """False when no candidate of this construction and word can reach the threshold."""
        ok = self._may.get((rule, lemma))
        if ok is None:
            w, b = self.weights, self._best
            z = self.bias + w.get("r=" + rule, 0.0) + w.get(f"k={rule}|{lemma}", 0.0)
            z += w.get("l=" + lemma, 0.0)
            for g in ("s", "sp", "len", "q", "cb"):
                z += b.get(g, 0.0)
            for g in ("r&s", "r&len", "r&cb"):
                z += b.get(f"{g}={rule}", 0.0)
            z += b.get(f"l&s={lemma}", 0.0)
            ok = self._may[(rule, lemma)] = 1.0 / (1.0 + math.exp(-z)) >= self.threshold
        return ok


def load_gate(path: Path = GATE_PATH) -> CueGate | None:
    if not path.exists():
        return None
    return CueGate(json.loads(path.read_text(encoding="utf-8")))
