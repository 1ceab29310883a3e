"""Loaders for the retrieval benchmark sets and an on-disk embedding cache.

Shared by `bench/retrieval_eval.py` and `bench/perf.py`. Nothing here is used by the product.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_TAG = re.compile(r"<[^>]+>")
_WS = re.compile(r"\s+")


def strip_html(text: str) -> str:
    """Evidence paragraphs carry <a href> links; the words inside the links are kept."""
    return _WS.sub(" ", html.unescape(_TAG.sub("", text))).strip()


@dataclass
class Query:
    text: str
    gold: int  # index into EvalSet.corpus
    group: str = ""  # e.g. the year, for honest tune/report splits


@dataclass
class EvalSet:
    name: str
    corpus: list[str] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)

    def subset(self, groups: set[str]) -> list[Query]:
        return [q for q in self.queries if q.group in groups]


def load_realtimeqa(root: str | Path) -> EvalSet:
    """corpus = every distinct non-empty evidence paragraph; gold = the question's own evidence."""
    root = Path(root)
    files = sorted(root.rglob("*.jsonl")) if root.is_dir() else [root]
    es = EvalSet("realtimeqa")
    pos: dict[str, int] = {}
    for f in files:
        # The folder layout is <root>/<year>/<date>_qa.jsonl; group by year.
        group = f.parent.name if f.parent != root else f.stem[:4]
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            ev = strip_html(rec.get("evidence") or "")
            q = (rec.get("question_sentence") or "").strip()
            if not ev or not q:
                continue
            if ev not in pos:
                pos[ev] = len(es.corpus)
                es.corpus.append(ev)
            es.queries.append(Query(q, pos[ev], group))
    return es


def load_paragraphs(root: str | Path, min_words: int = 8) -> list[str]:
    """Every paragraph (a non-blank line of at least `min_words` words) of the *.txt files
    under `root`, in path order: distractor passages for a retrieval set."""
    root = Path(root)
    if not root.exists():
        raise SystemExit(f"no such folder: {root}")
    files = sorted(root.rglob("*.txt")) if root.is_dir() else [root]
    out = []
    for f in files:
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if len(line.split()) >= min_words:
                out.append(line)
    return out


def load_xquad(path: str | Path) -> EvalSet:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    es = EvalSet("xquad")
    pos: dict[str, int] = {}
    for art in data["data"]:
        for para in art["paragraphs"]:
            ctx = para["context"].strip()
            if ctx not in pos:
                pos[ctx] = len(es.corpus)
                es.corpus.append(ctx)
            for qa in para["qas"]:
                es.queries.append(Query(qa["question"].strip(), pos[ctx], art.get("title", "")))
    return es


def cache_dir() -> Path:
    d = Path(os.environ.get("ATTRIBOT_BENCH_CACHE", Path(tempfile.gettempdir()) / "attribot-bench"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def cached_encode(
    texts: Sequence[str], encode: Callable[[list[str]], np.ndarray], model_key: str
) -> np.ndarray:
    """Embeddings keyed by model + hash of every text, so reruns skip the 40 paragraphs/s model."""
    h = hashlib.sha256(model_key.encode())
    for t in texts:
        h.update(hashlib.sha256(t.encode("utf-8")).digest())
    path = cache_dir() / f"emb-{h.hexdigest()[:24]}.npy"
    if path.exists():
        arr = np.load(path)
        if arr.shape[0] == len(texts):
            return arr
    arr = np.ascontiguousarray(encode(list(texts)), dtype=np.float32)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, arr)
    tmp.replace(path)
    return arr
