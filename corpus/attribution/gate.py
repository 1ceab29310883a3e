"""Learned cue gate: which (construction, cue word) candidates the engine keeps.

The rules propose candidates, each tagged with the construction that found it (`rule`:
ccomp, xcomp, dobj, bare, noun, gen = any verb with a clausal complement, ...) and its cue
word. `cue_gate.json`, trained on PolNeAR train by `corpus/attribution/train.py`, holds for
every key "rule|word" how often such a candidate matched a gold attribution (n, hits). A
candidate is kept when its smoothed precision

    (hits + K * p_rule) / (n + K)        p_rule = precision of its construction on train

reaches the threshold (chosen on train by 2-fold cross-validation over documents). Keys never
seen fall back to p_rule. The file also lists extra prefilter words: cue words that are not in
the hand lexicon but whose candidates the gate keeps often enough to be worth a parse.
"""

from __future__ import annotations

import json
from pathlib import Path

GATE_PATH = Path(__file__).with_name("cue_gate.json")
SMOOTH_K = 3.0


class CueGate:
    def __init__(self, data: dict) -> None:
        self.threshold: float = data["threshold"]
        self.k: float = data.get("smooth_k", SMOOTH_K)
        self.rules: dict[str, list[int]] = data["rules"]
        self.keys: dict[str, list[int]] = data["keys"]
        self.prefilter_add: list[str] = data.get("prefilter_add", [])
        self._cache: dict[str, bool] = {}

    def score(self, rule: str, lemma: str) -> float:
        rn, rh = self.rules.get(rule, (0, 0))
        prior = (rh + 1.0) / (rn + 2.0)
        n, h = self.keys.get(f"{rule}|{lemma}", (0, 0))
        return (h + self.k * prior) / (n + self.k)

    def keep(self, rule: str, lemma: str) -> bool:
        key = f"{rule}|{lemma}"
        ok = self._cache.get(key)
        if ok is None:
            ok = self._cache[key] = self.score(rule, lemma) >= self.threshold
        return ok


def load_gate(path: Path = GATE_PATH) -> CueGate | None:
    if not path.exists():
        return None
    return CueGate(json.loads(path.read_text(encoding="utf-8")))
