"""Speed and scale of retrieval on this machine, with baselines measured in the same run.

    python bench/perf.py [--quick]

The corpus is generated here (no network). Embedding 100k real paragraphs would take 40+ min,
so the 100k and 1M vector sets are SYNTHETIC: a few thousand generated paragraphs are embedded
for real, and the rest are noisy mixtures of two real vectors, re-normalised, paired with a
matching mixture of their texts for BM25. Queries are fresh questions embedded for real.
"""

# ruff: noqa: SIM905
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import faiss  # noqa: E402

from retrieval.embedder import Embedder  # noqa: E402
from retrieval.keyword import KeywordIndex  # noqa: E402
from retrieval.search import retrieve  # noqa: E402
from retrieval.vectors import FLAT_MAX, NPROBE, VectorIndex, build_ivf  # noqa: E402

SUBJ = "minister ambassador union leader professor mayor analyst commissioner spokesperson".split()
NAMES = "Tanaka Emanuel Whitlock Sato Okafor Lindqvist Moreau Alvarez Chen Kowalski".split()
TOPIC = (
    "warships budget tariffs rice farmers vaccine rollout interest rates election turnout "
    "floods wildfire port terminal chip factory pension reform rail strike drought satellite "
    "launch refugee quota housing prices coal plant wind farm teachers pay cyber attack"
).split()
VERB = "said warned argued insisted told reporters claimed admitted predicted".split()
CITY = "Tokyo Osaka Berlin Lagos Lima Warsaw Seoul Nairobi Denver Lyon".split()


def make_paragraphs(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        t1, t2, t3 = rng.choice(TOPIC, 3, replace=False)
        who = f"{rng.choice(SUBJ)} {rng.choice(NAMES)}"
        out.append(
            f"The {who} {rng.choice(VERB)} on {rng.choice(['Monday', 'Friday', 'Tuesday'])} "
            f"that the {t1} plan in {rng.choice(CITY)} would affect {t2} and {t3}. "
            f'"We expect {rng.integers(2, 90)} percent more {t2} by next year," '
            f"the {rng.choice(SUBJ)} said, adding that {t3} talks would resume in "
            f"{rng.choice(CITY)}."
        )
    return out


def make_questions(n: int, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    return [
        f"What did {rng.choice(NAMES)} say about {rng.choice(TOPIC)} in {rng.choice(CITY)} (q{i})?"
        for i in range(n)
    ]


def synth(base_vec: np.ndarray, base_txt: list[str], n: int, seed: int = 2):
    """n vectors: 0.7*a + 0.3*b + noise (renormalised) over real embedded paragraphs a, b."""
    rng = np.random.default_rng(seed)
    m, d = base_vec.shape
    a = rng.integers(0, m, n)
    b = rng.integers(0, m, n)
    out = np.empty((n, d), dtype=np.float32)
    step = 100_000
    for s in range(0, n, step):
        e = min(n, s + step)
        v = 0.7 * base_vec[a[s:e]] + 0.3 * base_vec[b[s:e]]
        v += rng.normal(scale=0.25 / np.sqrt(d), size=v.shape).astype(np.float32)
        out[s:e] = v / np.linalg.norm(v, axis=1, keepdims=True)
    texts = None
    if base_txt is not None:
        texts = [
            base_txt[i][: len(base_txt[i]) // 2] + base_txt[j][len(base_txt[j]) // 2 :]
            for i, j in zip(a.tolist(), b.tolist(), strict=True)
        ]
    return out, texts


def pct(xs: list[float]) -> tuple[float, float]:
    return float(np.percentile(xs, 50) * 1e3), float(np.percentile(xs, 99) * 1e3)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: 2k real, 20k/100k")
    args = ap.parse_args(argv)
    n_real = 600 if args.quick else 3000
    n_mid = 20_000 if args.quick else 100_000
    n_big = 100_000 if args.quick else 1_000_000
    n_q = 100 if args.quick else 300
    rows: list[tuple[str, str, str]] = []
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "?",
    )
    print(f"machine: {os.cpu_count()} cores, {cpu}; faiss {faiss.__version__}")
    print(f"load average at start: {os.getloadavg()}")
    print("corpus: SYNTHETIC beyond the real-embedded base (see module docstring)")

    emb = Embedder()
    model = emb.model
    base_txt = make_paragraphs(n_real)
    t = time.perf_counter()
    base_vec = emb.encode(base_txt)
    enc_rate = n_real / (time.perf_counter() - t)
    rows.append(("raw model.encode throughput", f"{enc_rate:.1f} paragraphs/s", "baseline"))

    # -- query embedding ------------------------------------------------------------------
    questions = make_questions(n_q)
    lat = []
    for q in questions:
        s = time.perf_counter()
        model.encode([q], normalize_embeddings=True)
        lat.append(time.perf_counter() - s)
    p50_raw, p99_raw = pct(lat)
    lat = []
    for q in questions:
        s = time.perf_counter()
        emb.encode_query(q + " ")  # uncached path
        lat.append(time.perf_counter() - s)
    p50_e, p99_e = pct(lat)
    rows.append(
        (
            "query embedding (Embedder.encode_query, uncached)",
            f"p50 {p50_e:.1f} / p99 {p99_e:.1f} ms",
            f"raw encode p50 {p50_raw:.1f} ms",
        )
    )
    qvec = emb.encode(questions)
    s = time.perf_counter()
    for q in questions:
        emb.encode_query(q + " ")
    rows.append(
        (
            "query embedding, repeated question (LRU)",
            f"{(time.perf_counter() - s) / n_q * 1e3:.3f} ms",
            "",
        )
    )

    # -- mid size: full hybrid search ------------------------------------------------------
    vec_mid, txt_mid = synth(base_vec, base_txt, n_mid)
    ids = np.arange(n_mid, dtype=np.int64)
    t = time.perf_counter()
    vi = VectorIndex.build(ids, vec_mid, vec_mid.shape[1])
    t_vi = time.perf_counter() - t
    t = time.perf_counter()
    kw = KeywordIndex.build(ids, txt_mid)
    t_kw = time.perf_counter() - t
    kind = "IVF" if vi.is_approximate else "flat"
    rows.append(
        (
            f"build at {n_mid:,}: vectors ({kind}) / BM25",
            f"{t_vi:.1f} s / {t_kw:.1f} s",
            f"FLAT_MAX={FLAT_MAX}",
        )
    )
    flat = VectorIndex(vec_mid.shape[1])
    flat.add(ids[: min(n_mid, 2 * FLAT_MAX)], vec_mid[: min(n_mid, 2 * FLAT_MAX)])
    flat_idx = faiss.IndexFlatIP(vec_mid.shape[1])
    flat_idx.add(vec_mid)
    for label, fn in (
        ("exact flat search", lambda q: flat_idx.search(q.reshape(1, -1), 50)),
        (f"{kind} search (shipped)", lambda q: vi.search_arrays(q, 50)),
        ("BM25 top-50", None),
    ):
        lat = []
        for qv, qt in zip(qvec, questions, strict=True):
            s = time.perf_counter()
            if fn is None:
                kw.query(qt, 50)
            else:
                fn(qv)
            lat.append(time.perf_counter() - s)
        p50, p99 = pct(lat)
        rows.append((f"{label} at {n_mid:,}", f"p50 {p50:.1f} / p99 {p99:.1f} ms", ""))
    lat = []
    for q in questions:
        s = time.perf_counter()
        v = emb.encode_query(q + "  ")
        retrieve(v, q, vi, kw, 15)
        lat.append(time.perf_counter() - s)
    p50, p99 = pct(lat)
    rows.append(
        (
            f"hybrid search end to end at {n_mid:,} (embed + dense + BM25 + fuse)",
            f"p50 {p50:.1f} / p99 {p99:.1f} ms",
            "budget 30 / 60 ms",
        )
    )

    # -- cold start in a fresh process ----------------------------------------------------
    with tempfile.TemporaryDirectory() as tmp:
        from retrieval.vectors import VectorFileInfo

        vi.save(Path(tmp), VectorFileInfo(0, vi.ntotal, vi.dim, emb.name))
        kw.save(Path(tmp) / "keyword")
        code = (
            "import time,resource,sys;t=time.perf_counter();"
            f"sys.path.insert(0,{str(Path(__file__).resolve().parents[1])!r});"
            "from pathlib import Path;from retrieval.embedder import Embedder;"
            "from retrieval.vectors import VectorIndex;from retrieval.keyword import KeywordIndex;"
            "from retrieval.search import retrieve;"
            f"p=Path({tmp!r});vi,_=VectorIndex.load(p);kw=KeywordIndex.load(p/'keyword');"
            "e=Embedder();q='What did Tanaka say about tariffs?';"
            "retrieve(e.encode_query(q),q,vi,kw,5);"
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
        rows.append(
            (
                f"cold start to first answer at {n_mid:,} (fresh process)",
                f"{float(out[0]):.1f} s",
                f"peak RSS {float(out[1]):.0f} MB",
            )
        )

    # -- big size: approximate index ------------------------------------------------------
    # free the mid-size structures before the big build (memory is part of the measure)
    vec_mid = txt_mid = kw = vi = flat = flat_idx = None
    vec_big, _ = synth(base_vec, None, n_big, seed=3)
    rss0 = rss_mb()
    t = time.perf_counter()
    ivf = build_ivf(np.arange(n_big), vec_big, vec_big.shape[1])
    t_ivf = time.perf_counter() - t
    exact = faiss.IndexFlatIP(vec_big.shape[1])
    exact.add(vec_big)
    _, truth = exact.search(qvec, 10)
    lat = []
    for qv in qvec:
        s = time.perf_counter()
        exact.search(qv.reshape(1, -1), 10)
        lat.append(time.perf_counter() - s)
    p50x, _ = pct(lat)
    for nprobe in sorted({8, 16, NPROBE, 64}):
        ivf.nprobe = nprobe
        lat, found = [], []
        for qv, tr in zip(qvec, truth, strict=True):
            s = time.perf_counter()
            _, got = ivf.search(qv.reshape(1, -1), 10)
            lat.append(time.perf_counter() - s)
            found.append(len(set(got[0]) & set(tr)) / 10)
        p50, p99 = pct(lat)
        mark = " (shipped)" if nprobe == NPROBE else ""
        rows.append(
            (
                f"IVF{faiss.extract_index_ivf(ivf).nlist} nprobe={nprobe}{mark} at {n_big:,}",
                f"p50 {p50:.1f} / p99 {p99:.1f} ms, recall@10 {np.mean(found):.3f}",
                f"exact p50 {p50x:.1f} ms",
            )
        )
    rows.append(
        (
            f"IVF build at {n_big:,} (train + add)",
            f"{t_ivf:.0f} s",
            f"peak RSS {rss_mb():.0f} MB (before build {rss0:.0f} MB)",
        )
    )

    print(f"load average at the end: {os.getloadavg()} (other jobs on the machine inflate times)")
    print("\n| measure | result | baseline / note |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
