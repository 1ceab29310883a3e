"""Votes (one per user per answer, last click wins) and the answer log's pruning, through the
real bot, SQLite and index; only Discord's network is faked (tests/discord_helpers.py)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from bot import answer_log
from bot.answer_log import AnswerLog, AnswerRecord
from bot.service import AttribotService
from retrieval.store import Store
from tests.conftest import QUESTION, bot_settings, final, start_bot
from tests.discord_helpers import ADMIN_ID, MEMBER_ID, as_stored_message

DAY = 86400.0

OLD_FEEDBACK = """
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    question TEXT NOT NULL,
    paragraph_ids TEXT NOT NULL,
    vote INTEGER NOT NULL,
    at TEXT NOT NULL DEFAULT (datetime('now'))
)
"""


def feedback_rows(service) -> list[tuple]:
    db = sqlite3.connect(service.index.folder / "attribot.sqlite3")
    try:
        return db.execute(
            "SELECT user_id, vote, answer_key FROM feedback ORDER BY user_id, id"
        ).fetchall()
    finally:
        db.close()


async def ask(h):
    answer = final(await h.command("ask", question=QUESTION, top_k=2))
    up = next(i for i in answer.custom_ids if i.endswith(":up"))
    down = next(i for i in answer.custom_ids if i.endswith(":down"))
    return answer, up, down


async def vote(h, custom_id, message, user_id=MEMBER_ID) -> str:
    calls = await h.click(custom_id, message, user_id=user_id)
    reply = final(calls)
    assert reply.ephemeral or calls[0].payload == {"type": 5, "data": {"flags": 64}}
    return reply.content


def make_legacy(db_path) -> None:
    """Turn an index's feedback table back into the one older Attribots created, with the
    duplicate rows they could leave (every click was a new row)."""
    db = sqlite3.connect(db_path)
    with db:
        db.execute("DROP INDEX IF EXISTS feedback_user_answer")
        db.execute("DROP TABLE feedback")
        db.execute(OLD_FEEDBACK)
        db.executemany(
            "INSERT INTO feedback(user_id, question, paragraph_ids, vote) VALUES (?, ?, ?, ?)",
            [("7", "q", "1,2", 1), ("7", "q", "1,2", 1), ("7", "q", "1,2", -1), ("8", "q", "3", 1)],
        )
    db.close()


# -- one vote per user per answer -----------------------------------------------------------
async def test_same_vote_twice_keeps_one_row(writable_service, tmp_path):
    h = await start_bot(writable_service, tmp_path)
    try:
        answer, up, _ = await ask(h)
        message = as_stored_message(answer)
        assert "recorded 👍" in await vote(h, up, message)
        assert "already voted 👍" in await vote(h, up, message)
        key = up.split(":")[2]
        assert feedback_rows(writable_service) == [(str(MEMBER_ID), 1, key)]
    finally:
        await h.bot.close()


async def test_switching_vote_replaces_it(writable_service, tmp_path):
    h = await start_bot(writable_service, tmp_path)
    try:
        answer, up, down = await ask(h)
        message = as_stored_message(answer)
        await vote(h, up, message)
        assert "changed to 👎" in await vote(h, down, message)
        assert [r[:2] for r in feedback_rows(writable_service)] == [(str(MEMBER_ID), -1)]
        assert "changed to 👍" in await vote(h, up, message)
        assert [r[:2] for r in feedback_rows(writable_service)] == [(str(MEMBER_ID), 1)]
    finally:
        await h.bot.close()


async def test_two_users_and_two_answers_are_separate_votes(writable_service, tmp_path):
    h = await start_bot(writable_service, tmp_path)
    try:
        first, up, _ = await ask(h)
        second, _, down2 = await ask(h)
        assert "recorded" in await vote(h, up, as_stored_message(first), MEMBER_ID)
        assert "recorded" in await vote(h, up, as_stored_message(first), ADMIN_ID)
        assert "recorded" in await vote(h, down2, as_stored_message(second), MEMBER_ID)
        rows = feedback_rows(writable_service)
        assert sorted(r[:2] for r in rows) == sorted(
            [(str(MEMBER_ID), 1), (str(ADMIN_ID), 1), (str(MEMBER_ID), -1)]
        )
        assert len({r[2] for r in rows}) == 2
    finally:
        await h.bot.close()


# -- indexes built before votes had a key ----------------------------------------------------
def test_old_feedback_table_is_migrated_in_place_keeping_its_rows(tmp_path):
    path = tmp_path / "attribot.sqlite3"
    Store(path).close()  # a fresh index database, then made old
    make_legacy(path)

    store = Store(path)  # opens fine: adds the column and the partial unique index
    try:
        legacy = store.db.execute(
            "SELECT user_id, vote, answer_key FROM feedback ORDER BY id"
        ).fetchall()
        assert [tuple(r) for r in legacy] == [
            ("7", 1, None),
            ("7", 1, None),
            ("7", -1, None),
            ("8", 1, None),
        ]
        assert store.record_feedback("7", "q", [1, 2], 1, "0123456789ab") == "recorded"
        assert store.record_feedback("7", "q", [1, 2], 1, "0123456789ab") == "unchanged"
        assert store.record_feedback("7", "q", [1, 2], -1, "0123456789ab") == "changed"
        counts = store.db.execute("SELECT COUNT(*), COUNT(answer_key) FROM feedback").fetchone()
        assert tuple(counts) == (5, 1)
        # The database itself refuses a second keyed vote by the same user.
        with pytest.raises(sqlite3.IntegrityError), store.transaction() as conn:
            conn.execute(
                "INSERT INTO feedback(user_id, question, paragraph_ids, vote, answer_key) "
                "VALUES ('7', 'q', '', 1, '0123456789ab')"
            )
    finally:
        store.close()
    Store(path).close()  # and opening again changes nothing


async def test_votes_on_a_migrated_index_through_the_bot(index_copy, tmp_path):
    make_legacy(index_copy / "attribot.sqlite3")
    service = AttribotService(index_copy)
    h = await start_bot(service, tmp_path)
    try:
        answer, up, down = await ask(h)
        message = as_stored_message(answer)
        await vote(h, up, message)
        await vote(h, down, message)
        rows = feedback_rows(service)
        assert len(rows) == 5 and [r for r in rows if r[2]] == [
            (str(MEMBER_ID), -1, up.split(":")[2])
        ]
    finally:
        await h.bot.close()
        service.index.close()


# -- pruning the answer log ------------------------------------------------------------------
def add(log: AnswerLog, question: str = "q"):
    return log.add(AnswerRecord("ask", question, None, 5, paragraph_ids=[1, 2]))


def backdate(log: AnswerLog, key: str, days: float) -> None:
    db = sqlite3.connect(log.path)
    with db:
        db.execute("UPDATE answers SET created=? WHERE key=?", (time.time() - days * DAY, key))
    db.close()


def stored_keys(log: AnswerLog) -> set[str]:
    db = sqlite3.connect(log.path)
    try:
        return {r[0] for r in db.execute("SELECT key FROM answers")}
    finally:
        db.close()


def test_prune_removes_old_answers_and_keeps_recent_ones(tmp_path):
    log = AnswerLog(tmp_path / "answers.sqlite3", max_age_days=30)
    try:
        old, older, recent, fresh = (add(log) for _ in range(4))
        backdate(log, old.key, 31)
        backdate(log, older.key, 400)
        backdate(log, recent.key, 29)
        assert log.get(old.key) is None  # past the limit: gone even before a prune
        assert log.prune() == 2
        assert stored_keys(log) == {recent.key, fresh.key}
        assert log.get(recent.key) is not None and log.get(fresh.key) is not None
        assert log.prune() == 0
    finally:
        log.close()


def test_prune_keeps_at_most_the_newest_answers(tmp_path):
    log = AnswerLog(tmp_path / "answers.sqlite3", max_answers=3)
    try:
        records = [add(log, f"q{i}") for i in range(5)]
        for age, record in zip([5, 4, 3, 2, 1], records, strict=True):
            backdate(log, record.key, age)
        assert log.prune() == 2
        assert stored_keys(log) == {r.key for r in records[2:]}
    finally:
        log.close()


def test_inserts_prune_now_and_then(tmp_path, monkeypatch):
    monkeypatch.setattr(answer_log, "PRUNE_EVERY", 3)
    path = tmp_path / "answers.sqlite3"
    log = AnswerLog(path)
    stale = add(log)  # a process's first insert prunes; this one is then made old
    backdate(log, stale.key, 60)
    log.close()

    log = AnswerLog(path)  # a restart: the first insert prunes what it inherited
    try:
        first = add(log)
        assert stored_keys(log) == {first.key}
        late = add(log)
        backdate(log, late.key, 60)
        add(log)
        assert late.key in stored_keys(log)  # 2 inserts since the last prune
        add(log)  # the 3rd
        assert late.key not in stored_keys(log)
    finally:
        log.close()


async def test_startup_prunes_the_log(writable_service, tmp_path):
    h = await start_bot(writable_service, tmp_path, answer_days=2)
    try:
        answer, up, _ = await ask(h)
        backdate(h.bot.answers, up.split(":")[2], 3)
        assert await h.bot.run_io(h.bot.open_answers) is h.bot.answers
        assert stored_keys(h.bot.answers) == set()
    finally:
        await h.bot.close()


async def test_buttons_on_a_pruned_answer_answer_politely_in_private(writable_service, tmp_path):
    h = await start_bot(writable_service, tmp_path, answer_days=7)
    try:
        answer, up, _ = await ask(h)
        more = next(i for i in answer.custom_ids if i.startswith("attribot:more:"))
        message = as_stored_message(answer)  # a public answer
        backdate(h.bot.answers, up.split(":")[2], 8)
        assert h.bot.answers.prune() == 1

        calls = await h.click(up, message)
        reply = final(calls)
        assert calls[0].payload == {"type": 5, "data": {"flags": 64}}
        assert (
            reply.content == "Sorry, that answer is too old to rate: answers are kept for 7 days."
        )
        assert feedback_rows(writable_service) == []

        calls = await h.click(more, message)
        reply = final(calls)
        assert reply.ephemeral and "too old to continue" in reply.content
        assert "Please ask again." in reply.content
        # The public "thinking…" placeholder is removed, so the reply is really private.
        assert [c for c in calls if c.method == "DELETE"]
    finally:
        await h.bot.close()


def test_answer_days_setting(tmp_path, monkeypatch):
    assert bot_settings(tmp_path).answer_days == 30
    monkeypatch.setenv("ATTRIBOT_ANSWER_DAYS", "3.5")
    assert bot_settings(tmp_path).answer_days == 3.5
    monkeypatch.setenv("ATTRIBOT_ANSWER_DAYS", "0")
    with pytest.raises(ValueError):
        bot_settings(tmp_path)
