"""bench/qa_eval.py end to end on tiny sets of our own writing: the real ingest, model, FAISS,
bm25s, spaCy and AttribotService.ask, so the benchmark keeps running the shipped path."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bench.qa_eval import main, shipped
from bench.qa_sets import name_key, person_source, same_person
from bot.cli import cli
from bot.service import AttribotService
from tests.conftest import HAVE_MILVUS

RTQA = [
    (
        "Which port will repair visiting navy ships from next spring?",
        "From next spring the port of Kestrel will repair visiting navy ships in its dry dock.",
        ["Kestrel", "Harlow"],
    ),
    (
        "How much will the harbour bridge repairs cost?",
        "The harbour bridge repairs will cost 48 million dollars, mostly paid by a grant.",
        ["48 million dollars", "12 million dollars"],
    ),
]

ARTICLE = (
    "Harbour master Ines Duarte warned on Monday that the dredging had fallen behind.\n"
    '"We cannot promise the autumn berths to anyone yet," Duarte said at the port office.\n'
    "The council will meet again in June to approve the contract.\n"
)
# BRAT standoff over ARTICLE: the quote (Content), its cue and source ("Duarte").
QUOTE = "We cannot promise the autumn berths to anyone yet"


def write_sets(root):
    (root / "rtqa" / "2021").mkdir(parents=True)
    lines = [
        json.dumps({"question_sentence": q, "evidence": e, "choices": c, "answer": ["0"]})
        for q, e, c in RTQA
    ]
    (root / "rtqa" / "2021" / "20210101_qa.jsonl").write_text("\n".join(lines))
    split = root / "polnear" / "dev"
    (split / "text").mkdir(parents=True)
    (split / "attributions").mkdir()
    (split / "text" / "port_1.txt").write_text(ARTICLE)
    c0 = ARTICLE.index(QUOTE) - 1
    c1 = ARTICLE.index(QUOTE) + len(QUOTE) + 2  # through the closing comma and quote mark
    s0 = ARTICLE.index("Duarte said")
    q0 = ARTICLE.index("said at")
    ann = [
        f"T1\tSource {s0} {s0 + 6}\tDuarte",
        f"T2\tCue {q0} {q0 + 4}\tsaid",
        f"T3\tContent {c0} {c1}\t{ARTICLE[c0:c1]}",
        "E1\tAttribution:T2 Content:T3 Cue:T2 Source:T1",
    ]
    (split / "attributions" / "port_1_ann1.ann").write_text("\n".join(ann) + "\n")
    xquad = root / "xquad.json"
    data = {
        "data": [
            {
                "title": "Ctenophora",
                "paragraphs": [
                    {
                        "context": "Ctenophores are marine invertebrates with comb rows.",
                        "qas": [{"id": "1", "question": "What do ctenophores swim with?"}],
                    }
                ],
            }
        ]
    }
    xquad.write_text(json.dumps(data))
    return root / "rtqa", split, xquad


def test_the_benchmark_scores_the_shipped_path_beside_dense_and_bm25(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ATTRIBOT_BENCH_CACHE", str(tmp_path / "cache"))
    rtqa, split, xquad = write_sets(tmp_path)
    out_json = tmp_path / "figures.json"
    args = ["--realtimeqa", str(rtqa), "--polnear", str(split), "--xquad", str(xquad)]
    assert main([*args, "--json", str(out_json)]) == 0
    table = capsys.readouterr().out
    for method in ("shipped", "dense", "bm25", "retrieve()"):
        assert f"general           {method}" in table
    figures = json.loads(out_json.read_text())
    shipped = figures["shipped"]
    assert shipped["general"]["n"] == 2 and shipped["general"]["R@1"] == 1.0
    assert shipped["who"]["n"] == 1 and shipped["who"]["R@1"] == 1.0  # the quote is found
    assert shipped["who"]["speaker"] == 1.0  # and "Ines Duarte" is attached to it
    assert shipped["who"]["line"] == 1.0 and shipped["who"]["line_speaker"] == 1.0
    assert shipped["offtopic"]["n"] == 1


@pytest.mark.skipif(not HAVE_MILVUS, reason="pip install 'attribot[milvus]'")
def test_the_benchmark_asks_the_same_questions_through_milvus_from_the_same_database(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("ATTRIBOT_BENCH_CACHE", str(tmp_path / "cache"))
    rtqa, split, xquad = write_sets(tmp_path)
    out_json = tmp_path / "figures.json"
    args = ["--realtimeqa", str(rtqa), "--polnear", str(split), "--xquad", str(xquad)]
    args += ["--index", str(tmp_path / "index"), "--vector-backend", "milvus"]
    assert main([*args, "--json", str(out_json)]) == 0
    table = capsys.readouterr().out
    assert "general           milvus shipped" in table
    assert "R@5 through milvus vs FAISS" in table
    figures = json.loads(out_json.read_text())
    for method in ("shipped", "dense", "bm25", "retrieve()"):
        faiss_rows, milvus_rows = figures[method], figures[f"milvus {method}"]
        for name in ("general", "who"):
            assert milvus_rows[name]["n"] == faiss_rows[name]["n"] > 0
            assert milvus_rows[name]["R@5"] == faiss_rows[name]["R@5"], (method, name)
    assert figures["milvus shipped"]["who"]["speaker"] == 1.0
    offtopic = figures["milvus shipped"]["offtopic"], figures["shipped"]["offtopic"]
    assert offtopic[0]["unanswered"] == offtopic[1]["unanswered"]  # refused alike
    # the copy is searched with Milvus; the original index stays FAISS
    from retrieval.index import Index

    for folder, kind in (("index", "faiss"), ("index-milvus", "milvus")):
        index = Index(tmp_path / folder)
        assert index.vector_kind == kind
        index.close()


def test_names_match_by_first_and_last_word_and_never_by_surname_alone():
    assert same_person("Donald J. Trump", "Donald Trump")
    assert same_person("Mr. Rahm Emanuel", "Rahm Emanuel")
    assert not same_person("Trump", "Donald Trump")
    assert not same_person(None, "Donald Trump")
    assert name_key("Hillary Rodham Clinton") == ("hillary", "clinton")


@pytest.mark.parametrize(
    ("source", "persons", "speaker"),
    [
        ("Sanders, runner-up to Hillary Clinton, wrote", ["Sanders", "Hillary Clinton"], "Sanders"),
        (
            "Trump's campaign manager Kellyanne Conway",
            ["Trump", "Kellyanne Conway"],
            "Kellyanne Conway",
        ),
        ("a spokesman for Hillary Clinton", ["Hillary Clinton"], None),
        ("Trump's campaign", ["Trump"], None),
        ("Senate Majority Leader Mitch McConnell", ["Mitch McConnell"], "Mitch McConnell"),
        ("Cruz constituent Dan Golvach", ["Cruz", "Dan Golvach"], "Dan Golvach"),
        ("Ross, a rival of Dan Golvach", ["Ross", "Dan Golvach"], "Ross"),
        ("the Jeb Bush campaign", ["Jeb Bush"], None),
    ],
)
def test_the_gold_speaker_is_the_person_heading_the_source_span(source, persons, speaker):
    found = [(source.index(p), source.index(p) + len(p), p) for p in persons]
    assert person_source(source, [(0, len(source))], found) == speaker


@pytest.mark.parametrize(
    "question",
    [
        "Who said “we found rust where we expected paint”?",
        "What did Dana Okafor say about the bridge?",
        "Who will pay for the new ferries?",
        "quantum chromodynamics lattice gauge",
    ],
)
def test_the_benchmark_gets_exactly_what_attribot_ask_prints(built_index, question):
    record = json.loads(
        CliRunner().invoke(cli, ["ask", question, "--index", str(built_index), "--json"]).output
    )
    service = AttribotService(built_index)
    try:
        hits, line = shipped(service)(question)
    finally:
        service.index.close()
    assert [h.paragraph_id for h in hits] == [h["paragraph_id"] for h in record["hits"]]
    assert (line.to_json() if line else None) == record["answer"]
