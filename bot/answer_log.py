"""The answers shown on Discord, kept so their buttons still act on them after a restart.

What a click needs beyond the custom_id's 100 characters (the question, the speaker, the
passages shown) is kept in a small SQLite file beside the index, keyed by a random
12-hex-digit id carried in the custom_id. The log keeps answers for `ATTRIBOT_ANSWER_DAYS`
(and at most `MAX_ANSWERS` of them): a click on an older answer gets a polite "too old" reply.

The same file keeps the conversations in the threads the bot started: per thread, its last
`conversation.MAX_TURNS` turns (question, person, topic, passages shown), so a follow-up
there is read with them, after a restart too. They are pruned like the answers: a thread
quiet for `ATTRIBOT_ANSWER_DAYS` is forgotten, and beyond `MAX_CONVERSATIONS` the longest
quiet ones go first.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.conversation import Conversation, Turn

log = logging.getLogger(__name__)

ANSWER_LOG_FILE = "discord_answers.sqlite3"
MAX_ANSWERS = 200_000  # a flood of questions cannot grow the log without bound (~100 MB)
MAX_CONVERSATIONS = 50_000  # threads whose context is kept (~1 KB each)
PRUNE_EVERY = 500  # inserts between prunes; the first insert of a process prunes too
_COLUMNS = "key, kind, question, speaker, top_k, offset, paragraph_ids, private, place"


@dataclass(slots=True)
class AnswerRecord:
    """One page of an answer as shown: enough to show the next page or to rate it."""

    kind: str  # ask | quotes
    question: str  # the question, or the topic for quotes ("" for none)
    speaker: str | None
    top_k: int
    offset: int = 0  # how many passages came before this page
    private: bool = False
    paragraph_ids: list[int] = field(default_factory=list)
    key: str = ""  # given by AnswerLog.add
    # where it was given ("guild:<id>", or "dm"): its buttons act only there. None in answers
    # logged before servers had collections of their own.
    place: str | None = None


class AnswerLog:
    """Answers shown on Discord, so their buttons can act on them after a restart.

    Every method is blocking SQLite work: the bot calls them in a thread (`run_io`).
    """

    def __init__(
        self,
        path: str | Path,
        max_age_days: float = 30.0,
        max_answers: int = MAX_ANSWERS,
        max_conversations: int = MAX_CONVERSATIONS,
    ):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_age_seconds = max_age_days * 86400
        self.max_answers = max_answers
        self.max_conversations = max_conversations
        self._lock = threading.Lock()
        self._until_prune = 0  # the first insert prunes what older processes left
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, kind TEXT NOT NULL, "
            "question TEXT NOT NULL, speaker TEXT, top_k INTEGER NOT NULL, "
            "offset INTEGER NOT NULL, paragraph_ids TEXT NOT NULL, private INTEGER NOT NULL, "
            "created REAL NOT NULL, place TEXT)"
        )
        # Pruning deletes the oldest rows: by index, not by scanning the table.
        self._db.execute("CREATE INDEX IF NOT EXISTS answers_created ON answers(created)")
        self._add_place()
        # A thread the bot started, keyed by its id, with its last turns as JSON.
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS conversations (thread TEXT PRIMARY KEY, "
            "place TEXT, turns TEXT NOT NULL, updated REAL NOT NULL)"
        )
        self._db.execute(
            "CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated)"
        )
        self._db.commit()

    def _add_place(self) -> None:
        """A log from before answers knew where they were given gets the column (NULL)."""
        if "place" in {r[1] for r in self._db.execute("PRAGMA table_info(answers)")}:
            return
        try:
            self._db.execute("ALTER TABLE answers ADD COLUMN place TEXT")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):  # another process added it just now
                raise

    def prune(self, now: float | None = None) -> int:
        """Forget answers and conversations older than the age limit, then the oldest beyond
        the count limits; how many were removed."""
        cutoff = (time.time() if now is None else now) - self.max_age_seconds
        with self._lock, self._db:
            removed = self._prune_table("answers", "key", "created", cutoff, self.max_answers)
            removed += self._prune_table(
                "conversations", "thread", "updated", cutoff, self.max_conversations
            )
            self._until_prune = PRUNE_EVERY
        if removed:
            log.info("answer log pruned removed=%d", removed)
        return removed

    def _prune_table(self, table: str, key: str, when: str, cutoff: float, most: int) -> int:
        """Delete a table's rows older than `cutoff`, then its oldest beyond `most` rows
        (the names are this module's constants, never input)."""
        db = self._db
        removed = db.execute(f"DELETE FROM {table} WHERE {when} < ?", (cutoff,)).rowcount
        excess = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] - most
        if excess > 0:
            removed += db.execute(
                f"DELETE FROM {table} WHERE {key} IN "
                f"(SELECT {key} FROM {table} ORDER BY {when} LIMIT ?)",
                (excess,),
            ).rowcount
        return removed

    def add(self, answer: AnswerRecord) -> AnswerRecord:
        """Store `answer` under a new key; the stored record (with its key)."""
        record = dataclasses.replace(answer, key=secrets.token_hex(6))
        with self._lock:
            self._db.execute(
                f"INSERT INTO answers({_COLUMNS}, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.key,
                    record.kind,
                    record.question,
                    record.speaker,
                    record.top_k,
                    record.offset,
                    ",".join(map(str, record.paragraph_ids)),
                    int(record.private),
                    record.place,
                    time.time(),
                ),
            )
            self._db.commit()
            self._until_prune -= 1
            due = self._until_prune <= 0
        if due:
            self.prune()
        return record

    def get(self, key: str) -> AnswerRecord | None:
        """The answer, or None when unknown or older than the age limit (pruned or due)."""
        cutoff = time.time() - self.max_age_seconds
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM answers WHERE key=? AND created >= ?",
                (key, cutoff),
            ).fetchone()
        if row is None:
            return None
        return AnswerRecord(
            kind=row[1],
            question=row[2],
            speaker=row[3],
            top_k=row[4],
            offset=row[5],
            private=bool(row[7]),
            paragraph_ids=[int(x) for x in row[6].split(",") if x],
            key=row[0],
            place=row[8],
        )

    # -- conversations in the threads the bot started -----------------------------------------
    def conversation(self, thread: str, place: str | None) -> Conversation | None:
        """The thread's last turns, or None when the bot did not start it (or it has been
        quiet longer than the age limit), or it was started somewhere other than `place`."""
        cutoff = time.time() - self.max_age_seconds
        with self._lock:
            row = self._db.execute(
                "SELECT place, turns FROM conversations WHERE thread=? AND updated >= ?",
                (thread, cutoff),
            ).fetchone()
        if row is None or row[0] != place:
            return None
        return Conversation([Turn.from_json(t) for t in json.loads(row[1])])

    def add_turn(self, thread: str, place: str | None, turn: Turn) -> Conversation:
        """Add a turn to the thread's conversation (starting it if new), keeping the last
        MAX_TURNS; the conversation as stored."""
        cutoff = time.time() - self.max_age_seconds  # a forgotten thread starts afresh
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT turns FROM conversations WHERE thread=? AND updated >= ?",
                (thread, cutoff),
            ).fetchone()
            conversation = Conversation(
                [Turn.from_json(t) for t in json.loads(row[0])] if row else []
            )
            conversation.add(turn)
            self._db.execute(
                "INSERT INTO conversations(thread, place, turns, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(thread) DO UPDATE SET turns=excluded.turns, "
                "updated=excluded.updated",
                (thread, place, json.dumps([t.to_json() for t in conversation.turns]), time.time()),
            )
            self._until_prune -= 1
            due = self._until_prune <= 0
        if due:
            self.prune()
        return conversation

    def close(self) -> None:
        with self._lock:
            self._db.close()
