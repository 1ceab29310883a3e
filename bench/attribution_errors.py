"""Error analysis for the attribution engine on a PolNeAR-layout split (use train, not dev).

    .venv/bin/python bench/attribution_errors.py ../shared/data/polnear/train [--limit N]
        [--show BUCKET] [--n 20]

Buckets every gold attribution by outcome: found (Dice >= 0.5), partial (some overlap
below 0.5), missed (no overlap), and every prediction that matched nothing. Missed gold is
counted by its gold cue word (lower-cased head), false positives by the engine's cue, and
boundary differences of found pairs by which side differs. Prints counts only (and, with
--show, a few examples), so nothing of the corpus is copied into the repo.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from attribution_eval import _chars, _norm, load_split  # noqa: E402

from corpus.attribution import Attributor  # noqa: E402


def gold_cues(ann: Path) -> dict[tuple[int, int], str]:
    """content start/end -> cue text, from the events of one .ann file."""
    spans: dict[str, tuple[str, list[tuple[int, int]], str]] = {}
    out: dict[tuple[int, int], str] = {}
    lines = ann.read_text(encoding="utf-8").splitlines()
    for line in lines:
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].startswith("T"):
            label, _, offs = parts[1].partition(" ")
            pieces = [tuple(int(x) for x in p.split()) for p in offs.split(";")]
            spans[parts[0]] = (label, pieces, parts[2])
    for line in lines:
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].startswith("E"):
            roles = dict(kv.partition(":")[::2] for kv in parts[1].split())
            c, q = roles.get("Content"), roles.get("Cue")
            if c in spans:
                pc = spans[c][1]
                out[(pc[0][0], pc[-1][1])] = spans[q][2] if q in spans else "-"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("split", type=Path)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show", default="", help="missed:CUE | fp:CUE | partial | bound:KIND")
    ap.add_argument("--n", type=int, default=15)
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args(argv)
    docs = load_split(args.split, args.limit)
    anns = {}
    for ann in sorted((args.split / "attributions").glob("*.ann")):
        anns.setdefault(ann.stem.rsplit("_", 1)[0], ann)
    att = Attributor()
    preds = att.extract_many(t for _, t, _ in docs)
    outcome: Counter = Counter()
    missed_cue: Counter = Counter()
    partial_cue: Counter = Counter()
    fp_cue: Counter = Counter()
    bound: Counter = Counter()
    examples: dict[str, list[str]] = {}

    def ex(key: str, s: str) -> None:
        examples.setdefault(key, []).append(s)

    for (name, text, golds), ps in zip(docs, preds, strict=True):
        cues = gold_cues(anns[name])
        pch = [set(range(*p.quote_span)) for p in ps]
        used: set[int] = set()
        for g in golds:
            gc = _chars(g.content)
            cue = cues.get((g.content[0][0], g.content[-1][1]), "-").lower()
            cue_key = cue if len(cue.split()) <= 3 else " ".join(cue.split()[-2:])
            best, bi = 0.0, -1
            for i, pc in enumerate(pch):
                inter = len(gc & pc)
                if inter:
                    d = 2 * inter / (len(gc) + len(pc))
                    if d > best:
                        best, bi = d, i
            gtxt = " | ".join(text[a:b] for a, b in g.content)
            if best >= 0.5:
                outcome["found"] += 1
                used.add(bi)
                p = ps[bi]
                gs, ge = _norm(text, g.content[0][0], g.content[-1][1])
                qs, qe = _norm(text, *p.quote_span)
                k = ("start=" if gs == qs else ("start<" if gs < qs else "start>")) + (
                    " end=" if ge == qe else (" end>" if ge > qe else " end<")
                )
                bound[k] += 1
                ex(
                    "bound:" + k,
                    f"[{cue}] GOLD: {text[gs:ge]!r}\n      PRED: {text[qs:qe]!r}",
                )
            elif best > 0:
                outcome["partial"] += 1
                partial_cue[cue_key] += 1
                p = ps[bi]
                ex("partial", f"[{cue}] GOLD: {gtxt!r}\n      PRED: {p.quote!r}")
            else:
                outcome["missed"] += 1
                missed_cue[cue_key] += 1
                # sentence-ish context around the gold content
                a = max(0, text.rfind("\n", 0, g.content[0][0]) + 1)
                b = text.find("\n", g.content[-1][1])
                b = len(text) if b < 0 else b
                ex(
                    "missed:" + cue_key,
                    f"[{cue}] GOLD: {gtxt!r}\n      PARA: {text[a:b][:400]!r}",
                )
        for i, p in enumerate(ps):
            if i not in used and not any(len(pch[i] & _chars(g.content)) for g in golds):
                outcome["fp"] += 1
                fp_cue[(p.cue or "-").lower()] += 1
                ex("fp:" + (p.cue or "-").lower(), f"{p.mention!r} {p.cue} {p.quote!r}")
    n = sum(outcome[k] for k in ("found", "partial", "missed"))
    print(f"gold {n}: " + ", ".join(f"{k} {v}" for k, v in outcome.items()))
    for title, c in (
        ("missed by gold cue", missed_cue),
        ("partial by gold cue", partial_cue),
        ("false positives by engine cue", fp_cue),
        ("boundaries of found pairs", bound),
    ):
        print(f"\n== {title} ({sum(c.values())})")
        print(", ".join(f"{k}:{v}" for k, v in c.most_common(args.top)))
    if args.show:
        items = examples.get(args.show, [])
        random.Random(0).shuffle(items)
        print(f"\n== examples of {args.show} ({len(items)})")
        for s in items[: args.n]:
            print("  " + s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
