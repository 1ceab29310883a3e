"""The answer line: one extractive sentence before the passages, on every surface.

Real model, FAISS, bm25s and SQLite over the bundled sample corpus (the `service` fixture).
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.render import render_answer

QUESTIONS = [
    "Who said “we found rust where we expected paint”?",
    "What did Dana Okafor say about the bridge?",
    "Who will pay for the new ferries?",
    "When does the library open on Sundays?",
    "Why did the vines freeze?",
    "How much will the bridge repairs cost?",
]


def words(text: str | None) -> set[str]:
    return set(re.findall(r"[^\W_]+", (text or "").lower()))


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_answer_line_holds_no_word_the_corpus_does_not(service, question):
    answer = service.ask(question)
    line = answer.line
    assert line is not None and answer.hits
    hit = next(h for h in answer.hits if h.paragraph_id == line.paragraph_id)
    start, end = line.span
    assert hit.text[start:end] and hit.text[start:end] in line.text  # the exact words
    allowed = words(hit.text) | words(line.speaker) | words(line.role) | {"said"}
    assert words(line.text) <= allowed, words(line.text) - allowed


def test_a_who_said_question_is_answered_with_the_speaker_role_and_exact_words(service):
    line = service.ask("Who said “we found rust where we expected paint”?").line
    assert line.speaker == "Dana Okafor"
    assert line.text.startswith("Dana Okafor, chief engineer of the Kestrel Transport Authority")
    assert "said: “We found rust where we expected paint”" in line.text


def test_a_what_did_question_is_answered_with_that_persons_words(service):
    line = service.ask("What did Priya Raman say about the lane closures?").line
    assert line.speaker == "Priya Raman"
    assert "my Saturday takings drop by a third" in line.text


def test_no_answer_has_no_line(service):
    answer = service.ask("quantum chromodynamics lattice gauge")
    assert answer.hits == [] and answer.line is None


def test_ask_json_adds_the_answer_field_and_text_output_leads_with_it(built_index):
    runner = CliRunner()
    question = "Who said “we found rust where we expected paint”?"
    result = runner.invoke(cli, ["ask", question, "--index", str(built_index), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert set(record["answer"]) == {"text", "speaker", "role", "paragraph_id", "span"}
    assert record["answer"]["speaker"] == "Dana Okafor"
    assert record["answer"]["paragraph_id"] in [h["paragraph_id"] for h in record["hits"]]
    text = runner.invoke(cli, ["ask", question, "--index", str(built_index)])
    assert text.output.splitlines()[0] == record["answer"]["text"]
    nothing = runner.invoke(
        cli, ["ask", "quantum chromodynamics lattice gauge", "--index", str(built_index), "--json"]
    )
    assert json.loads(nothing.output)["answer"] is None


def test_the_terminal_shows_the_answer_line_first(service):
    answer = service.ask("What did Dana Okafor say about the bridge?")
    assert render_answer(answer).splitlines()[0] == answer.line.text
