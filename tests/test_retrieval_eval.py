"""bench/retrieval_eval.py on a tiny RealTimeQA-format set of our own: real model, FAISS, bm25s."""

from __future__ import annotations

import json

import numpy as np

from bench.evaldata import load_paragraphs, load_realtimeqa
from bench.retrieval_eval import DENSE, Prepared, main, metrics
from retrieval.embedder import Embedder

PAIRS = [
    (
        "Which port will repair visiting navy ships from next spring?",
        "From next spring the port of Kestrel will repair visiting navy ships in its dry dock.",
    ),
    (
        "What did the council decide about the library's opening hours?",
        "The council voted to open the library on Sundays, starting in May.",
    ),
    (
        "How much will the harbour bridge repairs cost?",
        "The harbour bridge repairs will cost 48 million dollars, mostly paid by a grant.",
    ),
    (
        "Which vaccine did the regulator approve this week?",
        "The regulator approved a nasal flu vaccine for children on Thursday.",
    ),
]


def write_set(root):
    (root / "2021").mkdir(parents=True)
    lines = [json.dumps({"question_sentence": q, "evidence": f"<p>{e}</p>"}) for q, e in PAIRS]
    lines.append(json.dumps({"question_sentence": "No evidence here?", "evidence": ""}))
    (root / "2021" / "20210101_qa.jsonl").write_text("\n".join(lines), encoding="utf-8")
    news = root / "distractors"
    news.mkdir()
    (news / "a.txt").write_text(
        "Farmers protested fertiliser prices outside parliament on Monday morning.\n\n"
        "short line\n"
        "The central bank raised interest rates by half a point to cool inflation.\n",
        encoding="utf-8",
    )
    return news


def test_eval_set_distractors_and_metrics(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ATTRIBOT_BENCH_CACHE", str(tmp_path / "cache"))
    news = write_set(tmp_path)
    es = load_realtimeqa(tmp_path)
    assert len(es.queries) == 4 and es.corpus[0].startswith("From next spring")  # tags gone
    extra = load_paragraphs(news)
    assert len(extra) == 2  # the short line is not a paragraph
    p = Prepared(es, Embedder(), extra)
    assert len(p.es.corpus) == 6 and p.cvec.shape == (6, 384)
    ranks = p.ranks(DENSE, list(range(4)))
    assert metrics(ranks)["R@1"] == 1.0  # each question finds its own evidence first
    assert main(["--realtimeqa", str(tmp_path), "--distractors", str(news)]) == 0
    out = capsys.readouterr().out
    assert "| realtimeqa all + 2 distractors | shipped hybrid | 4 |" in out
    assert "shipped - dense R@5" in out
    assert np.isclose(metrics(np.array([0, 4, 10]))["MRR@10"], (1 + 1 / 5) / 3)
