"""The command-line contract: `attribot ingest/ask/attribute/stats/run` and their --json shapes."""

import json

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.conftest import shared_path


def run(*args, input=None, env=None):
    result = CliRunner().invoke(cli, list(map(str, args)), input=input, env=env)
    assert "Traceback" not in result.output
    return result


@pytest.fixture()
def index_dir(tmp_path, sample_corpus):
    folder = tmp_path / "idx"
    result = run("ingest", sample_corpus, "--index", folder)
    assert result.exit_code == 0, result.output
    return folder


@pytest.mark.needs_model
def test_ingest_summary_and_idempotent_reingest(index_dir, sample_corpus):
    result = run("ingest", sample_corpus, "--index", index_dir, "--json")
    assert result.exit_code == 0
    summary = json.loads(result.output)
    assert summary["documents_added"] == 0
    assert summary["documents_unchanged"] == 7  # 6 files, one of them JSONL with 2 documents
    assert summary["paragraphs_embedded"] == 0


@pytest.mark.needs_model
def test_stats_json_shape(index_dir):
    result = run("stats", "--index", index_dir, "--json")
    stats = json.loads(result.output)
    assert {"documents", "paragraphs", "vectors", "speakers"} <= stats.keys()
    assert stats["documents"] == 7
    assert stats["paragraphs"] == stats["vectors"] > 20
    assert stats["speakers"] >= 10


@pytest.mark.needs_model
def test_ask_json_contract(index_dir):
    result = run(
        "ask", "Who will pay for the new ferries?", "--index", index_dir, "--json", "--top-k", 3
    )
    assert result.exit_code == 0, result.output
    (line,) = result.output.strip().splitlines()
    record = json.loads(line)
    assert record["question"] == "Who will pay for the new ferries?"
    assert "id" in record
    assert 1 <= len(record["hits"]) <= 3
    hit = record["hits"][0]
    assert {"doc_id", "paragraph_id", "text", "score", "attributions"} <= hit.keys()
    assert hit["doc_id"] == "digest-001"  # the JSONL id, not a path
    speakers = {a["speaker"] for h in record["hits"] for a in h["attributions"]}
    assert "Lena Marsh" in speakers


@pytest.mark.needs_model
def test_ask_text_shows_speaker_role_and_source(index_dir):
    result = run("ask", "Why did the vines freeze?", "--index", index_dir)
    assert result.exit_code == 0
    assert "Late frost hits river valley vineyards" in result.output
    assert "Marguerite Vallon" in result.output or "Henrik Aas" in result.output


@pytest.mark.needs_model
def test_ask_batch_plain_and_jsonl(index_dir, tmp_path):
    plain = tmp_path / "q.txt"
    plain.write_text("When does the library open on Sundays?\n\nWhat will the fine pay for?\n")
    result = run("ask", "--batch", plain, "--index", index_dir, "--json")
    records = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [r["id"] for r in records] == [1, 3]
    jsonl = tmp_path / "q.jsonl"
    jsonl.write_text(json.dumps({"id": "q-a", "text": "Who chaired the fundraising?"}) + "\n")
    result = run("ask", "--batch", jsonl, "--index", index_dir, "--json", "--top-k", 1)
    record = json.loads(result.output)
    assert record["id"] == "q-a"
    assert "Ines Carvalho" in record["hits"][0]["text"]


@pytest.mark.needs_model
def test_run_terminal_answers_line_by_line(index_dir):
    result = run(
        "run",
        "--index",
        index_dir,
        input="How much will the bridge repairs cost?\n/speakers Okafor\n/stats\n",
        env={"DISCORD_TOKEN": ""},
    )
    assert result.exit_code == 0, result.output
    assert "48 million" in result.output
    assert "Dana Okafor" in result.output
    assert "documents: 7" in result.output


@pytest.mark.needs_model
def test_run_terminal_follows_up_until_new(index_dir):
    lines = [
        "What did Dana Okafor say about the bridge?",
        "what did she say about the buses?",
        "/new",
        "what did she say about the buses?",
    ]
    result = run("run", "--index", index_dir, input="\n".join(lines), env={"DISCORD_TOKEN": ""})
    assert result.exit_code == 0, result.output
    followed, fresh = result.output.split(
        "New conversation: the next question starts from nothing."
    )
    assert "(About Dana Okafor, continuing from “What did Dana Okafor say about the bridge?”)" in (
        followed
    )
    assert "buses would keep a dedicated lane" in followed
    assert "(About" not in fresh


@pytest.mark.needs_model
def test_fukasawa_question_over_the_specification_article(tmp_path):
    sample = shared_path("sample")
    folder = tmp_path / "idx"
    assert run("ingest", sample, "--index", folder).exit_code == 0
    result = run(
        "run",
        "--index",
        folder,
        input="What did Fukasawa say about Japanese shipyards?\n",
        env={"DISCORD_TOKEN": ""},
    )
    first = result.output.split("[2]")[0]
    assert "Masaki Fukasawa" in first
    assert "commissioner of the Acquisition, Technology and Logistics Agency" in first
    assert "shipyards" in first


@pytest.mark.needs_model
def test_attribute_json_spans_are_exact(tmp_path):
    sample = shared_path("sample") / "japan-us-defence-cooperation.txt"
    result = run("attribute", sample, "--json")
    assert result.exit_code == 0
    (line,) = result.output.strip().splitlines()
    record = json.loads(line)
    assert record["path"] == str(sample)
    text = sample.read_bytes().decode("utf-8")
    by_speaker = {}
    for a in record["attributions"]:
        start, end = a["quote_span"]
        assert text[start:end] == a["quote"]
        if a["speaker_span"]:
            assert a["speaker_span"][1] > a["speaker_span"][0]
        assert a["kind"] in {"direct", "indirect", "mixed"}
        by_speaker.setdefault(a["speaker"], []).append(a)
    assert "Rahm Emanuel" in by_speaker
    pronoun = [
        a
        for a in by_speaker["Rahm Emanuel"]
        if a["speaker_span"] and text[a["speaker_span"][0] : a["speaker_span"][1]] == "he"
    ]
    assert pronoun, "the 'he said' quote resolves to Rahm Emanuel"
    assert any(a["role"] and "commissioner" in a["role"] for a in by_speaker["Masaki Fukasawa"])


def test_attribute_text_on_bundled_transcript(sample_corpus):
    result = run("attribute", sample_corpus / "council-budget-hearing.vtt", "--json")
    record = json.loads(result.output)
    speakers = {a["speaker"] for a in record["attributions"]}
    assert {"Rosa Delgado", "Arjun Mehta", "Claire Dubois"} <= speakers
    for a in record["attributions"]:
        assert record["text"][a["quote_span"][0] : a["quote_span"][1]] == a["quote"]


@pytest.mark.parametrize("args", [("stats",), ("ask", "anything")])
def test_missing_index_is_one_line_error(tmp_path, args):
    result = run(*args, "--index", tmp_path / "none")
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: no index at")
    assert len(result.output.strip().splitlines()) == 1


def test_bad_path_is_one_line_error(tmp_path):
    result = run("ingest", tmp_path / "missing.txt", "--index", tmp_path / "idx")
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {tmp_path / 'missing.txt'}: no such file or folder"


@pytest.mark.needs_model
def test_ingest_reports_bad_files_and_keeps_the_rest(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("The council met on Monday, the clerk said.")
    (docs / "bad.txt").write_bytes(b"\xff\xfe\xfa")
    result = run("ingest", docs, "--index", tmp_path / "idx")
    assert result.exit_code == 1
    assert "1 document added" in result.output  # not "1 documents"
    assert "bad.txt: not valid UTF-8" in result.output


def test_commands_json_lists_every_slash_command():
    result = run("commands", "--json")
    assert result.exit_code == 0, result.output
    payloads = json.loads(result.output)
    names = {p["name"] for p in payloads}
    assert {"ask", "quotes", "speakers", "source", "stats", "ingest", "reindex"} <= names
    ingest = next(p for p in payloads if p["name"] == "ingest")
    assert int(ingest["default_member_permissions"]) == 1 << 5  # manage server


def test_sync_without_token_is_a_clear_error():
    result = run("sync", env={"DISCORD_TOKEN": ""})
    assert result.exit_code == 1
    assert "DISCORD_TOKEN is not set" in result.output


@pytest.mark.needs_model
def test_ask_restricted_to_a_speaker(index_dir):
    question = "What is wrong with the steel joints of the bridge?"
    result = run("ask", question, "--speaker", "okafor", "--index", index_dir, "--json")
    record = json.loads(result.output)
    assert record["hits"]
    for hit in record["hits"]:
        assert "Dana Okafor" in {a["speaker"] for a in hit["attributions"]}
    result = run("ask", "bridge", "--speaker", "Nobody Atall", "--index", index_dir)
    assert result.exit_code == 1
    assert result.output.strip() == "error: no speaker called 'Nobody Atall' in the corpus"


@pytest.mark.parametrize("command", [["commands", "--json"], ["stats", "--index", "{tmp}"]])
def test_a_command_reads_the_settings_once(command, monkeypatch, tmp_path):
    from bot import cli as cli_module

    reads = []

    class CountedSettings(cli_module.Settings):
        def __init__(self, **values):
            reads.append(1)
            super().__init__(**values)

    monkeypatch.setattr(cli_module, "Settings", CountedSettings)
    result = run(*[part.format(tmp=tmp_path / "none") for part in command])
    assert len(reads) == 1, result.output


# -- collections -------------------------------------------------------------------------------
FERRY = (
    "Ferry timetable changes\n\n"
    "The harbour ferry will run every ten minutes from May, said Captain Mirela Oduya, head of "
    'the ferry service. "We are ready for the summer crowds," Oduya said.\n'
)


@pytest.mark.needs_model
def test_collection_round_trip_through_ingest_stats_and_ask(index_dir, tmp_path):
    (tmp_path / "wire").mkdir()
    (tmp_path / "wire" / "ferry.txt").write_text(FERRY)
    result = run(
        "ingest", tmp_path / "wire", "--index", index_dir, "--collection", "wire", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["collection"] == "wire" and summary["documents_added"] == 1

    listed = json.loads(run("collections", "--index", index_dir, "--json").stdout)
    assert listed == [
        {"collection": "default", "documents": 7, "paragraphs": listed[0]["paragraphs"]},
        {"collection": "wire", "documents": 1, "paragraphs": 2},
    ]
    wire = json.loads(run("stats", "--index", index_dir, "--collection", "wire", "--json").stdout)
    assert wire == {
        "documents": 1,
        "paragraphs": 2,
        "vectors": 2,
        "speakers": 1,
        "attributions": 2,
        "collections": ["wire"],
    }
    whole = json.loads(run("stats", "--index", index_dir, "--json").stdout)
    assert "collections" not in whole and whole["documents"] == 8

    question = "When will the harbour ferry run more often?"
    for flags, expected in [
        (["--collection", "wire"], {"wire"}),
        (["--collection", "default"], set()),
    ]:
        result = run("ask", question, "--index", index_dir, "--json", *flags)
        record = json.loads(result.stdout)
        assert record["collections"] == [flags[1]]
        assert {h["collection"] for h in record["hits"]} == expected
    record = json.loads(run("ask", question, "--index", index_dir, "--json").stdout)
    assert "collections" not in record and record["hits"]
    assert all("collection" not in hit for hit in record["hits"])  # the contract as it was


@pytest.mark.needs_model
def test_an_unknown_or_bad_collection_is_a_one_line_error(index_dir):
    result = run("ask", "bridge", "--index", index_dir, "--collection", "defualt")
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: no collection called 'defualt' in {index_dir} (it has: default; "
        "see `attribot collections`)"
    )
    result = run("stats", "--index", index_dir, "--collection", "a b")
    assert result.exit_code == 1 and "'a b' is not a collection name" in result.output
    result = run("ingest", index_dir, "--index", index_dir, "--collection", "../x")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1


def test_attribute_tags_each_line_with_the_collection_only_when_asked(sample_corpus):
    path = sample_corpus / "council-budget-hearing.vtt"
    plain = json.loads(run("attribute", path, "--json").stdout)
    tagged = json.loads(run("attribute", path, "--json", "--collection", "wire").stdout)
    assert "collection" not in plain
    assert tagged == {**plain, "collection": "wire"}
    assert run("attribute", path, "--collection", "a b").exit_code == 1
