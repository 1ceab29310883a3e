"""Train the learned cue gate (corpus/attribution/cue_gate.json) on a PolNeAR-layout split.

    .venv/bin/python bench/train_cues.py ../shared/data/polnear/train [--out PATH]

1. Run the engine with no gate, loose rules (weak cues without a clause, any verb with a
   clausal complement) and every sentence parsed, tracing each output's key "rule|word".
2. Match outputs to gold one-to-one (character Dice >= 0.5, as bench/attribution_eval.py)
   and count, per key and per rule, candidates n and hits.
3. Choose the keep-threshold on smoothed precision by 2-fold cross-validation over
   documents (even/odd), maximising the approximate Dice-F1 of the kept candidates.
4. Prefilter additions: cue words outside the hand prefilter whose kept candidates hit gold
   at least --min-hits times on train and in at least --min-rate of the word's occurrences
   (each prefilter word costs a parse of every sentence holding it).
Deterministic (no randomness; documents in sorted order). Stores counts only, no text.
Never train on the split you report on.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from attribution_eval import _chars, load_split  # noqa: E402

from corpus.attribution import Attributor  # noqa: E402
from corpus.attribution.gate import GATE_PATH, SMOOTH_K, CueGate  # noqa: E402
from corpus.attribution.lexicon import PREFILTER_FORMS  # noqa: E402

WORD = re.compile(r"[A-Za-z]+")


def matched_groups(golds, ps) -> list[tuple[list[int], bool]]:
    """Group outputs as the scorer does; return (member indices, matched) per group."""
    groups: dict[object, list[int]] = {}
    for i, p in enumerate(ps):
        key = (p.speaker_span, p.cue) if p.speaker_span is not None else i
        groups.setdefault(key, []).append(i)
    glist = list(groups.values())
    pchars = [set().union(*(range(*ps[i].quote_span) for i in g)) for g in glist]
    gchars = [_chars(g.content) for g in golds]
    pairs = []
    for gi, gc in enumerate(gchars):
        for pi, pc in enumerate(pchars):
            inter = len(gc & pc)
            if inter:
                d = 2 * inter / (len(gc) + len(pc))
                if d >= 0.5:
                    pairs.append((d, gi, pi))
    pairs.sort(reverse=True)
    ug, up = set(), set()
    for _, gi, pi in pairs:
        if gi in ug or pi in up:
            continue
        ug.add(gi)
        up.add(pi)
    return [(g, pi in up) for pi, g in enumerate(glist)]


def tables(rows, docs_idx):
    keys: dict[str, list[int]] = {}
    rules: dict[str, list[int]] = {}
    for d, key, hit in rows:
        if d not in docs_idx:
            continue
        k = keys.setdefault(key, [0, 0])
        k[0] += 1
        k[1] += hit
        r = rules.setdefault(key.split("|")[0], [0, 0])
        r[0] += 1
        r[1] += hit
    return keys, rules


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("split", type=Path)
    ap.add_argument("--out", type=Path, default=GATE_PATH)
    ap.add_argument("--min-hits", type=int, default=4)
    ap.add_argument("--min-rate", type=float, default=0.1, help="hits per occurrence")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args(argv)
    docs = load_split(args.split)
    if args.limit:
        docs = docs[: args.limit]
    att = Attributor()
    att._gate = None
    att._parse_all = True
    att._trace = []
    preds = att.extract_many(t for _, t, _ in docs)
    base_pref = set(PREFILTER_FORMS)
    rows: list[tuple[int, str, int]] = []  # (doc, key, hit)
    forms: list[tuple[int, str, str, int]] = []  # (doc, key, cue form, hit)
    n_gold = [len(g) for _, _, g in docs]
    for d, ((_, _text, golds), ps, keys) in enumerate(zip(docs, preds, att._trace, strict=True)):
        for members, hit in matched_groups(golds, ps):
            key = keys[members[0]]
            rows.append((d, key, int(hit)))
            cue = (ps[members[0]].cue or "").lower()
            w = WORD.findall(cue)
            forms.append((d, key, w[0] if w else cue, int(hit)))
    grid = [round(0.20 + 0.02 * i, 2) for i in range(21)]
    cv = Counter()
    for fold in (0, 1):
        tr = {d for d in range(len(docs)) if d % 2 != fold}
        te = {d for d in range(len(docs)) if d % 2 == fold}
        keys, rules = tables(rows, tr)
        gold = sum(n_gold[d] for d in te)
        for th in grid:
            g = CueGate({"threshold": th, "rules": rules, "keys": keys})
            tp = n = 0
            for d, key, hit in rows:
                if d in te and g.keep(*key.split("|", 1)):
                    n += 1
                    tp += hit
            cv[th] += 2 * tp / (n + gold) / 2
    best = max(grid, key=lambda th: (cv[th], -th))
    keys, rules = tables(rows, set(range(len(docs))))
    gate = CueGate({"threshold": best, "rules": rules, "keys": keys})
    add: Counter = Counter()
    for _, key, form, hit in forms:
        if form and form not in base_pref and gate.keep(*key.split("|", 1)):
            add[form] += hit
    # A prefilter word costs a parse of every sentence holding it: require hits per
    # occurrence too, so "is" / "was" never qualify.
    occ: Counter = Counter()
    for _, text, _ in docs:
        occ.update(w.lower() for w in WORD.findall(text))
    prefilter_add = sorted(
        w
        for w, h in add.items()
        if h >= args.min_hits and w.isalpha() and h / max(occ[w], 1) >= args.min_rate
    )
    data = {
        "about": "cue gate counts from bench/train_cues.py; see corpus/attribution/gate.py",
        "trained_on": args.split.name,
        "documents": len(docs),
        "threshold": best,
        "smooth_k": SMOOTH_K,
        "cv_f1": {str(th): round(cv[th], 4) for th in grid},
        "rules": dict(sorted(rules.items())),
        "keys": dict(sorted(keys.items())),
        "prefilter_add": prefilter_add,
    }
    args.out.write_text(json.dumps(data, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    total = Counter()
    for _, _key, hit in rows:
        total["n"] += 1
        total["hits"] += hit
    print(f"{len(docs)} docs, {total['n']} candidates, {total['hits']} hits, gold {sum(n_gold)}")
    print("rules:", {r: (v[0], round(v[1] / v[0], 2)) for r, v in sorted(rules.items())})
    print("cv F1 by threshold:", {th: round(cv[th], 4) for th in grid})
    print(f"threshold {best}; prefilter additions ({len(prefilter_add)}): {prefilter_add}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
