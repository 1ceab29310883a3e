"""Paired attribution throughput: this tree's engine against another tree's, same texts.

    .venv/bin/python bench/attribution_speed.py ../shared/data/polnear/dev --baseline DIR
        [--rounds 5]

DIR holds the baseline's `corpus` package (for example `git archive main corpus | tar -x -C
/tmp/base`). Each round runs both engines, in fresh subprocesses and in alternating order,
over the same texts (model load excluded), so machine load hits both alike; the ratio of the
two medians is the figure to quote, with both paragraphs/s rates beside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run inside a subprocess whose sys.path starts with the tree under test.
_CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from corpus.attribution import Attributor
texts = [p.read_text(encoding="utf-8") for p in sorted(Path(sys.argv[2]).glob("*.txt"))]
att = Attributor()
att.extract("Warm-up, he said.")
t0 = time.perf_counter()
att.extract_many(texts)
dt = time.perf_counter() - t0
paras = sum(len([ln for ln in t.split("\\n") if ln.strip()]) for t in texts)
print(paras / dt)
"""


def rate(tree: Path, texts: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tree), str(texts)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("split", type=Path, help="a folder of .txt files, or a split with text/")
    ap.add_argument("--baseline", type=Path, required=True, help="tree with the old corpus/")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    texts = args.split / "text" if (args.split / "text").is_dir() else args.split
    if not (args.baseline / "corpus").is_dir():
        print(f"error: no corpus/ package under {args.baseline}", file=sys.stderr)
        return 2
    new: list[float] = []
    old: list[float] = []
    for i in range(args.rounds):
        order = [(ROOT, new), (args.baseline, old)]
        for tree, out in order if i % 2 == 0 else order[::-1]:
            out.append(rate(tree, texts))
        print(f"round {i + 1}: this tree {new[-1]:.0f}, baseline {old[-1]:.0f} paragraphs/s")
    res = {
        "this_tree_paragraphs_per_s": statistics.median(new),
        "baseline_paragraphs_per_s": statistics.median(old),
        "ratio": statistics.median(new) / statistics.median(old),
        "rounds": args.rounds,
    }
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(
            f"median: this tree {res['this_tree_paragraphs_per_s']:.0f}, baseline "
            f"{res['baseline_paragraphs_per_s']:.0f} paragraphs/s: ratio {res['ratio']:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
