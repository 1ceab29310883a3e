"""Which words head PolNeAR cues on a split, and how often each word is a cue where it occurs.

    .venv/bin/python bench/cue_stats.py ../shared/data/polnear/train [--min 8]

Prints word, times inside a gold cue, times in the text, ratio, and whether the engine's
prefilter knows the word. A guide for the lexicon; it prints counts, not corpus text.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus.attribution.lexicon import CUE_FORMS, PREFILTER_FORMS  # noqa: E402

WORD = re.compile(r"[A-Za-z’']+")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("split", type=Path)
    ap.add_argument("--min", type=int, default=8)
    ap.add_argument("--ratio", type=float, default=0.2)
    args = ap.parse_args(argv)
    in_cue: Counter = Counter()
    total: Counter = Counter()
    seen = set()
    for ann in sorted((args.split / "attributions").glob("*.ann")):
        name = ann.stem.rsplit("_", 1)[0]
        if name in seen:
            continue
        seen.add(name)
        text = (args.split / "text" / f"{name}.txt").read_text(encoding="utf-8")
        total.update(w.lower() for w in WORD.findall(text))
        for line in ann.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[1].startswith("Cue "):
                in_cue.update({w.lower() for w in WORD.findall(parts[2])})
    rows = [
        (w, c, total[w], c / total[w])
        for w, c in in_cue.items()
        if c >= args.min and total[w] and c / total[w] >= args.ratio
    ]
    rows.sort(key=lambda r: -r[1])
    for w, c, n, r in rows:
        flag = "cue" if w in CUE_FORMS else ("pre" if w in PREFILTER_FORMS else "-")
        print(f"{w:<16}{c:6d}{n:7d}{r:6.2f}  {flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
