"""Fusing dense (MiniLM cosine) and keyword (BM25) scores into one ranking.

Shipped method, chosen by bench/retrieval_eval.py (tuned on RealTimeQA 2020+2021, checked on
2022): a convex combination of per-query z-scores over the union of each retriever's top-50,
0.8 dense + 0.2 BM25, where every candidate gets its exact score from both retrievers, and
the dense score is first corrected for hubness within the candidate set.

Hubness: some passages sit close to many others (generic topic summaries, boilerplate) and
so come near the top for every question on their topic without answering any. CSLS
(Conneau et al., 2018) corrects a cosine by the item's mean similarity to its k nearest
neighbours; we compute that mean over the question's own candidates (k=10 of ~100), which
costs one 100x100 product per question and nothing at ingest. cos - 0.5 * hubness is CSLS
with its published k=10; a grid over k 5-20 and weight 0.3-0.7 is a plateau on the tuning
years (R@5 +0.006..0.017) and it adds +0.008 R@5 on the held-out year (bench output).

Why not plain RRF: ranks throw away how much better the top dense hit is; on news questions RRF
(k=60) scores below dense alone. Min-max and z-score normalisation tie within noise; z-score is
kept because a single outlier BM25 score (a rare name) does not squash every other candidate.
Query-dependent weights (by capitalised words, by dense score gap) and an idf-calibrated BM25
term measured no better, so the simple fixed weight ships.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class FusionParams:
    method: str = "zscore"  # zscore | minmax | rrf | dense | keyword
    dense_weight: float = 0.8
    pool: int = 50  # candidates taken from each retriever before fusing
    rrf_k: float = 60.0
    hub_weight: float = 0.5  # dense score minus this times the candidate's hubness (0 = off)
    hub_k: int = 10  # neighbours among the candidates that hubness averages over


SHIPPED = FusionParams()
NAIVE_RRF = FusionParams(method="rrf", dense_weight=0.5, rrf_k=60.0, hub_weight=0.0)


def _ranks(scores: np.ndarray) -> np.ndarray:
    r = np.empty(len(scores), dtype=np.float64)
    r[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    return r


def _z(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 1e-9 else np.zeros_like(x)


def _minmax(x: np.ndarray) -> np.ndarray:
    span = float(x.max() - x.min()) if len(x) else 0.0
    return (x - x.min()) / span if span > 1e-9 else np.zeros_like(x)


def hubness(vectors: np.ndarray, k: int) -> np.ndarray:
    """Each candidate's mean cosine to its k most similar other candidates (0 when alone).

    `vectors` are the candidates' normalised vectors, one row each."""
    n = len(vectors)
    k = min(k, n - 1)
    if k <= 0:
        return np.zeros(n)
    v = np.asarray(vectors, dtype=np.float32)
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    top = -np.partition(-sims, k - 1, axis=1)[:, :k]
    return top.mean(axis=1).astype(np.float64)


def uses_hubness(params: FusionParams) -> bool:
    return params.hub_weight > 0 and params.method in ("zscore", "minmax")


def fuse_scores(
    dense: np.ndarray,
    keyword: np.ndarray,
    params: FusionParams = SHIPPED,
    hub: np.ndarray | None = None,
) -> np.ndarray:
    """Fused score per candidate; inputs are aligned arrays of each retriever's raw score and,
    for the score-based methods, each candidate's `hubness` (None: no correction)."""
    dense = np.asarray(dense, dtype=np.float64)
    keyword = np.asarray(keyword, dtype=np.float64)
    w = params.dense_weight
    if len(dense) == 0:
        return dense
    if params.method == "dense":
        return dense
    if hub is not None and uses_hubness(params):
        dense = dense - params.hub_weight * np.asarray(hub, dtype=np.float64)
    if params.method == "keyword":
        return keyword
    if params.method == "rrf":
        return w / (params.rrf_k + 1 + _ranks(dense)) + (1 - w) / (
            params.rrf_k + 1 + _ranks(keyword)
        )
    if params.method == "minmax":
        return w * _minmax(dense) + (1 - w) * _minmax(keyword)
    if params.method == "zscore":
        return w * _z(dense) + (1 - w) * _z(keyword)
    raise ValueError(f"unknown fusion method {params.method!r}")


def rank(
    ids: np.ndarray,
    dense: np.ndarray,
    keyword: np.ndarray,
    params: FusionParams = SHIPPED,
    hub: np.ndarray | None = None,
    bonus: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, fused scores) best first; ties keep the dense order given by the caller.
    `bonus` (per candidate) is added to the fused score: evidence beyond the two retrievers."""
    fused = fuse_scores(dense, keyword, params, hub)
    if bonus is not None:
        fused = fused + bonus
    order = np.lexsort((-np.asarray(dense), -fused))
    return np.asarray(ids)[order], fused[order]
