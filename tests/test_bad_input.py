"""Bad input gets a one-line message and the right exit code, the rest still goes in, and
no traceback ever reaches the terminal. Driven through the real CLI (click's CliRunner), on
each search backend where the backend is involved (`sample_index_copy`, `messy_ingest`)."""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest
from click.testing import CliRunner

from bot.cli import cli
from retrieval.check import check_index
from retrieval.store import DB_FILE
from retrieval.vectors import VECTORS_FILE
from tests.conftest import BACKENDS, backend_env

GOOD = (
    "The harbour board approved the new ferry terminal on Monday.\n\n"
    '"We will open it in spring," said harbour master Ada Whitlock.\n'
)
# Zero-width space, joiner, RTL/LTR marks and an RTL override inside a normal article.
ODD = (
    "The\u200b library\u200d reopened\u200f on Tuesday after repairs.\n\n"
    '\u202e"Readers are back," said librarian Omar Haddad.\u202c\n'
)


def run(*args, env: dict | None = None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> pathlib.Path:
    """A folder of every kind of bad file, with two good ones among them."""
    folder = tmp_path_factory.mktemp("messy")
    (folder / "good.txt").write_text(GOOD)
    (folder / "odd-unicode.md").write_text(ODD)
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me, said the owner.".encode("latin-1"))
    (folder / "empty.txt").write_text("")
    (folder / "blank.md").write_text("   \n\n\t\n")
    (folder / "nav-only.html").write_text(
        "<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a> | "
        "<a href='/news'>News</a></nav></body></html>"
    )
    (folder / "picture.jpeg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)  # ignored
    lines = [
        json.dumps({"id": "j1", "text": "The council voted for the bridge repairs."}),
        '{"id": "j2", "text": "unterminated',
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "j4", "text": ""}),
        json.dumps({"id": "j5", "text": "Rail fares rise in June, the operator said."}),
    ]
    (folder / "feed.jsonl").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="module", params=BACKENDS)
def messy_ingest(request, messy, tmp_path_factory):
    index = tmp_path_factory.mktemp("messy-index") / "index"
    result = run("ingest", messy, "--index", index, "--json", env=backend_env(request.param))
    return result, index


@pytest.mark.needs_model
def test_bad_files_are_reported_and_the_rest_goes_in(messy_ingest, messy):
    result, index = messy_ingest
    assert result.exit_code == 1  # something was skipped: scripts must notice
    summary = json.loads(result.stdout)
    reasons = {pathlib.Path(s["path"]).name: s["reason"] for s in summary["skipped"]}
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["blank.md"]
    assert "no readable text" in reasons["nav-only.html"]
    # malformed JSONL lines as file:line, the good lines still in
    assert "not valid JSON" in reasons["feed.jsonl:2"]
    assert "not a JSON object" in reasons["feed.jsonl:3"]
    assert "empty 'text'" in reasons["feed.jsonl:4"]
    assert any(p.endswith("picture.jpeg") for p in summary["ignored"])
    # good.txt, odd-unicode.md, j1, j5
    assert summary["documents_added"] == 4
    stats = json.loads(run("stats", "--index", index, "--json").stdout)
    assert stats["documents"] == 4 and stats["paragraphs"] == stats["vectors"]


@pytest.mark.needs_model
def test_human_output_names_every_skipped_file(messy, tmp_path):
    result = run("ingest", messy, "--index", tmp_path / "index")
    assert result.exit_code == 1
    for name in ("binary.txt", "latin1.txt", "empty.txt", "nav-only.html", "feed.jsonl:2"):
        assert any(
            line.startswith("skipped ") and name in line for line in result.stderr.splitlines()
        ), name


@pytest.mark.needs_model
def test_odd_unicode_document_is_searchable(messy_ingest):
    _, index = messy_ingest
    result = run("ask", "Are readers back at the library?", "--index", index, "--json")
    assert result.exit_code == 0
    hits = json.loads(result.stdout)["hits"]
    assert any("Readers are back" in h["text"] for h in hits)


def test_unknown_extension_named_explicitly(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK\x03\x04")
    result = run("ingest", path, "--index", tmp_path / "index")
    assert result.exit_code == 1
    assert "unsupported file type '.docx'" in result.stderr


@pytest.mark.needs_model
@pytest.mark.parametrize("how", ["option", "environment"])
def test_file_over_the_size_limit(tmp_path, how):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "big.txt").write_text(GOOD * 200)  # ~25 kB
    (tmp_path / "docs" / "small.txt").write_text(GOOD)
    args = ["ingest", tmp_path / "docs", "--index", tmp_path / "index", "--json"]
    if how == "option":
        result = run(*args, "--max-file-mb", "0.01")
    else:
        result = run(*args, env={"ATTRIBOT_MAX_FILE_MB": "0.01"})
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    (skipped,) = summary["skipped"]
    assert skipped["path"].endswith("big.txt") and "over the" in skipped["reason"]
    assert summary["documents_added"] == 1


def test_default_size_limit_is_20_mb(monkeypatch):
    monkeypatch.delenv("ATTRIBOT_MAX_FILE_MB", raising=False)
    from bot.settings import Settings

    assert Settings().max_file_bytes == 20 * 1024 * 1024


@pytest.mark.needs_model
def test_permission_denied_file_is_skipped(tmp_path, monkeypatch):
    """We run as root, where chmod 000 denies nothing: the denial is simulated at the one
    call the loader makes to read the file."""
    (tmp_path / "docs").mkdir()
    secret = tmp_path / "docs" / "locked.txt"
    secret.write_text(GOOD)
    (tmp_path / "docs" / "open.txt").write_text(GOOD.replace("ferry", "tram"))
    real = pathlib.Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    result = run("ingest", tmp_path / "docs", "--index", tmp_path / "index", "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["skipped"] == [{"path": str(secret), "reason": "permission denied"}]
    assert summary["documents_added"] == 1


def test_nonexistent_path(tmp_path):
    result = run("ingest", tmp_path / "nope", "--index", tmp_path / "index")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nope'}: no such file or folder"


def test_folder_given_to_batch(index_copy, tmp_path):
    result = run("ask", "--batch", tmp_path, "--index", index_copy)
    assert result.exit_code == 2  # click's usage error, one clear line
    assert "is a directory" in result.stderr


@pytest.mark.parametrize("command", [["ask", "anything"], ["stats"], ["check"]])
def test_missing_index(tmp_path, command):
    result = run(*command, "--index", tmp_path / "nothing-here")
    assert result.exit_code == 1
    assert "no index at" in result.stderr
    assert f"attribot ingest PATH --index {tmp_path / 'nothing-here'}" in result.stderr
    assert not (tmp_path / "nothing-here").exists()  # asking never creates an index


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "the question is empty"),
        ("   \u200b\u200f\u2066  ", "the question is empty"),  # invisible only
        ("why " * 400, "the limit is 500"),
    ],
)
def test_bad_questions(sample_index_copy, question, message):
    result = run("ask", question, "--index", sample_index_copy)
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_invisible_characters_do_not_change_the_answer(sample_index_copy):
    plain = run("ask", "Who will pay for the new ferries?", "--index", sample_index_copy, "--json")
    odd = run(
        "ask",
        "\u200fWho\u200b will pay for\u200d the new\u202e ferries?\u2069",
        "--index",
        sample_index_copy,
        "--json",
    )
    assert plain.exit_code == odd.exit_code == 0
    ids = [h["paragraph_id"] for h in json.loads(plain.stdout)["hits"]]
    assert ids and ids == [h["paragraph_id"] for h in json.loads(odd.stdout)["hits"]]


def test_garbage_sqlite_file(sample_index_copy):
    index_copy = sample_index_copy
    (index_copy / DB_FILE).write_bytes(b"this is not a database" * 100)
    for wal in ("-wal", "-shm"):
        (index_copy / (DB_FILE + wal)).unlink(missing_ok=True)
    for command in (["ask", "ferries"], ["stats"]):
        result = run(*command, "--index", index_copy)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: ")
        assert "attribot check" in result.stderr
    result = run("check", "--index", index_copy)
    assert result.exit_code == 1
    assert "not an SQLite database" in result.stderr
    assert "restore" in result.stderr and "from a backup" in result.stderr
    result = run("check", "--index", index_copy, "--repair", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert not report["ok"] and report["problems"][0]["code"] == "db_corrupt"


def test_damaged_page_inside_sqlite(sample_index_copy):
    """Valid header, garbage further in: SQLite's own integrity check catches it."""
    index_copy = sample_index_copy
    path = index_copy / DB_FILE
    data = bytearray(path.read_bytes())
    if len(data) < 3 * 4096:
        pytest.skip("database too small to damage a later page")
    data[2 * 4096 : 3 * 4096] = b"\xab" * 4096
    path.write_bytes(bytes(data))
    result = run("check", "--index", index_copy, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["problems"] and not report["ok"]
    assert not any(p["repairable"] for p in report["problems"] if p["code"].startswith("db_"))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "deleted"])
def test_broken_vector_file_is_rebuilt_automatically(index_copy, damage):
    path = index_copy / VECTORS_FILE
    if damage == "garbage":
        path.write_bytes(b"\x00garbage" * 50)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:
        path.unlink()
    assert run("check", "--index", index_copy).exit_code == 1
    result = run("ask", "Who will pay for the new ferries?", "--index", index_copy, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["hits"]
    assert check_index(index_copy).ok  # the rebuilt file was saved


def test_check_repair_cli(index_copy):
    (index_copy / VECTORS_FILE).write_bytes(b"junk")
    result = run("check", "--index", index_copy)
    assert result.exit_code == 1
    assert f"fix: run `attribot check --repair --index {index_copy}`" in result.stderr
    result = run("check", "--index", index_copy, "--repair")
    assert result.exit_code == 0, result.output
    assert "repaired: rebuilt the vector file" in result.stdout
    assert "healthy" in result.stdout
    assert run("check", "--index", index_copy).exit_code == 0


@pytest.mark.needs_model
def test_check_repair_cli_rebuilds_a_lost_milvus_collection(built_milvus_index, tmp_path):
    """The Milvus collection is derived data too: dropped (a wiped server), check names the
    repair, and the repair rebuilds it from SQLite alone."""
    from pymilvus import MilvusClient

    from retrieval.milvus_backend import LITE_FILE

    index = tmp_path / "index"
    shutil.copytree(built_milvus_index, index)
    name = run("check", "--index", index, "--json")  # healthy to start with
    assert json.loads(name.stdout)["ok"]
    import sqlite3

    conn = sqlite3.connect(index / DB_FILE)
    (collection,) = conn.execute("SELECT value FROM meta WHERE key='milvus_collection'").fetchone()
    conn.close()
    client = MilvusClient(str(index / LITE_FILE))
    client.drop_collection(collection)
    client.close()
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(index / LITE_FILE))
    result = run("check", "--index", index)
    assert result.exit_code == 1
    assert f"Milvus collection {collection}" in result.stderr and "is missing" in result.stderr
    assert f"fix: run `attribot check --repair --index {index}`" in result.stderr
    result = run("check", "--index", index, "--repair")
    assert result.exit_code == 0, result.output
    assert "repaired: rebuilt the Milvus collection" in result.stdout
    stats = json.loads(run("stats", "--index", index, "--json").stdout)
    assert stats["vectors"] == stats["paragraphs"] > 0


def test_index_path_that_is_a_file(tmp_path):
    path = tmp_path / "index"
    path.write_text("oops")
    for command in (["stats"], ["ask", "x"], ["ingest", tmp_path]):
        result = run(*command, "--index", path)
        assert result.exit_code in (1, 2)
        assert "Traceback" not in result.output


def test_copy_of_index_is_a_backup(sample_index_copy, tmp_path):
    """The README's backup advice: a copy taken while nothing ingests is a working index."""
    backup = tmp_path / "backup"
    shutil.copytree(sample_index_copy, backup)
    assert run("check", "--index", backup).exit_code == 0


def test_sqlite_backup_alone_restores_everything(sample_index_copy, tmp_path):
    """SQLite's online backup of the database file is enough: the vector file (or the
    Milvus collection) is derived and rebuilt from it on first open (or by `check --repair`)."""
    import sqlite3

    index_copy = sample_index_copy
    restored = tmp_path / "restored"
    restored.mkdir()
    src = sqlite3.connect(index_copy / DB_FILE)
    dst = sqlite3.connect(restored / DB_FILE)
    src.backup(dst)
    src.close()
    dst.close()
    assert run("check", "--index", restored).exit_code == 1  # vectors not there yet
    assert run("check", "--index", restored, "--repair").exit_code == 0
    stats = json.loads(run("stats", "--index", restored, "--json").stdout)
    original = json.loads(run("stats", "--index", index_copy, "--json").stdout)
    assert stats == original
