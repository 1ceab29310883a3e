import json

import pytest

from corpus.errors import CorpusError
from corpus.loaders import load_file, load_paths, looks_like_transcript


def test_txt_read_exactly_as_stored(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("Caf\u00e9 line.\r\nSecond.\r\n".encode())
    (doc,) = load_file(path).documents
    assert doc.text == "Caf\u00e9 line.\r\nSecond.\r\n"
    assert doc.doc_id == str(path.resolve())
    assert doc.title == "A"


JAPAN_US = (
    "Japan and the US signed the pact on Monday. Officials from the US said defence "
    'cooperation with Japan would deepen. "It helps us all," one said. Defence ministers meet '
    "in Tokyo next week, and US defence planners will join them."
)


@pytest.mark.parametrize(
    ("name", "text", "title"),
    [
        # a slug's lowercase words take the case the text gives them mid-sentence
        ("japan-us-defence-cooperation.txt", JAPAN_US, "Japan US defence cooperation"),
        # capitals in the name are kept as written, the first letter of a mixed word too
        ("Japan-US-defence-cooperation.txt", "", "Japan US defence cooperation"),
        ("iPhone-sales_2024.txt", "Sales rose.", "iPhone sales 2024"),
        ("NATO_summit.md", "The summit opened.", "NATO summit"),
        # no evidence in the text: as the name says, first letter raised
        ("storm-closes-port.txt", "The port closed. Storm damage was light.", "Storm closes port"),
        ("g7-talks.vtt", "WEBVTT\n\n00:00.000 --> 00:02.000\nThe G7 talks began.\n", "G7 talks"),
    ],
)
def test_title_from_a_file_name_keeps_or_restores_case(tmp_path, name, text, title):
    path = tmp_path / name
    path.write_text(text or "Some text here.")
    assert load_file(path).documents[0].title == title


def test_markdown_title_from_heading(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("# Storm closes port\n\nThe port closed.\n")
    assert load_file(path).documents[0].title == "Storm closes port"


def test_html_keeps_article_and_drops_boilerplate(sample_corpus):
    (doc,) = load_file(sample_corpus / "library-reopening.html").documents
    assert "Samuel Achterberg" in doc.text
    assert "Subscribe" not in doc.text and "Privacy" not in doc.text
    assert doc.title == "Eastfield library reopens after two-year rebuild"


def test_jsonl_documents_and_bad_lines_reported(tmp_path):
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a1", "text": "Alpha said hello.", "title": "A", "date": "2024-01-02"}),
        "{not json",
        json.dumps({"id": "a2"}),
        json.dumps({"id": "a1", "text": "duplicate"}),
        json.dumps({"id": 7, "text": "Seven."}),
    ]
    path.write_text("\n".join(lines) + "\n")
    report = load_file(path)
    assert [d.doc_id for d in report.documents] == ["a1", "7"]
    assert report.documents[0].date == "2024-01-02"
    assert [where for where, _ in report.skipped] == [f"{path}:2", f"{path}:3", f"{path}:4"]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", b"   \n", "empty file"),
        ("bin.txt", b"\x00\x01\x02binary", "binary"),
        ("latin.txt", "caf\u00e9".encode("latin-1"), "not valid UTF-8"),
        ("photo.png", b"\x89PNG", "unsupported file type"),
        ("blank.html", b"<html><body><nav>Home</nav></body></html>", "no readable text"),
    ],
)
def test_bad_files_raise_plain_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        load_file(path)


def test_size_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    with pytest.raises(CorpusError, match="over the"):
        load_file(path, max_bytes=100)


def test_folder_walk_ignores_other_files_and_reports_bad_ones(tmp_path):
    (tmp_path / "good.txt").write_text("Good text.")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.txt").write_bytes(b"\xff\xfe\x00")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "secret.txt").write_text("Hidden.")
    report = load_paths([tmp_path])
    assert [d.path for d in report.documents] == [str(tmp_path / "good.txt")]
    assert report.ignored == [str(tmp_path / "image.png")]
    assert [where for where, _ in report.skipped] == [str(tmp_path / "sub" / "bad.txt")]


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        load_paths([tmp_path / "nope"])


def test_transcript_detection(sample_corpus):
    assert looks_like_transcript((sample_corpus / "press-briefing.txt").read_text())
    assert not looks_like_transcript((sample_corpus / "harbour-bridge-repairs.txt").read_text())
