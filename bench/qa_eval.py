"""End-to-end QA benchmark: what a user gets back from `attribot ask` and `/ask`.

    .venv/bin/python bench/qa_eval.py --realtimeqa ../shared/data/realtimeqa-dev \\
        --polnear ../shared/data/polnear/dev --xquad ../shared/data/xquad-en/xquad.en.json

One corpus, built through the product's own ingest (split, attribution, embedding): every
RealTimeQA evidence paragraph as a JSONL document, plus every article of the PolNeAR split as
a text file. Each question then goes through `AttribotService.ask` -- the very function the
CLI and the bot call -- with the shipped defaults (top 5, speaker handling, no-answer
refusal, the answer line), so if the path changes, this benchmark changes with it.

Sets (bench/qa_sets.py builds them): general (RealTimeQA journalists' questions), who-said
and what-did (quote questions from PolNeAR attributions with a named-person source), and
off-topic (XQuAD questions, which should be refused). Reported per set:
- R@1 / R@5: the top passage / one of the top five holds the gold (general: the evidence
  paragraph's document; who-said: the quoted words; what-did: one of that person's
  annotated quotes in the article);
- right speaker: a returned passage has an attribution over a gold quote that names the gold
  person (names compared by first and last word: see qa_sets.name_key);
- unanswered: the product answered nothing (for off-topic questions, that is a refusal);
- answer line: it holds the asked quote (who-said) or the gold answer string (general), and
  for quote questions whether it names the gold person.
Plain dense and BM25 rows over the same index come from the same run, as does the hybrid
`retrieve()` alone (the component benchmark's figure, no speaker handling, no refusal).
Embeddings are cached across runs in the bench cache folder (the product's own text-hash
cache in SQLite), so a rerun only re-splits and re-attributes.

--vector-backend milvus also answers every question through the Milvus search backend
(retrieval/milvus_backend.py, on Milvus Lite), in the same run: a second index folder holding
a copy of the same SQLite database, its Milvus collection built from it as `attribot check
--repair` builds one, asked through `AttribotService.ask` with the same defaults. Its rows
carry the backend's name, and a last table gives each set's R@5 difference to FAISS.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import qa_sets  # noqa: E402
from bench.evaldata import cache_dir  # noqa: E402
from bench.qa_sets import Question, same_person  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


# -- the corpus ---------------------------------------------------------------------------------
def seed_embeddings(db_path: Path, cache: Path, to_cache: bool) -> None:
    """Copy cached embeddings into the index (or the index's new ones back to the cache)."""
    con = sqlite3.connect(db_path)
    con.execute(f"ATTACH DATABASE '{cache}' AS cache")
    con.execute(
        "CREATE TABLE IF NOT EXISTS cache.embeddings (model TEXT NOT NULL, text_hash TEXT "
        "NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, text_hash))"
    )
    src, dst = ("main", "cache") if to_cache else ("cache", "main")
    with con:
        con.execute(f"INSERT OR IGNORE INTO {dst}.embeddings SELECT * FROM {src}.embeddings")
    con.close()


def build_index(folder: Path, rtqa_docs: list[dict], articles: list[Path]) -> None:
    from retrieval.index import DB_FILE, Index
    from retrieval.ingest import ingest_paths

    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder.parent / "corpus"
    corpus.mkdir(exist_ok=True)
    rtqa = corpus / "realtimeqa.jsonl"
    rtqa.write_text("".join(json.dumps(d) + "\n" for d in rtqa_docs), encoding="utf-8")
    index = Index(folder)
    cache = cache_dir() / "qa-embeddings.sqlite3"
    seed_embeddings(folder / DB_FILE, cache, to_cache=False)
    paths = [rtqa, *articles]
    t0 = time.perf_counter()
    summary = ingest_paths(index, paths, progress=True)
    print(
        f"ingest: {summary.paragraphs_added} paragraphs, {summary.paragraphs_embedded} embedded, "
        f"{time.perf_counter() - t0:.0f} s",
        file=sys.stderr,
    )
    index.close()
    seed_embeddings(folder / DB_FILE, cache, to_cache=True)


def backend_copy(folder: Path, kind: str) -> Path:
    """A second index folder with the same SQLite content, searched with the `kind` backend:
    the database copied (ids and all), its backend switched, and the backend's data built
    from it alone (no re-embedding, no re-attribution). Kept beside `folder` for reruns."""
    from retrieval.backend import BackendSettings
    from retrieval.index import DB_FILE, Index

    other = folder.with_name(f"{folder.name}-{kind}")
    if (other / DB_FILE).exists():
        return other
    other.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(folder / DB_FILE), sqlite3.connect(other / DB_FILE)
    with dst:
        src.backup(dst)
        dst.execute("DELETE FROM meta WHERE key LIKE 'milvus_%'")
        dst.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('vector_backend', ?)", (kind,)
        )
    src.close()
    dst.close()
    index = Index(other, search=BackendSettings(kind))
    t0 = time.perf_counter()
    index.rebuild_vectors()
    index.close()
    print(f"{kind} backend built from SQLite in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return other


@dataclass
class Where:
    """Paragraph id -> (document id, start, end) in the document's text."""

    doc: dict[int, str] = field(default_factory=dict)
    span: dict[int, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, store) -> Where:
        w = cls()
        for pid, doc_id, start, end in store.db.execute(
            "SELECT p.id, d.doc_id, p.start, p.end FROM paragraphs p "
            "JOIN documents d ON d.id = p.document_id"
        ):
            w.doc[pid] = Path(doc_id).name if doc_id.endswith(".txt") else doc_id
            w.span[pid] = (start, end)
        return w


# -- scoring -------------------------------------------------------------------------------------
def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter > 0 and inter >= 0.5 * min(a[1] - a[0], b[1] - b[0])


def holds_gold(q: Question, hit, where: Where) -> bool:
    pid = hit.paragraph_id
    if q.kind == "general":
        return where.doc.get(pid) == q.gold_doc
    if q.kind == "who" and q.asked and _norm(q.asked) in _norm(hit.text):
        return True  # the quote, wherever it is (the same wire story in two outlets)
    if where.doc.get(pid) != q.article:
        return False
    start, end = where.span[pid]
    return any(s < end and start < e for s, e in q.spans)


def speaker_right(q: Question, hits, where: Where) -> bool:
    """An attribution over a gold quote names the gold person (for who-said, over the asked
    words wherever they are)."""
    asked = _norm(" ".join((q.asked or "").split()[:6]))
    for hit in hits:
        same_article = where.doc.get(hit.paragraph_id) == q.article
        base = where.span[hit.paragraph_id][0]
        for a in hit.attributions:
            if not same_person(a.speaker, q.speaker):
                continue
            span = (base + a.quote_span[0], base + a.quote_span[1])
            if same_article and any(_overlap(span, s) for s in q.spans):
                return True
            if q.kind == "who" and asked and asked in _norm(a.quote):
                return True
    return False


def _norm(text: str) -> str:
    return " ".join("".join(c.lower() if c.isalnum() else " " for c in text).split())


def line_right(q: Question, line) -> bool:
    if line is None:
        return False
    if q.kind == "who":
        return bool(q.asked) and _norm(q.asked) in _norm(line.text)
    if q.kind == "general":
        return bool(q.answer) and _norm(q.answer) in _norm(line.text)
    return False


@dataclass
class Tally:
    n: int = 0
    r1: int = 0
    r5: int = 0
    speaker: int = 0
    unanswered: int = 0
    line: int = 0
    line_speaker: int = 0

    def add(self, q: Question, hits, line, where: Where) -> None:
        self.n += 1
        if not hits:
            self.unanswered += 1
            return
        self.r1 += holds_gold(q, hits[0], where)
        self.r5 += any(holds_gold(q, h, where) for h in hits[:5])
        if q.kind in ("who", "what"):
            self.speaker += speaker_right(q, hits[:5], where)
            self.line_speaker += line is not None and same_person(line.speaker, q.speaker)
        self.line += line_right(q, line)

    def row(self) -> dict[str, float]:
        n = max(self.n, 1)
        return {
            "n": self.n,
            "R@1": self.r1 / n,
            "R@5": self.r5 / n,
            "speaker": self.speaker / n,
            "unanswered": self.unanswered / n,
            "line": self.line / n,
            "line_speaker": self.line_speaker / n,
        }


# -- the runs ------------------------------------------------------------------------------------
def shipped(service) -> Callable[[str], tuple[list, object]]:
    """Exactly what `attribot ask QUESTION --json` does, defaults included."""

    def ask(text: str):
        answer = service.ask(text)
        return answer.hits, answer.line

    return ask


def plain(service, method: str) -> Callable[[str], tuple[list, object]]:
    """One retriever alone over the same index: top 5, no speaker handling, no refusal."""
    from retrieval.fusion import SHIPPED, FusionParams
    from retrieval.search import retrieve

    params = SHIPPED if method == "hybrid" else FusionParams(method=method, hub_weight=0.0)
    searcher, index = service.searcher, service.index

    def ask(text: str):
        qvec = index.embedder.encode_query(text)
        backend = index.search_backend(searcher.keyword_index)
        if method == "keyword":
            ids, scores = backend.keyword(backend.keyword_query(text), 5)
        else:
            ids, scores, _ = retrieve(qvec, text, backend, 5, params)
        scored = list(zip(ids.tolist(), np.asarray(scores).tolist(), strict=True))
        return index.store.hits(scored), None

    return ask


METHODS = {"shipped": None, "dense": "dense", "bm25": "keyword", "retrieve()": "hybrid"}


def evaluate(
    service, questions: list[Question], where: Where, methods: list[str], label: str = ""
) -> dict:
    """Every question through each method; the rows are named `label` + method."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name in methods:
        run = shipped(service) if name == "shipped" else plain(service, METHODS[name])
        tallies: dict[str, Tally] = {}
        t0 = time.perf_counter()
        for q in questions:
            hits, line = run(q.text)
            for key in (q.kind, f"{q.kind}:{q.group}"):
                tallies.setdefault(key, Tally()).add(q, hits, line, where)
        seconds = time.perf_counter() - t0
        out[label + name] = {k: t.row() for k, t in sorted(tallies.items())}
        out[label + name]["_ms_per_question"] = {"ms": 1000 * seconds / max(1, len(questions))}
        print(f"{label}{name}: {len(questions)} questions in {seconds:.0f} s", file=sys.stderr)
    return out


def calibration_records(service, questions: list[Question], where: Where) -> list[dict]:
    """The no-answer evidence of every question with refusal off, the passages returned and
    whether they hold the gold: the data the no-answer thresholds are chosen from."""
    from bot.service import clean_question

    searcher = service.searcher
    searcher.refuse = False
    out = []
    try:
        for q in questions:
            result = searcher.search_detailed(clean_question(q.text, 500))
            hits = result.hits
            out.append(
                {
                    "kind": q.kind,
                    "group": q.group,
                    "question": q.text,
                    "best_cosine": result.best_cosine,
                    "lexical": result.lexical,
                    "verbatim": bool(result.verbatim),
                    "person": bool(result.question and result.question.people),
                    "ids": [h.paragraph_id for h in hits],
                    "R@1": bool(hits) and holds_gold(q, hits[0], where),
                    "R@5": q.kind != "offtopic" and any(holds_gold(q, h, where) for h in hits),
                }
            )
    finally:
        searcher.refuse = True
    return out


def calibration_table(records: list[dict]) -> None:
    """Answerable questions kept and off-topic ones refused, per no-answer threshold on
    cosine + LEXICAL_WEIGHT x lexical evidence (the shipped weight), by set and split."""
    from retrieval.search import LEXICAL_WEIGHT, NO_ANSWER_SCORE

    def group(r: dict) -> str:
        if r["kind"] == "offtopic":
            return "off-topic (refused)"
        return f"{r['kind']} {r['group']} (kept)"

    groups = sorted({group(r) for r in records})
    print(f"| threshold | {' | '.join(groups)} |")
    print("|---:|" + "---:|" * len(groups))
    for th in np.arange(0.60, 0.821, 0.02):
        cells = []
        for g in groups:
            rs = [r for r in records if group(r) == g]
            kept = [
                r["verbatim"]
                or r["person"]
                or r["best_cosine"] + LEXICAL_WEIGHT * r["lexical"] >= th - 1e-9
                for r in rs
            ]
            rate = float(np.mean(kept)) if rs else float("nan")
            cells.append(f"{1 - rate if g.startswith('off') else rate:.3f}")
        mark = " (shipped)" if abs(th - NO_ANSWER_SCORE) < 1e-6 else ""
        print(f"| {th:.2f}{mark} | {' | '.join(cells)} |")


def print_table(result: dict) -> None:
    kinds = sorted(k for k in result["shipped"] if not k.startswith("_"))
    print(
        f"{'set':<18}{'method':<20}{'n':>6}{'R@1':>7}{'R@5':>7}{'speaker':>9}"
        f"{'unanswered':>12}{'line':>7}{'line spk':>10}"
    )
    for kind in kinds:
        for method, rows in result.items():
            r = rows.get(kind)
            if r is None or (not method.endswith("shipped") and kind.startswith("offtopic")):
                continue
            print(
                f"{kind:<18}{method:<20}{r['n']:>6}{r['R@1']:>7.3f}{r['R@5']:>7.3f}"
                f"{r['speaker']:>9.3f}{r['unanswered']:>12.3f}{r['line']:>7.3f}"
                f"{r['line_speaker']:>10.3f}"
            )
    for method, rows in result.items():
        print(f"{method}: {rows['_ms_per_question']['ms']:.1f} ms per question")


def print_backend_diff(result: dict, kind: str, methods: list[str]) -> None:
    """R@5 of each method through `kind` against FAISS, set by set (same questions, same
    SQLite content): the issue asks the Milvus backend to stay within 0.01."""
    print(f"\nR@5 through {kind} vs FAISS")
    print(f"{'set':<18}{'method':<12}{'faiss':>8}{kind:>8}{'diff':>8}")
    for set_name in sorted(k for k in result["shipped"] if not k.startswith(("_", "offtopic"))):
        for method in methods:
            a, b = result[method].get(set_name), result[f"{kind} {method}"].get(set_name)
            if a is None or b is None:
                continue
            diff = b["R@5"] - a["R@5"]
            print(f"{set_name:<18}{method:<12}{a['R@5']:>8.3f}{b['R@5']:>8.3f}{diff:>+8.3f}")


def articles(split: Path | None, limit: int) -> list[Path]:
    """The PolNeAR articles that go into the corpus (the first `limit` when given)."""
    if split is None:
        return []
    files = sorted((split / "text").glob("*.txt"))
    return files[:limit] if limit else files


def load_questions(args, nlp) -> tuple[list[dict], list[Question]]:
    docs, questions = qa_sets.realtimeqa_questions(args.realtimeqa)
    if args.polnear:
        golds = qa_sets.quote_golds(args.polnear, nlp, args.limit_articles)
        texts = [d["text"] for d in docs] + [g.content_text for g in golds]
        df, n_docs = qa_sets.document_frequencies(texts)
        questions += qa_sets.quote_questions(golds, nlp, df, n_docs, args.polnear.name)
    if args.xquad:
        questions += qa_sets.offtopic_questions(args.xquad)
    return docs, questions


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--realtimeqa", type=Path, required=True)
    ap.add_argument("--polnear", type=Path, default=None, help="a PolNeAR split folder")
    ap.add_argument("--xquad", type=Path, default=None)
    ap.add_argument("--limit-articles", type=int, default=0, help="first N PolNeAR articles")
    ap.add_argument("--index", type=Path, default=None, help="keep the built index here")
    ap.add_argument("--methods", default="shipped,dense,bm25,retrieve()")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument(
        "--calibrate",
        action="store_true",
        help="print the no-answer table instead (each question's evidence, refusal off)",
    )
    ap.add_argument("--records", type=Path, default=None, help="--calibrate: also write JSONL")
    ap.add_argument(
        "--vector-backend",
        choices=("faiss", "milvus"),
        default="faiss",
        help="also answer every question through this search backend, from a copy of the "
        "same SQLite database (milvus: Milvus Lite)",
    )
    args = ap.parse_args(argv)
    for p in (args.realtimeqa, args.polnear, args.xquad):
        if p is not None and not p.exists():
            print(f"no such file or folder: {p}", file=sys.stderr)
            return 2
    import spacy

    from bot.service import AttribotService
    from corpus.attribution.engine import MODEL_NAME

    nlp = spacy.load(MODEL_NAME)
    docs, questions = load_questions(args, nlp)
    work = Path(tempfile.mkdtemp(prefix="attribot-qa-"))
    folder = args.index or work / "index"
    if not (folder / "attribot.sqlite3").exists():
        build_index(folder, docs, articles(args.polnear, args.limit_articles))
    service = AttribotService(folder)
    service.warm_up()
    where = Where.of(service.index.store)
    if args.calibrate:
        records = calibration_records(service, questions, where)
        calibration_table(records)
        if args.records:
            args.records.write_text("".join(json.dumps(r) + "\n" for r in records))
        return 0
    methods = args.methods.split(",")
    result = evaluate(service, questions, where, methods)
    service.index.close()
    if args.vector_backend != "faiss":
        from retrieval.backend import BackendSettings

        kind = args.vector_backend
        other = AttribotService(backend_copy(folder, kind), search=BackendSettings(kind))
        other.warm_up()
        result |= evaluate(other, questions, where, methods, f"{kind} ")
        other.index.close()
    print_table(result)
    if args.vector_backend != "faiss":
        print_backend_diff(result, args.vector_backend, methods)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
