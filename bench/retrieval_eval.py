"""Retrieval quality: BM25, dense, naive RRF and the shipped hybrid, side by side.

    python bench/retrieval_eval.py --realtimeqa ../shared/data/realtimeqa-dev \
        --xquad ../shared/data/xquad-en/xquad.en.json [--tune] [--vector-backend milvus]

A component benchmark, for diagnosis: every method runs through `retrieval.search.retrieve`,
the function the Searcher uses, with only the FusionParams changed, and no speaker handling,
no-answer refusal or answer line. What a user gets is measured by bench/qa_eval.py, which
also calibrates the no-answer decision. Embeddings are cached under $ATTRIBOT_BENCH_CACHE (default
/tmp/attribot-bench), keyed by model and text hashes, so a rerun takes seconds.

--vector-backend milvus adds the same rows searched through the Milvus backend (a Milvus Lite
collection made by the product's code from the same vectors and passages), so both search
backends' Recall@5 come from one run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.evaldata import (  # noqa: E402
    EvalSet,
    Query,
    cached_encode,
    load_paragraphs,
    load_realtimeqa,
    load_xquad,
)
from retrieval.backend import SearchBackend  # noqa: E402
from retrieval.embedder import Embedder  # noqa: E402
from retrieval.faiss_backend import FaissBackend  # noqa: E402
from retrieval.fusion import NAIVE_RRF, SHIPPED, FusionParams  # noqa: E402
from retrieval.keyword import KeywordIndex  # noqa: E402
from retrieval.scope import DEFAULT_COLLECTION  # noqa: E402
from retrieval.search import retrieve  # noqa: E402
from retrieval.vectors import VectorIndex  # noqa: E402

DENSE = FusionParams(method="dense")
BM25 = FusionParams(method="keyword")
TUNE_GROUPS = {"2020", "2021"}
REPORT_GROUP = "2022"


class Prepared:
    def __init__(
        self,
        es: EvalSet,
        embedder: Embedder,
        distractors: list[str] | None = None,
        base: Prepared | None = None,
        vector_backend: str = "faiss",
    ):
        """`distractors`: passages appended to the corpus that answer none of the questions
        (gold indices are unchanged, as they come first). `base`: the same set already
        prepared with `embedder`, whose vectors are reused rather than looked up again."""
        t = time.perf_counter()
        key = embedder.name
        if embedder.backend != "torch":  # a new recipe must not reuse old vectors
            key = f"{key}|{embedder.backend}|{embedder.recipe}"
        if base is not None:
            self.cvec, self.qvec = base.cvec, base.qvec
        else:
            self.cvec = cached_encode(es.corpus, embedder.encode, key)
            self.qvec = cached_encode([q.text for q in es.queries], embedder.encode, key)
        if distractors:
            known = set(es.corpus)
            extra = [d for d in dict.fromkeys(distractors) if d not in known]
            es = EvalSet(f"{es.name}+distractors", es.corpus + extra, es.queries)
            self.cvec = np.vstack([self.cvec, cached_encode(extra, embedder.encode, key)])
        self.es = es
        ids = np.arange(len(es.corpus), dtype=np.int64)
        self.backend: SearchBackend
        if vector_backend == "milvus":
            self.backend = milvus_backend(ids, self.cvec, es.corpus, embedder.name)
        else:
            vectors = VectorIndex.build(ids, self.cvec, self.cvec.shape[1])
            self.backend = FaissBackend(vectors, KeywordIndex.build(ids, es.corpus))
        self.seconds = time.perf_counter() - t

    def ranks(self, params: FusionParams, queries: list[int], k: int = 10) -> np.ndarray:
        """0-based rank of the gold passage per query (k when not in the top k)."""
        out = np.full(len(queries), k, dtype=np.int64)
        for row, qi in enumerate(queries):
            q: Query = self.es.queries[qi]
            if params.method == "keyword":  # plain BM25, no dense tie-breaking
                ids, _ = self.backend.keyword(self.backend.keyword_query(q.text), k)
            else:
                ids, _, _ = retrieve(self.qvec[qi], q.text, self.backend, k, params)
            hit = np.where(ids == q.gold)[0]
            if len(hit):
                out[row] = hit[0]
        return out


def milvus_backend(ids: np.ndarray, vectors: np.ndarray, texts: list[str], model: str):
    """A Milvus Lite collection holding the passages, made and filled by the product's code
    (retrieval/milvus_backend.py), flushed as a writer leaves it."""
    from retrieval.milvus_backend import MilvusBackend, connect, create_collection

    uri = str(Path(tempfile.mkdtemp(prefix="attribot-eval-")) / "milvus.db")
    client = connect(uri, None)
    create_collection(client, "eval", vectors.shape[1], True, model)
    backend = MilvusBackend(client, "eval", vectors.shape[1], True)
    backend.add(ids, vectors, texts, [DEFAULT_COLLECTION] * len(ids))
    client.flush("eval")
    return backend


BACKEND_METHODS = ("BM25 (k1 0.9, b 0.4)", "dense MiniLM", "shipped hybrid")


def backend_rows(
    backend: str, embedder: Embedder, rq: Prepared, extra: list[str] | None, rows: list
) -> None:
    """The RealTimeQA rows of BACKEND_METHODS again, searched through `backend`, with the
    backend - FAISS Recall@5 difference of the shipped hybrid printed for each set."""
    allq = list(range(len(rq.es.queries)))
    held = np.array([q.group == REPORT_GROUP for q in rq.es.queries])
    sets = [("realtimeqa all", Prepared(rq.es, embedder, base=rq, vector_backend=backend))]
    if extra:
        rd = Prepared(rq.es, embedder, extra, base=rq, vector_backend=backend)
        sets.append((f"realtimeqa all + {len(rd.es.corpus) - len(rq.es.corpus)} distractors", rd))
    by = {(r[0], r[1]): r[3] for r in rows}
    for set_name, prepared in sets:
        for label, params in METHODS:
            if label not in BACKEND_METHODS:
                continue
            ranks = prepared.ranks(params, allq)
            scored = [(set_name, ranks)]
            if set_name == "realtimeqa all":
                scored.append(("realtimeqa 2022 (held out)", ranks[held]))
            for name, r in scored:
                m = metrics(r)
                rows.append((name, f"{label} · {backend}", len(r), m))
                if label == "shipped hybrid":
                    d = m["R@5"] - by[(name, label)]["R@5"]
                    print(f"{name}: shipped hybrid R@5 {backend} - faiss = {d:+.3f}", flush=True)


def metrics(ranks: np.ndarray) -> dict[str, float]:
    if len(ranks) == 0:  # a split with no questions (e.g. a set without 2022)
        return dict.fromkeys(("R@1", "R@5", "R@10", "MRR@10"), float("nan"))
    return {
        "R@1": float((ranks < 1).mean()),
        "R@5": float((ranks < 5).mean()),
        "R@10": float((ranks < 10).mean()),
        "MRR@10": float(np.where(ranks < 10, 1.0 / (ranks + 1), 0.0).mean()),
    }


NO_HUBNESS = replace(SHIPPED, hub_weight=0.0)

METHODS = [
    ("BM25 (k1 0.9, b 0.4)", BM25),
    ("dense MiniLM", DENSE),
    ("naive RRF k=60", NAIVE_RRF),
    ("hybrid, no hubness correction", NO_HUBNESS),
    ("shipped hybrid", SHIPPED),
]


def table(rows: list[tuple[str, str, int, dict[str, float]]]) -> str:
    lines = [
        "| set | method | queries | R@1 | R@5 | R@10 | MRR@10 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for set_name, method, n, m in rows:
        lines.append(
            f"| {set_name} | {method} | {n} | {m['R@1']:.3f} | {m['R@5']:.3f} | "
            f"{m['R@10']:.3f} | {m['MRR@10']:.3f} |"
        )
    return "\n".join(lines)


def tune(p: Prepared) -> None:
    """Grid over fusion settings on the tuning years only; the 2022 column is for reading."""
    tune_q = [i for i, q in enumerate(p.es.queries) if q.group in TUNE_GROUPS]
    test_q = [i for i, q in enumerate(p.es.queries) if q.group == REPORT_GROUP]
    print(
        "\n| method | w dense | pool | hub weight | hub k | tune R@5 | tune MRR | "
        "2022 R@5 | 2022 MRR |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    grid = [
        FusionParams(method=m, dense_weight=w, pool=pool, hub_weight=0.0)
        for m in ("zscore", "minmax")
        for w in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
        for pool in (20, 50)
    ]
    grid += [
        FusionParams(method="zscore", dense_weight=w, hub_weight=h, hub_k=k)
        for w in (0.75, 0.8, 0.85)
        for h in (0.3, 0.5, 0.7, 1.0)
        for k in (5, 10, 20)
    ]
    grid += [
        FusionParams(method="rrf", dense_weight=w, rrf_k=k, pool=50, hub_weight=0.0)
        for w in (0.5, 0.7)
        for k in (10, 60)
    ]
    for params in grid:
        a, b = metrics(p.ranks(params, tune_q)), metrics(p.ranks(params, test_q))
        label = params.method + (f" k={params.rrf_k:g}" if params.method == "rrf" else "")
        print(
            f"| {label} | {params.dense_weight} | {params.pool} | {params.hub_weight} | "
            f"{params.hub_k} | {a['R@5']:.3f} | {a['MRR@10']:.3f} | {b['R@5']:.3f} | "
            f"{b['MRR@10']:.3f} |",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--realtimeqa", type=Path, help="folder of RealTimeQA *.jsonl (by year)")
    ap.add_argument("--xquad", type=Path, help="xquad.en.json")
    ap.add_argument(
        "--distractors",
        type=Path,
        help="folder of *.txt articles whose paragraphs join the RealTimeQA corpus as passages "
        "that answer nothing (e.g. ../shared/data/polnear/dev/text): multi-paragraph articles, "
        "unlike RealTimeQA's one passage per question",
    )
    ap.add_argument("--tune", action="store_true", help="print the fusion grid (2020+2021)")
    ap.add_argument("--model", default=None, help="embedding model (default: bundled MiniLM)")
    ap.add_argument(
        "--vector-backend",
        choices=("faiss", "milvus"),
        default="faiss",
        help="also score every method through this search backend (milvus: Milvus Lite)",
    )
    ap.add_argument(
        "--backend",
        default="torch",
        choices=("torch", "int8", "onnx", "onnx-int8"),
        help="embedding backend",
    )
    args = ap.parse_args(argv)
    if not args.realtimeqa and not args.xquad:
        ap.error("give --realtimeqa and/or --xquad")
    embedder = Embedder(args.model, backend=args.backend)
    print(f"embedding backend: {args.backend}")
    rows = []
    rq = xq = None
    if args.realtimeqa:
        if not args.realtimeqa.exists():
            print(f"skipping RealTimeQA: {args.realtimeqa} not found")
        else:
            rq = Prepared(load_realtimeqa(args.realtimeqa), embedder)
            allq = list(range(len(rq.es.queries)))
            q22 = [i for i, q in enumerate(rq.es.queries) if q.group == REPORT_GROUP]
            qt = [i for i, q in enumerate(rq.es.queries) if q.group in TUNE_GROUPS]
            for label, params in METHODS:
                for set_name, qs in (
                    ("realtimeqa all", allq),
                    ("realtimeqa 2020+21 (tune)", qt),
                    ("realtimeqa 2022 (held out)", q22),
                ):
                    rows.append((set_name, label, len(qs), metrics(rq.ranks(params, qs))))
            print(
                f"RealTimeQA: {len(rq.es.corpus)} passages, {len(rq.es.queries)} questions "
                f"(prepared in {rq.seconds:.1f}s)"
            )
            extra = load_paragraphs(args.distractors) if args.distractors else None
            if extra:
                rd = Prepared(rq.es, embedder, extra, base=rq)
                name = f"realtimeqa all + {len(rd.es.corpus) - len(rq.es.corpus)} distractors"
                for label, params in METHODS:
                    rows.append((name, label, len(allq), metrics(rd.ranks(params, allq))))
            if args.vector_backend != "faiss":
                backend_rows(args.vector_backend, embedder, rq, extra, rows)
    if args.xquad:
        if not args.xquad.exists():
            print(f"skipping XQuAD: {args.xquad} not found")
        else:
            xq = Prepared(load_xquad(args.xquad), embedder)
            allq = list(range(len(xq.es.queries)))
            for label, params in METHODS:
                rows.append(("xquad-en", label, len(allq), metrics(xq.ranks(params, allq))))
    rows.sort(key=lambda r: r[0])
    print(f"\nshipped fusion: {SHIPPED}\n")
    print(table(rows))
    if rq is not None:
        by = {(r[0], r[1]): r[3] for r in rows}
        for s in ("realtimeqa all", "realtimeqa 2022 (held out)"):
            d = by[(s, "shipped hybrid")]["R@5"] - by[(s, "dense MiniLM")]["R@5"]
            print(f"{s}: shipped - dense R@5 = {d:+.3f}")
        if args.tune:
            tune(rq)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["main", "metrics", "Prepared", "replace"]
