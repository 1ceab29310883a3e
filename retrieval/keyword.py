"""BM25 keyword index over paragraphs (bm25s), keyed by paragraph id.

Tokenisation is our own (lowercase words, English stopwords, a light suffix stemmer) rather
than bm25s' default, because PyStemmer is not a dependency and plural/-ing/-ed folding measured
better than no stemming on news questions (see bench/retrieval_eval.py).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
STOPWORDS = frozenset(STOPWORDS_EN) | {"s", "t", "said", "says", "say", "would", "could"}
_VOWEL = re.compile(r"[aeiouy]")
FORMAT_VERSION = 1
META_FILE = "keyword.json"
BM25_K1, BM25_B = 0.9, 0.4  # the Milvus backend's BM25 index uses the same
ROWS_MEMO_MAX = 16  # read-only id arrays (scopes) whose rows are remembered


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Light English stemmer (Porter step 1 style): folds plurals, -ed, -ing, -ly.

    Deliberately conservative: it never touches words shorter than 4 letters and keeps a vowel
    in the stem, so names ("Jones", "Paris") mostly survive and "ships" still meets "ship".
    """
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suf in ("ingly", "edly", "ing", "ed", "ly"):
        if w.endswith(suf) and len(w) - len(suf) >= 3 and _VOWEL.search(w[: -len(suf)]):
            w = w[: -len(suf)]
            # undo doubling ("stopped" -> "stopp" -> "stop"), keep "ll"/"ss"/"zz"
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]
            break
    if w.endswith("e") and len(w) > 4:
        # "scores"/"scored"/"score" -> "scor": drop silent e so it meets the -ed/-ing forms
        w = w[:-1]
    return w


def tokenize(text: str, stemming: bool = True) -> list[str]:
    toks = [t.replace("’", "'") for t in _WORD.findall(text.lower())]
    toks = [t.split("'")[0] for t in toks]  # "emanuel's" -> "emanuel"
    out = [t for t in toks if t and t not in STOPWORDS]
    return [stem(t) for t in out] if stemming else out


class KeywordIndex:
    """bm25s index whose rows are mapped to caller-chosen integer ids (paragraph ids)."""

    def __init__(self, k1: float = BM25_K1, b: float = BM25_B, stemming: bool = True) -> None:
        self.k1, self.b, self.stemming = k1, b, stemming
        self.ids = np.zeros(0, dtype=np.int64)
        self._bm25: bm25s.BM25 | None = None
        self._row_of: dict[int, int] = {}
        self._sorted = True
        self._rows_memo: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # see rows_of
        self._memo_lock = threading.Lock()

    # -- building -------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        ids: Sequence[int] | np.ndarray,
        texts: Iterable[str],
        k1: float = BM25_K1,
        b: float = BM25_B,
        stemming: bool = True,
    ) -> KeywordIndex:
        idx = cls(k1=k1, b=b, stemming=stemming)
        corpus = [tokenize(t, stemming) or [""] for t in texts]
        idx.ids = np.asarray(ids, dtype=np.int64)
        if len(corpus) != len(idx.ids):
            raise ValueError("ids and texts differ in length")
        if len(corpus):
            bm = bm25s.BM25(k1=k1, b=b)
            bm.index(corpus, show_progress=False)
            idx._bm25 = bm
        idx._index_rows()
        return idx

    def _index_rows(self) -> None:
        self._sorted = bool(np.all(self.ids[1:] > self.ids[:-1]))
        # the dict is only the fallback for ids not in ascending order
        self._row_of = {} if self._sorted else {int(i): r for r, i in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    # -- querying -------------------------------------------------------------------------
    def tokens(self, text: str) -> list[str]:
        return tokenize(text, self.stemming)

    def all_scores(self, text: str) -> np.ndarray:
        """BM25 score of every row (aligned with `self.ids`); cheap: sparse sum over query terms."""
        toks = self.tokens(text)
        if self._bm25 is None or not toks:
            return np.zeros(len(self.ids), dtype=np.float32)
        tids = self._bm25.get_tokens_ids(toks)
        if not tids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(tids), dtype=np.float32)

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """Inverse document frequency of each token, log((N + 1) / (df + 1)); a word no
        paragraph has gets the highest value a word can have."""
        n = len(self.ids)
        df = np.zeros(len(tokens), dtype=np.float64)
        if self._bm25 is not None:
            vocab, indptr = self._bm25.vocab_dict, self._bm25.scores["indptr"]
            for i, tok in enumerate(tokens):
                t = vocab.get(tok)
                if t is not None:
                    df[i] = indptr[t + 1] - indptr[t]
        return np.log((n + 1) / (df + 1))

    def contains(self, tokens: Sequence[str], ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Boolean matrix (len(ids), len(tokens)): does the paragraph hold the token?"""
        rows = self.rows_of(ids)
        out = np.zeros((len(rows), len(tokens)), dtype=bool)
        if self._bm25 is None:
            return out
        vocab, sc = self._bm25.vocab_dict, self._bm25.scores
        for j, tok in enumerate(tokens):
            t = vocab.get(tok)
            if t is not None:
                have = sc["indices"][sc["indptr"][t] : sc["indptr"][t + 1]]
                out[:, j] = np.isin(rows, have) & (rows >= 0)
        return out

    def query(
        self, text: str, k: int = 10, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids, scores), best first; zero-score rows are dropped.

        `allowed` is an optional array of ids to restrict to (e.g. one speaker's paragraphs).
        """
        return self.top(self.all_scores(text), k, allowed)

    def top(
        self, scores: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """`query` over scores already computed by `all_scores` (hybrid search scores once)."""
        if allowed is not None:
            rows = self.rows_of(allowed)
            kept = np.zeros(len(scores), dtype=scores.dtype)
            rows = rows[rows >= 0]
            kept[rows] = scores[rows]
            scores = kept
        return self._topk(scores, k)

    def scores_for(self, text: str, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """BM25 scores of the given ids (0 for unknown ids), for re-scoring dense candidates."""
        return self.scores_at(self.all_scores(text), ids)

    def scores_at(self, scores: np.ndarray, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """`scores_for` over scores already computed by `all_scores`."""
        rows = self.rows_of(ids)
        out = np.zeros(len(rows), dtype=np.float32)
        ok = rows >= 0
        out[ok] = scores[rows[ok]]
        return out

    def rows_of(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Row of each id (-1 when unknown). Ids come from SQLite in ascending order, so a
        binary search over the array does it without a Python loop over a speaker's
        thousands of paragraphs.

        The rows of a read-only array (a scope's allowed ids, which the Searcher caches and
        passes again with every question) are remembered: a server's search would otherwise
        look up its ~50k ids three times per question (bench/perf.py --scopes-only)."""
        if not isinstance(ids, np.ndarray) or ids.flags.writeable:
            return self._rows_of(ids)
        with self._memo_lock:
            memo = self._rows_memo.get(id(ids))
        if memo is not None and memo[0] is ids:
            return memo[1]
        rows = self._rows_of(ids)
        rows.flags.writeable = False
        with self._memo_lock:
            if len(self._rows_memo) >= ROWS_MEMO_MAX:
                self._rows_memo.pop(next(iter(self._rows_memo)))
            self._rows_memo[id(ids)] = (ids, rows)  # holding `ids` keeps its id unique
        return rows

    def _rows_of(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(self.ids) == 0 or len(ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        if self._sorted:
            rows = np.searchsorted(self.ids, ids)
            rows[rows >= len(self.ids)] = 0
            return np.where(self.ids[rows] == ids, rows, -1)
        return np.array([self._row_of.get(int(i), -1) for i in ids], dtype=np.int64)

    def _topk(self, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(scores))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        part = np.argpartition(-scores, k - 1)[:k]
        part = part[np.argsort(-scores[part], kind="stable")]
        part = part[scores[part] > 0]
        return self.ids[part], scores[part].astype(np.float32)

    # -- persistence ----------------------------------------------------------------------
    def save(self, folder: str | Path, extra: dict | None = None) -> None:
        """Write to a temp folder beside `folder`, then swap it in, so readers never see half."""
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
        try:
            meta = {
                "version": FORMAT_VERSION,
                "k1": self.k1,
                "b": self.b,
                "stemming": self.stemming,
                "n": len(self.ids),
                **(extra or {}),
            }
            (tmp / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
            np.save(tmp / "ids.npy", self.ids)
            if self._bm25 is not None:
                self._bm25.save(tmp / "bm25", show_progress=False)
            old = folder.with_name(folder.name + ".old")
            if folder.exists():
                if old.exists():
                    shutil.rmtree(old)
                os.replace(folder, old)
            os.replace(tmp, folder)
            if old.exists():
                shutil.rmtree(old)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, folder: str | Path, mmap: bool = False) -> KeywordIndex:
        folder = Path(folder)
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        idx = cls(k1=meta["k1"], b=meta["b"], stemming=meta["stemming"])
        idx.ids = np.load(folder / "ids.npy")
        if (folder / "bm25").exists():
            idx._bm25 = bm25s.BM25.load(folder / "bm25", mmap=mmap)
        idx._index_rows()
        return idx

    @classmethod
    def open(
        cls,
        folder: str | Path,
        generation: int,
        source: Callable[[], tuple[Sequence[int], Iterable[str]]],
    ) -> KeywordIndex:
        """The index saved in `folder` when it was built at the database's `generation`;
        otherwise one built from `source()` (paragraph ids and texts) and saved there for the
        next process. An index folder that cannot be written still answers."""
        folder = Path(folder)
        saved = cls._load_generation(folder, generation)
        if saved is not None:
            return saved
        ids, texts = source()
        built = cls.build(ids, texts)
        try:
            built.save(folder, extra={"generation": generation})
        except OSError as exc:  # a read-only index folder
            log.warning("cannot save keyword index: %s", exc)
        return built

    @classmethod
    def _load_generation(cls, folder: Path, generation: int) -> KeywordIndex | None:
        """The saved index if it records `generation` and reads back whole, else None."""
        meta = folder / META_FILE
        if not meta.exists():
            return None
        try:
            if json.loads(meta.read_text()).get("generation") == generation:
                return cls.load(folder)
        except (OSError, ValueError, KeyError):
            pass
        return None
