"""Collapse near-duplicate passages (the same wire story in two outlets, a re-ingested edit).

Two passages are duplicates when their embeddings are almost identical (cosine >= 0.95) and
their texts agree character by character (rapidfuzz ratio >= 80); requiring both keeps two
different paragraphs on one topic apart, which MiniLM alone can put above 0.9.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz

COSINE = 0.95
TEXT_RATIO = 80.0


def collapse(
    vectors: np.ndarray,
    texts: Sequence[str],
    cosine: float = COSINE,
    text_ratio: float = TEXT_RATIO,
) -> list[int]:
    """Positions to keep, in input order (best first): the first of each duplicate group."""
    n = len(texts)
    if n <= 1:
        return list(range(n))
    v = np.asarray(vectors, dtype=np.float32)
    sims = v @ v.T
    kept: list[int] = []
    for i in range(n):
        dup = False
        for j in kept:
            if sims[i, j] >= cosine and fuzz.ratio(texts[i], texts[j]) >= text_ratio:
                dup = True
                break
        if not dup:
            kept.append(i)
    return kept
