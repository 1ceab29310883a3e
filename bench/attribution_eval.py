"""Score the attribution engine on a BRAT-annotated split (PolNeAR layout).

    .venv/bin/python bench/attribution_eval.py ../shared/data/polnear/dev [--json] [--limit N]

Layout: SPLIT/text/NAME.txt and SPLIT/attributions/NAME_<annotator>.ann. Where an article has
several annotators we score against ONE of them, consistently the first annotator id in
sorted order, so every article counts once.

Metrics
- content P/R/F1, two matchings, both one-to-one and greedy by best score:
  * exact: spans equal after normalising edges (whitespace, quote marks, . , ; : and a leading
    "that "), because the engine returns quotes without their marks and reported content
    without the complementiser, while PolNeAR keeps both;
  * Dice: character-overlap Dice >= 0.5 between predicted span and gold content (the union
    of its discontinuous pieces).
- speaker-mention accuracy, on Dice-matched pairs whose gold has a Source: the predicted
  speaker_span overlaps the gold Source span.
- breakdown by gold type: direct (content starts and ends with a quote mark), pronoun
  (Source is a pronoun), reported (everything else); recall and speaker accuracy per type.
- speed: documents/s, paragraphs/s (non-empty lines) and words/s for extract_many alone.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus.attribution import Attributor  # noqa: E402

_PRONOUNS = {
    "he",
    "she",
    "they",
    "it",
    "i",
    "we",
    "you",
    "him",
    "her",
    "them",
    "us",
    "his",
    "their",
    "its",
    "who",
    "which",
    "that",
}
_EDGE = " \t\n\"“”‘’'.,;:—–-"


@dataclass
class Gold:
    content: list[tuple[int, int]]
    source: list[tuple[int, int]] = field(default_factory=list)
    kind: str = "reported"


def dice_matches(gchars: list[set[int]], pchars: list[set[int]]) -> dict[int, int]:
    """Gold index -> predicted index, one-to-one, greedily by best character-overlap Dice,
    keeping pairs with Dice >= 0.5. The training script matches the same way."""
    pairs = []
    for gi, gc in enumerate(gchars):
        for pi, pc in enumerate(pchars):
            inter = len(gc & pc)
            if inter:
                d = 2 * inter / (len(gc) + len(pc))
                if d >= 0.5:
                    pairs.append((d, gi, pi))
    pairs.sort(reverse=True)
    matched: dict[int, int] = {}
    used: set[int] = set()
    for _, gi, pi in pairs:
        if gi in matched or pi in used:
            continue
        matched[gi] = pi
        used.add(pi)
    return matched


def parse_ann(path: Path, text: str) -> list[Gold]:
    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    events: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        if parts[0].startswith("T"):
            label, _, offs = parts[1].partition(" ")
            pieces = [tuple(int(x) for x in p.split()) for p in offs.split(";")]
            spans[parts[0]] = (label, [(a, b) for a, b in pieces])
        elif parts[0].startswith("E"):
            roles = {}
            for kv in parts[1].split():
                k, _, v = kv.partition(":")
                roles[k] = v
            events.append(roles)
    out = []
    for ev in events:
        if "Content" not in ev or ev["Content"] not in spans:
            continue
        content = spans[ev["Content"]][1]
        source = spans[ev["Source"]][1] if ev.get("Source") in spans else []
        ctext = " ".join(text[a:b] for a, b in content).strip()
        stext = " ".join(text[a:b] for a, b in source).strip().lower()
        if ctext[:1] in '"“' and ctext.rstrip(".,")[-1:] in '"”':
            kind = "direct"
        elif stext in _PRONOUNS:
            kind = "pronoun"
        else:
            kind = "reported"
        out.append(Gold(content, source, kind))
    return out


def _norm(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in _EDGE:
        s += 1
    while e > s and text[e - 1] in _EDGE:
        e -= 1
    m = re.match(r"(?:that|whether)\s+", text[s:e], re.IGNORECASE)
    if m:
        s += m.end()
    while s < e and text[s] in _EDGE:
        s += 1
    return s, e


def _chars(spans: list[tuple[int, int]]) -> set[int]:
    out: set[int] = set()
    for a, b in spans:
        out.update(range(a, b))
    return out


def load_split(root: Path, limit: int = 0) -> list[tuple[str, str, list[Gold]]]:
    """The split's annotated articles (the first `limit` when given)."""
    docs = []
    by_article: dict[str, list[Path]] = {}
    for ann in sorted((root / "attributions").glob("*.ann")):
        by_article.setdefault(ann.stem.rsplit("_", 1)[0], []).append(ann)
    for name, anns in sorted(by_article.items()):
        txt = root / "text" / f"{name}.txt"
        if not txt.exists():
            continue
        text = txt.read_text(encoding="utf-8")
        docs.append((name, text, parse_ann(sorted(anns)[0], text)))
    return docs[:limit] if limit else docs


def group_indices(ps) -> list[list[int]]:
    """A quote interrupted by its cue ("A," he said. "B.") is one PolNeAR attribution with a
    discontinuous content; the engine returns one record per piece, sharing the speaker
    mention and cue. Such pieces are scored as one predicted attribution: the indices of
    each group's members, in order of first appearance."""
    groups: dict[object, list[int]] = {}
    for i, p in enumerate(ps):
        key = (p.speaker_span, p.cue) if p.speaker_span is not None else i
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def group_chars(ps, groups: list[list[int]]) -> list[set[int]]:
    """The characters of each group's quotes."""
    return [set().union(*(range(*ps[i].quote_span) for i in g)) for g in groups]


def score(docs, preds) -> dict:
    tp_exact = tp_dice = n_pred = n_gold = 0
    by_kind: dict[str, dict[str, int]] = {}
    spk_ok = spk_n = 0
    for (_, text, golds), ps in zip(docs, preds, strict=True):
        n_gold += len(golds)
        gchars = [_chars(g.content) for g in golds]
        groups = group_indices(ps)
        pchars = group_chars(ps, groups)
        ps = [ps[g[0]] for g in groups]
        n_pred += len(ps)
        # exact
        gnorm = {_norm(text, g.content[0][0], g.content[-1][1]): i for i, g in enumerate(golds)}
        used = set()
        for p in ps:
            k = _norm(text, *p.quote_span)
            if k in gnorm and gnorm[k] not in used:
                used.add(gnorm[k])
                tp_exact += 1
        matched = dice_matches(gchars, pchars)
        tp_dice += len(matched)
        for gi, g in enumerate(golds):
            k = by_kind.setdefault(g.kind, {"gold": 0, "found": 0, "spk_n": 0, "spk_ok": 0})
            k["gold"] += 1
            if gi not in matched:
                continue
            k["found"] += 1
            if not g.source:
                continue
            p = ps[matched[gi]]
            ok = p.speaker_span is not None and any(
                a < p.speaker_span[1] and p.speaker_span[0] < b for a, b in g.source
            )
            k["spk_n"] += 1
            k["spk_ok"] += ok
            spk_n += 1
            spk_ok += ok

    def prf(tp):
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gold if n_gold else 0.0
        return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}

    return {
        "documents": len(docs),
        "gold": n_gold,
        "predicted": n_pred,
        "exact": prf(tp_exact),
        "dice": prf(tp_dice),
        "speaker_accuracy": spk_ok / spk_n if spk_n else 0.0,
        "speaker_n": spk_n,
        "by_kind": {
            k: {
                "gold": v["gold"],
                "recall": v["found"] / v["gold"] if v["gold"] else 0,
                "speaker_accuracy": v["spk_ok"] / v["spk_n"] if v["spk_n"] else 0,
                "speaker_n": v["spk_n"],
            }
            for k, v in sorted(by_kind.items())
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("split", type=Path, help="split folder with text/ and attributions/")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--limit", type=int, default=0, help="score only the first N articles")
    args = ap.parse_args(argv)
    docs = load_split(args.split, args.limit)
    if not docs:
        print(f"no annotated articles under {args.split}", file=sys.stderr)
        return 2
    att = Attributor()
    att.extract("Warm-up, he said.")  # model load is not attribution time
    t0 = time.perf_counter()
    preds = att.extract_many(text for _, text, _ in docs)
    dt = time.perf_counter() - t0
    res = score(docs, preds)
    paras = sum(len([ln for ln in t.split("\n") if ln.strip()]) for _, t, _ in docs)
    words = sum(len(t.split()) for _, t, _ in docs)
    res["speed"] = {
        "seconds": dt,
        "pages_per_s": len(docs) / dt,
        "paragraphs_per_s": paras / dt,
        "words_per_s": words / dt,
        "words_per_paragraph": words / paras,
        "100_word_paragraphs_per_s": words / dt / 100,
    }
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print(
        f"{args.split}: {res['documents']} articles, {res['gold']} gold, "
        f"{res['predicted']} predicted"
    )
    print(f"{'match':<8}{'P':>8}{'R':>8}{'F1':>8}")
    for m in ("exact", "dice"):
        r = res[m]
        print(f"{m:<8}{r['precision']:8.3f}{r['recall']:8.3f}{r['f1']:8.3f}")
    print(f"speaker-mention accuracy {res['speaker_accuracy']:.3f} (n={res['speaker_n']})")
    print(f"{'type':<10}{'gold':>6}{'recall':>8}{'spk acc':>9}{'spk n':>7}")
    for k, v in res["by_kind"].items():
        print(
            f"{k:<10}{v['gold']:6d}{v['recall']:8.3f}{v['speaker_accuracy']:9.3f}"
            f"{v['speaker_n']:7d}"
        )
    s = res["speed"]
    print(
        f"speed: {s['pages_per_s']:.1f} pages/s, {s['paragraphs_per_s']:.1f} paragraphs/s "
        f"({s['words_per_paragraph']:.0f} words each), {s['words_per_s']:.0f} words/s = "
        f"{s['100_word_paragraphs_per_s']:.0f} 100-word paragraphs/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
