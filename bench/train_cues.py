"""Train the learned cue gate (corpus/attribution/cue_gate.json) on a PolNeAR-layout split.

    .venv/bin/python bench/train_cues.py ../shared/data/polnear/train [--out PATH]

1. Run the engine with no gate, loose rules (weak cues without a clause, any verb with a
   clausal complement) and every sentence parsed, tracing each output's key "rule|word".
2. Match outputs to gold one-to-one (character Dice >= 0.5, as bench/attribution_eval.py);
   each output group is one example (its candidate's gate features, hit or not).
3. Fit the logistic regression (numpy, L2, full-batch Adagrad from zero) and choose the
   keep-threshold by 2-fold cross-validation over documents (even/odd), maximising the
   approximate Dice-F1 of the kept candidates; refit on all documents.
4. Prefilter additions: cue words outside the hand prefilter whose kept candidates hit gold
   at least --min-hits times on train and in at least --min-rate of the word's occurrences
   (each prefilter word costs a parse of every sentence holding it).
Deterministic (no randomness; documents in sorted order). Stores counts only, no text.
Never train on the split you report on.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from attribution_eval import (  # noqa: E402
    _chars,
    dice_matches,
    group_chars,
    group_indices,
    load_split,
)

from corpus.attribution import Attributor  # noqa: E402
from corpus.attribution.gate import GATE_PATH, CueGate  # noqa: E402
from corpus.attribution.lexicon import PREFILTER_FORMS  # noqa: E402

WORD = re.compile(r"[A-Za-z]+")


def matched_groups(golds, ps) -> list[tuple[list[int], bool]]:
    """Group outputs as the scorer does; return (member indices, matched) per group."""
    glist = group_indices(ps)
    pchars = group_chars(ps, glist)
    gchars = [_chars(g.content) for g in golds]
    up = set(dice_matches(gchars, pchars).values())
    return [(g, pi in up) for pi, g in enumerate(glist)]


def fit_lr(
    rows: list[tuple[int, list[str], int]],
    docs_idx: set[int],
    min_count: int = 2,
    l2: float = 1.0,
    iters: int = 400,
    lr: float = 0.5,
) -> tuple[dict[str, float], float]:
    """L2-regularised logistic regression on binary features, full-batch Adagrad from zero:
    deterministic. Features seen fewer than `min_count` times are dropped."""
    sel = [(f, y) for d, f, y in rows if d in docs_idx]
    cnt = Counter(x for f, _ in sel for x in set(f))
    vocab = {x: i for i, x in enumerate(sorted(x for x, c in cnt.items() if c >= min_count))}
    ri, ci = [], []
    for r, (f, _) in enumerate(sel):
        for x in set(f):
            j = vocab.get(x)
            if j is not None:
                ri.append(r)
                ci.append(j)
    ri_a, ci_a = np.array(ri), np.array(ci)
    y = np.array([v for _, v in sel], dtype=np.float64)
    n, v = len(sel), len(vocab)
    w = np.zeros(v)
    b = 0.0
    gw2 = np.full(v, 1e-8)
    gb2 = 1e-8
    for _ in range(iters):
        z = b + np.bincount(ri_a, weights=w[ci_a], minlength=n)
        p = 1.0 / (1.0 + np.exp(-z))
        err = p - y
        gw = np.bincount(ci_a, weights=err[ri_a], minlength=v) + l2 * w
        gb = float(err.sum())
        gw2 += gw * gw
        gb2 += gb * gb
        w -= lr * gw / np.sqrt(gw2)
        b -= lr * gb / math.sqrt(gb2)
    inv = sorted(vocab, key=vocab.get)
    return {x: round(float(w[i]), 4) for i, x in enumerate(inv) if abs(w[i]) >= 1e-3}, round(b, 4)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("split", type=Path)
    ap.add_argument("--out", type=Path, default=GATE_PATH)
    ap.add_argument("--min-hits", type=int, default=4)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--drop-rate", type=float, default=0.05, help="drop hand words below")
    ap.add_argument("--drop-min-occ", type=int, default=20)
    ap.add_argument("--min-rate", type=float, default=0.1, help="hits per occurrence")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument(
        "--anonymous-cost",
        type=float,
        default=1.5,
        help="right attributions a wrong speakerless non-quotation costs",
    )
    args = ap.parse_args(argv)
    docs = load_split(args.split, args.limit)
    att = Attributor()
    if att._gate is not None:  # the shipped gate's learned words are not hand prefilter
        att.prefilter = (PREFILTER_FORMS - set(att._gate.prefilter_add)) | set(
            att._gate.prefilter_drop
        )
    att._gate = None
    att._parse_all = True
    att._trace = []
    preds = att.extract_many(t for _, t, _ in docs)
    base_pref = set(att.prefilter)
    rows: list[tuple[int, list[str], int]] = []  # (doc, features, hit)
    anonymous: list[bool] = []  # per row: no speaker, and not a quotation
    forms: list[tuple[int, list[str], str, int]] = []  # (doc, features, cue form, hit)
    n_gold = [len(g) for _, _, g in docs]
    for d, ((_, _text, golds), ps, keys) in enumerate(zip(docs, preds, att._trace, strict=True)):
        for members, hit in matched_groups(golds, ps):
            key = keys[members[0]]
            rows.append((d, key, int(hit)))
            first = ps[members[0]]
            anonymous.append(first.speaker is None and first.kind != "direct")
            cue = (ps[members[0]].cue or "").lower()
            w = WORD.findall(cue)
            forms.append((d, key, w[0] if w else cue, int(hit)))
    grid = [round(0.10 + 0.02 * i, 2) for i in range(31)]
    cv = Counter()
    cv_anon: Counter = Counter()  # right minus cost x wrong anonymous ones kept, by threshold
    for fold in (0, 1):
        tr = {d for d in range(len(docs)) if d % 2 != fold}
        te = {d for d in range(len(docs)) if d % 2 == fold}
        weights, bias = fit_lr(rows, tr, l2=args.l2)
        g = CueGate({"threshold": 0.5, "bias": bias, "weights": weights})
        scored = [(g.score(f), hit) for d, f, hit in rows if d in te]
        anon = [
            (g.score(r[1]), r[2]) for r, a in zip(rows, anonymous, strict=True) if a and r[0] in te
        ]
        gold = sum(n_gold[d] for d in te)
        for th in grid:
            tp = sum(h for p, h in scored if p >= th)
            n = sum(1 for p, _ in scored if p >= th)
            cv[th] += 2 * tp / (n + gold) / 2
            cv_anon[th] += sum(h - args.anonymous_cost * (1 - h) for p, h in anon if p >= th)
    best = max(grid, key=lambda th: (cv[th], -th))
    # An attribution with no speaker that is not a quotation is kept only where such
    # candidates gain more right ones than they cost wrong ones, a wrong one costing
    # --anonymous-cost right ones (the issue: a wrong attribution costs more than a missing
    # one, and a reader can do nothing with one that names nobody).
    anonymous_threshold = max((th for th in grid if th >= best), key=lambda th: (cv_anon[th], -th))
    weights, bias = fit_lr(rows, set(range(len(docs))), l2=args.l2)
    gate = CueGate({"threshold": best, "bias": bias, "weights": weights})
    add: Counter = Counter()
    for _, f, form, hit in forms:
        if form and gate.keep(f):
            add[form] += hit
    # A prefilter word costs a parse of every sentence holding it: require hits per
    # occurrence too, so "is" / "was" never qualify.
    occ: Counter = Counter()
    for _, text, _ in docs:
        occ.update(w.lower() for w in WORD.findall(text))
    prefilter_add = sorted(
        w
        for w, h in add.items()
        if w not in base_pref
        and h >= args.min_hits
        and w.isalpha()
        and h / max(occ[w], 1) >= args.min_rate
    )
    # Hand prefilter words that almost never yield a kept attribution cost parses for
    # nothing: drop them (the few hits they bring are outweighed by the parse time).
    prefilter_drop = sorted(
        w for w in base_pref if occ[w] >= args.drop_min_occ and add[w] / occ[w] < args.drop_rate
    )
    print("prefilter drops (hits, occurrences):", {w: (add[w], occ[w]) for w in prefilter_drop})
    data = {
        "about": "cue gate counts from bench/train_cues.py; see corpus/attribution/gate.py",
        "trained_on": args.split.name,
        "documents": len(docs),
        "threshold": best,
        "anonymous_threshold": anonymous_threshold,
        "anonymous_cost": args.anonymous_cost,
        "l2": args.l2,
        "cv_f1": {str(th): round(cv[th], 4) for th in grid},
        "prefilter_add": prefilter_add,
        "prefilter_drop": prefilter_drop,
        "bias": bias,
        "weights": dict(sorted(weights.items())),
    }
    args.out.write_text(json.dumps(data, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    total = Counter()
    for _, _key, hit in rows:
        total["n"] += 1
        total["hits"] += hit
    print(f"{len(docs)} docs, {total['n']} candidates, {total['hits']} hits, gold {sum(n_gold)}")
    print(f"{len(weights)} weights")
    print("cv F1 by threshold:", {th: round(cv[th], 4) for th in grid})
    print("prefilter words (hits, occurrences):", {w: (add[w], occ[w]) for w in prefilter_add})
    print(
        "anonymous kept, right minus cost x wrong, by threshold:",
        {th: round(v, 1) for th, v in sorted(cv_anon.items())},
    )
    print(
        f"threshold {best}, anonymous {anonymous_threshold}; prefilter additions ({len(prefilter_add)}): {prefilter_add}"
    )
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
