"""Collections: every document is in one, and a scope of collections bounds what a search,
a speaker list, a source id or a count can see. Real model, SQLite and spaCy; the scoped
searches on FAISS and on Milvus Lite (`scoped_index`)."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest

from bot.service import AttribotService, UnknownSpeaker
from corpus.models import Document
from retrieval.index import Index
from retrieval.ingest import ingest_documents
from retrieval.scope import EVERYTHING, BadCollection, Scope
from retrieval.store import DB_FILE, Store
from retrieval.vectors import VECTORS_FILE
from tests.conftest import BACKENDS

DEFAULT = Scope.of(["default"])
CLUB = Scope.of(["guild:7"])
FERRY = Scope.of(["guild:8"])
TOWNS = ["Kestrel", "Marlow", "Ashby", "Fenwick", "Dunmore", "Harwick", "Oldport", "Brimley"]
CLUB_TEXT = "Rowing club news\n\n" + "\n\n".join(
    [
        "The rowing club repaired its boathouse roof, which had rusted, said the club secretary.",
        "Volunteers painted the boathouse doors after the winter storms damaged them.",
        "The club will pay for a new slipway from its summer fundraising.",
        "Repairs to the club's old pontoon will start in spring, the secretary said.",
        "The river path by the boathouse will close for two weeks during the repairs.",
        "Members voted to replace the rusted railings along the jetty.",
    ]
)
FERRY_TEXT = (
    "Ferry timetable changes\n\n"
    "The harbour ferry will run every ten minutes from May, said Captain Mirela Oduya, head of "
    'the ferry service. "We are ready for the summer crowds," Oduya said.\n\n'
    '"The floating pier is nearly finished," said Dana Okafor, secret project lead at Tern '
    'Ventures. "Nobody outside the board knows yet," Okafor said.\n'
)
REPAIRS = "When will the repairs start and who pays for them?"


def bridge(town: str) -> Document:
    """A default-collection article close to REPAIRS: many of them crowd a global top-k."""
    return Document(
        doc_id=f"bridge-{town}",
        path=f"bridge-{town}.txt",
        title=f"{town} bridge",
        text=f"{town} bridge repairs\n\nEngineers in {town} said the steel joints of the {town} "
        f"bridge had corroded and the repairs would start in spring. The {town} council will "
        f"pay for the bridge repairs.\n\nThe {town} bridge will close for six weeks while the "
        "corroded steel is replaced.",
    )


@pytest.fixture(scope="module", params=BACKENDS)
def scoped_index(request, tmp_path_factory):
    """The sample corpus and eight bridge articles in the default collection; a rowing club's
    news in guild:7; a ferry article (a new speaker, and a secret role for Dana Okafor, who
    the sample quotes) in guild:8. Once per search backend: FAISS restricts to a scope by its
    paragraph ids, Milvus by its partition key."""
    folder = tmp_path_factory.mktemp("collections") / "index"
    source = "built_index" if request.param == "faiss" else "built_milvus_index"
    shutil.copytree(request.getfixturevalue(source), folder)
    index = Index(folder)
    ingest_documents(index, [bridge(t) for t in TOWNS])
    club = Document(doc_id="news.txt", path="news.txt", title="Rowing club", text=CLUB_TEXT)
    ingest_documents(index, [club], collection="guild:7")
    ferry = Document(doc_id="news.txt", path="news.txt", title="Ferry", text=FERRY_TEXT)
    ingest_documents(index, [ferry], collection="guild:8")
    index.close()
    return folder


@pytest.fixture(scope="module")
def scoped(scoped_index):
    service = AttribotService(scoped_index)
    yield service
    service.index.close()


def collections_of(hits) -> set[str]:
    return {h.collection for h in hits}


# -- search ------------------------------------------------------------------------------------
def test_a_small_collection_gets_its_full_top_k_where_a_global_top_k_has_few_of_it(scoped):
    club_ids = set(scoped.searcher.allowed(CLUB).tolist())
    everywhere = scoped.searcher.search(REPAIRS, top_k=15)
    assert len([h for h in everywhere if h.paragraph_id in club_ids]) < 5  # filtering after fails
    hits = scoped.ask(REPAIRS, top_k=5, scope=CLUB).hits
    assert len(hits) == 5 and {h.paragraph_id for h in hits} <= club_ids


def test_a_search_never_returns_a_passage_outside_its_scope(scoped):
    for question in [REPAIRS, "When will the harbour ferry run more often?", "library"]:
        for scope in [DEFAULT, CLUB, FERRY, Scope.of(["default", "guild:7"])]:
            answer = scoped.ask(question, top_k=10, scope=scope)
            assert collections_of(answer.hits) <= set(scope.names), (question, scope)
            if answer.line is not None:
                assert answer.line.paragraph_id in {h.paragraph_id for h in answer.hits}


def test_the_same_question_finds_the_upload_only_in_its_own_collection(scoped):
    question = "When will the harbour ferry run more often?"
    assert collections_of(scoped.ask(question, scope=FERRY).hits) == {"guild:8"}
    assert not scoped.ask(question, scope=Scope.of(["default", "guild:7"])).hits
    assert "guild:8" in collections_of(scoped.ask(question).hits)  # unscoped: the operator


def test_an_empty_scope_sees_nothing(scoped):
    nothing = Scope.of([])
    assert scoped.ask(REPAIRS, scope=nothing).hits == []
    assert scoped.speakers(scope=nothing) == []
    assert scoped.stats(nothing).to_json() == {
        "documents": 0,
        "paragraphs": 0,
        "vectors": 0,
        "speakers": 0,
        "attributions": 0,
    }


def test_a_scope_holding_every_paragraph_restricts_nothing(scoped):
    everything = Scope.of(["default", "guild:7", "guild:8"])
    assert scoped.searcher.allowed(everything) is None
    assert [h.paragraph_id for h in scoped.ask(REPAIRS, scope=everything).hits] == [
        h.paragraph_id for h in scoped.ask(REPAIRS).hits
    ]


# -- people ------------------------------------------------------------------------------------
def test_people_quoted_only_elsewhere_are_not_recognised_in_a_question(scoped):
    question = "What did Oduya say about the summer?"
    assert scoped.searcher.registry(FERRY).exact(["Oduya"]) == "Mirela Oduya"
    assert scoped.searcher.registry(DEFAULT).exact(["Oduya"]) is None
    assert scoped.ask(question, scope=FERRY).speaker == "Mirela Oduya"
    assert scoped.ask(question, scope=DEFAULT).speaker is None


def test_speaker_lists_hold_only_what_the_scope_quotes(scoped):
    default = {s.name: s for s in scoped.speakers(scope=DEFAULT)}
    ferry = {s.name: s for s in scoped.speakers(scope=FERRY)}
    assert "Mirela Oduya" in ferry and "Mirela Oduya" not in default
    assert set(ferry) == {"Mirela Oduya", "Dana Okafor"}
    # Okafor is quoted in both: each scope sees only its own roles and quotes
    assert ferry["Dana Okafor"].roles == ["secret project lead at Tern Ventures"]
    assert not any("secret" in role for role in default["Dana Okafor"].roles)
    assert ferry["Dana Okafor"].quote_count == 2 and default["Dana Okafor"].quote_count == 4
    with pytest.raises(UnknownSpeaker):
        scoped.quotes("Oduya", scope=DEFAULT)
    assert scoped.speakers("oduya", scope=DEFAULT) == []


def test_quotes_of_a_speaker_quoted_in_two_collections_stay_in_the_scope(scoped):
    for scope in (DEFAULT, FERRY):
        hits = scoped.quotes("Dana Okafor", scope=scope, top_k=10)
        assert hits and collections_of(hits) == set(scope.names)
        hits = scoped.quotes("Dana Okafor", "the pier", scope=scope, top_k=10)
        assert collections_of(hits) <= set(scope.names)


# -- source ids and counts ---------------------------------------------------------------------
def test_a_source_id_from_another_collection_is_not_found(scoped):
    (hit,) = scoped.ask("When will the harbour ferry run more often?", top_k=1, scope=FERRY).hits
    assert [h.collection for h in scoped.source(hit.paragraph_id, scope=FERRY)] == ["guild:8"] * 3
    assert scoped.source(hit.paragraph_id, scope=DEFAULT) == []
    assert scoped.source(hit.paragraph_id, scope=CLUB) == []


def test_stats_count_only_the_scope(scoped):
    whole = scoped.stats().to_json()
    club = scoped.stats(CLUB).to_json()
    assert club == {
        "documents": 1,
        "paragraphs": 7,
        "vectors": 7,
        "speakers": 0,  # "the club secretary" is nobody's name
        "attributions": club["attributions"],
    }
    parts = [scoped.stats(s).to_json() for s in (DEFAULT, CLUB, FERRY)]
    for key in ("documents", "paragraphs", "vectors", "attributions"):
        assert sum(p[key] for p in parts) == whole[key], key


# -- documents, ingest and the scope cache -----------------------------------------------------
def test_same_id_in_two_collections_is_two_documents_and_embedded_once(scoped_index):
    store = Store(scoped_index / DB_FILE)
    try:
        rows = store.db.execute(
            "SELECT collection, title FROM documents WHERE doc_id='news.txt' ORDER BY collection"
        ).fetchall()
        assert [tuple(r) for r in rows] == [("guild:7", "Rowing club"), ("guild:8", "Ferry")]
    finally:
        store.close()


def test_reingesting_into_another_collection_copies_without_embedding_again(index_copy):
    index = Index(index_copy)
    try:
        doc = Document(doc_id="ferry", path="ferry.txt", title="Ferry", text=FERRY_TEXT)
        first = ingest_documents(index, [doc], collection="guild:1")
        second = ingest_documents(index, [doc], collection="guild:2")
        again = ingest_documents(index, [doc], collection="guild:1")
        assert first.paragraphs_embedded > 0 and second.paragraphs_embedded == 0
        assert second.documents_added == 1 and again.documents_unchanged == 1
        assert dict((c, d) for c, d, _ in index.store.collections())["guild:2"] == 1
    finally:
        index.close()


def test_a_search_sees_an_upload_right_after_its_ingest(index_copy):
    service = AttribotService(index_copy)
    try:
        question = "When will the harbour ferry run more often?"
        scope = Scope.of(["default", "guild:3"])
        assert not service.ask(question, scope=scope).hits  # caches the scope's ids
        doc = Document(doc_id="ferry", path="ferry.txt", title="Ferry", text=FERRY_TEXT)
        ingest_documents(service.index, [doc], collection="guild:3")
        hits = service.ask(question, scope=scope).hits
        assert hits[0].collection == "guild:3" and hits[0].doc_id == "ferry"
    finally:
        service.index.close()


@pytest.mark.parametrize("name", ["", " default", "a b", "-x", "x" * 65, "naïve", "a/b"])
def test_bad_collection_names_are_refused_before_anything_is_written(index_copy, name):
    index = Index(index_copy)
    try:
        before = index.store.counts()
        doc = Document(doc_id="x", path="x.txt", title="X", text=FERRY_TEXT)
        with pytest.raises(BadCollection, match="not a collection name"):
            ingest_documents(index, [doc], collection=name)
        assert index.store.counts() == before
    finally:
        index.close()


# -- an index from before collections ----------------------------------------------------------
# The documents table exactly as every Attribot before collections created it.
PRE_COLLECTIONS_DOCUMENTS = """CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    title TEXT, source TEXT, date TEXT,
    kind TEXT NOT NULL DEFAULT 'article',
    content_hash TEXT NOT NULL,
    added_at TEXT NOT NULL DEFAULT (datetime('now'))
)"""
COLUMNS = "id, doc_id, path, title, source, date, kind, content_hash, added_at"


def make_pre_collections(db_path) -> None:
    """Turn an index database back into one written before collections existed."""
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA foreign_keys = OFF")
    with db:
        db.execute(PRE_COLLECTIONS_DOCUMENTS.replace("documents", "old_documents", 1))
        db.execute(f"INSERT INTO old_documents SELECT {COLUMNS} FROM documents")
        db.execute("DROP TABLE documents")
        db.execute("ALTER TABLE old_documents RENAME TO documents")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.close()


def snapshot(db_path) -> dict:
    db = sqlite3.connect(db_path)
    try:
        return {
            "documents": db.execute(f"SELECT {COLUMNS} FROM documents ORDER BY id").fetchall(),
            "paragraphs": db.execute("SELECT * FROM paragraphs ORDER BY id").fetchall(),
            "attributions": db.execute("SELECT * FROM attributions ORDER BY id").fetchall(),
            "embeddings": db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0],
            "generation": db.execute("SELECT value FROM meta WHERE key='generation'").fetchone(),
        }
    finally:
        db.close()


def columns_of(db_path, table: str) -> set[str]:
    db = sqlite3.connect(db_path)
    try:
        return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
    finally:
        db.close()


def test_an_index_from_before_collections_opens_as_the_default_collection(index_copy, service):
    db_path = index_copy / DB_FILE
    make_pre_collections(db_path)
    before = snapshot(db_path)
    assert "collection" not in columns_of(db_path, "documents")

    migrated = AttribotService(index_copy)
    try:
        answer = migrated.ask(REPAIRS, top_k=5, scope=DEFAULT)
        expected = service.ask(REPAIRS, top_k=5)
        assert [h.paragraph_id for h in answer.hits] == [h.paragraph_id for h in expected.hits]
        assert collections_of(answer.hits) == {"default"}
        assert migrated.index.store.collections() == [("default", 7, len(before["paragraphs"]))]
        assert migrated.stats(DEFAULT).to_json() == migrated.stats().to_json()
        # the same id may now live in another collection beside its default copy
        doc_id, content_hash = before["documents"][0][1], before["documents"][0][7]
        doc = Document(doc_id=doc_id, path="copy.txt", title="Copy", text=FERRY_TEXT)
        assert ingest_documents(migrated.index, [doc], collection="wire").documents_added == 1
        assert migrated.index.store.document_hash(doc_id) == content_hash
    finally:
        migrated.index.close()
    after = snapshot(db_path)
    assert after["documents"][: len(before["documents"])] == before["documents"]
    assert after["paragraphs"][: len(before["paragraphs"])] == before["paragraphs"]
    db = sqlite3.connect(db_path)
    try:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT DISTINCT collection FROM documents ORDER BY 1").fetchall() == [
            ("default",),
            ("wire",),
        ]
    finally:
        db.close()


def test_migrating_re_embeds_nothing_and_leaves_the_vector_file_alone(index_copy):
    db_path = index_copy / DB_FILE
    make_pre_collections(db_path)
    before = snapshot(db_path)
    vectors_before = (index_copy / VECTORS_FILE).read_bytes()
    index = Index(index_copy)
    try:
        assert index.vectors.ntotal == len(before["paragraphs"])  # loaded, not rebuilt
        ids = np.sort(index.vectors.ids())
        assert ids.tolist() == [r[0] for r in before["paragraphs"]]
    finally:
        index.close()
    after = snapshot(db_path)
    assert (index_copy / VECTORS_FILE).read_bytes() == vectors_before
    assert after == before  # same rows and ids, no embedding added, same generation
    assert "collection" in columns_of(db_path, "documents")
    Store(db_path).close()  # a second open changes nothing either
    assert snapshot(db_path) == after


def test_the_everything_scope_is_the_unscoped_default():
    assert EVERYTHING.everything and Scope().collections is None
    assert not DEFAULT.everything and DEFAULT.names == ["default"]
