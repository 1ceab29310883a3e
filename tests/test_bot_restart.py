"""Graceful restart: on SIGTERM/SIGINT the answers in flight are finished, new questions get a
private "restarting" note, and the index and the answer log close only after every worker
thread is done with them.

The first tests run a real `attribot run` process (tests/restart_driver.py: the real run
loop, model, FAISS and SQLite; only Discord's HTTP and gateway faked) and send it a real
signal with 16 searches in flight. The others drive the same shutdown in-process, for what
a process test would make slow: the drain deadline, clicks, autocomplete and mentions
during a drain, and a closed HTTP session.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from bot.replies import RESTARTING
from tests.conftest import QUESTION, ROOT, final, start_bot
from tests.discord_helpers import as_stored_message
from tests.restart_driver import HeldSearches, until

QUESTIONS = 16
FORBIDDEN = ("Traceback", "ProgrammingError", "Task exception was never retrieved", "Unclosed")


def run_driver(index, tmp_path, signum: int) -> tuple[int, float]:
    """Start tests/restart_driver.py, signal it once its searches are in flight; its exit code
    and how long it took to exit after the signal. Its log goes to stderr.log."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DISCORD_TOKEN", None)
    command = [sys.executable, "-m", "tests.restart_driver", str(index), str(tmp_path / "r.json")]
    command += ["--questions", str(QUESTIONS), "--drain-seconds", "20"]
    with (
        open(tmp_path / "stderr.log", "w") as stderr,
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        ) as driver,
    ):
        try:
            line = driver.stdout.readline()  # the driver holds 16 searches, then says so
            assert line.startswith(f"IN FLIGHT {QUESTIONS}"), line
            driver.send_signal(signum)
            signalled = time.monotonic()
            code = driver.wait(timeout=60)
        finally:
            if driver.poll() is None:
                driver.kill()
    return code, time.monotonic() - signalled


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_with_16_answers_in_flight_delivers_every_one_and_exits_cleanly(
    built_index, tmp_path, signum
):
    code, seconds = run_driver(built_index, tmp_path, signum)
    log = (tmp_path / "stderr.log").read_text()
    assert code == 0, log
    for text in FORBIDDEN:
        assert text not in log, log
    assert "ERROR" not in log and "bot closed" in log, log
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["asked"] == result["answered"] == result["searches_finished"] == QUESTIONS
    # the question that came during the drain: at once, a private note and nothing else
    (late,) = result["late"]
    assert late == {"type": 4, "ephemeral": True, "content": RESTARTING}
    assert result["running_at_answer_log_close"] == result["running_at_index_close"] == 0
    assert seconds < 20  # finished by the answers, not by the drain deadline


# -- the same shutdown in-process ----------------------------------------------------------------
@pytest.fixture()
def held(service, monkeypatch):
    searches = HeldSearches(service.ask)
    monkeypatch.setattr(service, "ask", searches)
    yield searches
    searches.release.set()


async def shutting_down(h, held: HeldSearches, count: int = 1) -> tuple[asyncio.Task, list]:
    """`count` questions held in flight, then `bot.close()` started: the bot is draining.
    The closing task, and the questions' payloads."""
    payloads = [h.ask_payload(f"{QUESTION} ({i})", user_id=700 + i) for i in range(count)]
    for payload in payloads:
        h.deliver(payload)
    await until(lambda: held.running == min(count, 2), what="searches in flight")
    closing = asyncio.create_task(h.bot.close())
    await until(lambda: h.bot.draining, what="draining")
    return closing, payloads


def answered(h, payload) -> bool:
    return any(c.embeds for c in h.calls_for(payload))


async def test_close_waits_for_the_answers_in_flight_and_turns_new_questions_away(
    service, tmp_path, held
):
    h = await start_bot(service, tmp_path, drain_seconds=30)
    closing, asked = await shutting_down(h, held, count=3)
    late = h.ask_payload("Who spoke about the ferry timetable?", user_id=799)
    h.deliver(late)
    await until(lambda: bool(h.calls_for(late)), what="the late reply")
    await asyncio.sleep(0.2)  # the drain goes on while the searches are held
    assert not closing.done()
    held.release.set()
    await asyncio.wait_for(closing, 30)
    assert all(answered(h, p) for p in asked)
    (note,) = h.calls_for(late)
    assert note.payload["type"] == 4 and note.ephemeral and note.content == RESTARTING
    assert h.bot.is_closed()


async def test_what_the_drain_deadline_cuts_off_is_told_to_ask_again_and_closes_safely(
    service, tmp_path, held, monkeypatch
):
    h = await start_bot(service, tmp_path, drain_seconds=0.3)
    log = h.bot.answers
    log_closed_with_running: list[int] = []
    close_log = log.close
    monkeypatch.setattr(
        log, "close", lambda: (log_closed_with_running.append(held.running), close_log())
    )
    threading.Timer(1.5, held.release.set).start()  # the search outlives the deadline
    closing, (payload,) = await shutting_down(h, held)
    started = time.monotonic()
    await asyncio.wait_for(closing, 30)
    assert time.monotonic() - started >= 1.0  # the worker thread was waited for...
    assert log_closed_with_running == [0]  # ...before the answer log was closed
    calls = h.calls_for(payload)
    assert not answered(h, payload)
    note = final(calls)
    assert note.ephemeral and note.content == RESTARTING
    assert [c.method for c in calls if "messages/@original" in c.path] == ["DELETE"]


async def test_clicks_autocomplete_and_mentions_during_a_drain_are_turned_away(
    service, tmp_path, held
):
    h = await start_bot(service, tmp_path, drain_seconds=30)
    held.release.set()
    answer = final(await h.command("ask", question=QUESTION))
    more = next(i for i in answer.custom_ids if ":more:" in i)
    held.release.clear()
    closing, _ = await shutting_down(h, held)
    start = len(h.fake.calls)
    h.deliver(
        h._interaction(
            3,
            {"custom_id": more, "component_type": 2},
            user_id=701,
            permissions=0,
            message=as_stored_message(answer),
        )
    )
    await until(lambda: len(h.fake.calls) > start, what="the click's reply")
    click = h.fake.calls[start]
    assert click.payload["type"] == 4 and click.ephemeral and click.content == RESTARTING
    start = len(h.fake.calls)
    h.deliver(
        h._interaction(
            4,
            h.command_data("quotes", {"speaker": "oka"}, focused="speaker"),
            user_id=702,
            permissions=0,
        )
    )
    await until(lambda: len(h.fake.calls) > start, what="the autocomplete's reply")
    assert h.fake.calls[start].payload == {"type": 8, "data": {"choices": []}}
    start = len(h.fake.calls)
    h.deliver_message("<@900000000000000002> who said waiting is not an option?")
    await until(lambda: len(h.fake.calls) > start, what="the mention's reply")
    reply = h.fake.calls[start]
    assert reply.content == RESTARTING and reply.payload["message_reference"]
    assert not reply.payload["allowed_mentions"].get("replied_user")
    held.release.set()
    await asyncio.wait_for(closing, 30)


async def test_a_closed_http_session_is_logged_never_raised(service, tmp_path, caplog):
    h = await start_bot(service, tmp_path)
    answer = final(await h.command("ask", question=QUESTION))
    h.fake.session_closed = True  # what aiohttp raises once a shutdown closed the session
    caplog.set_level(logging.WARNING)
    assert await h.command("ask", question=QUESTION) == []
    assert await h.click(answer.custom_ids[-1], as_stored_message(answer)) == []
    gc.collect()  # a task that died with an exception reports it when collected
    await h.bot.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert "Task exception was never retrieved" not in caplog.text
    assert "Session is closed" in caplog.text  # logged as a warning, once per reply
