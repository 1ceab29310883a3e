"""Buttons that keep working after a restart: "More", 👍/👎 and the /speakers pager.

Each button is a `discord.ui.DynamicItem`: its custom_id is a template Discord hands back on
every click, and the bot registers the templates (not message ids) in `setup_hook`. So a
button on a message sent by yesterday's process is handled by today's.

What a click needs beyond the custom_id's 100 characters (the question, the speaker, the
passages shown) is kept in a small SQLite file beside the index (`AnswerLog`), keyed by a
random 12-hex-digit id carried in the custom_id. The pager needs nothing stored: its page and
filter fit in the custom_id. The log keeps answers for `ATTRIBOT_ANSWER_DAYS` (and at most
`MAX_ANSWERS` of them): a click on an older answer gets a polite "too old" reply.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord

from bot import embeds as E

if TYPE_CHECKING:
    from bot.app import AttribotBot

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
ANSWER_LOG_FILE = "discord_answers.sqlite3"
MAX_RESULTS = 25  # AttribotService.ask caps top_k here: "More" cannot page past it
FILTER_IN_ID_MAX = 60  # custom_id is at most 100 characters
MAX_ANSWERS = 200_000  # a flood of questions cannot grow the log without bound (~100 MB)
PRUNE_EVERY = 500  # inserts between prunes; the first insert of a process prunes too


@dataclass(slots=True)
class AnswerRecord:
    key: str
    kind: str  # ask | quotes
    question: str  # the question, or the topic for quotes ("" for none)
    speaker: str | None
    top_k: int
    offset: int  # how many passages came before this page
    paragraph_ids: list[int]
    private: bool


class AnswerLog:
    """Answers shown on Discord, so their buttons can act on them after a restart.

    Every method is blocking SQLite work: the bot calls them in a thread (`run_io`).
    """

    def __init__(
        self, path: str | Path, max_age_days: float = 30.0, max_answers: int = MAX_ANSWERS
    ):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_age_seconds = max_age_days * 86400
        self.max_answers = max_answers
        self._lock = threading.Lock()
        self._until_prune = 0  # the first insert prunes what older processes left
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, kind TEXT NOT NULL, "
            "question TEXT NOT NULL, speaker TEXT, top_k INTEGER NOT NULL, "
            "offset INTEGER NOT NULL, paragraph_ids TEXT NOT NULL, private INTEGER NOT NULL, "
            "created REAL NOT NULL)"
        )
        # Pruning deletes the oldest rows: by index, not by scanning the table.
        self._db.execute("CREATE INDEX IF NOT EXISTS answers_created ON answers(created)")
        self._db.commit()

    def prune(self, now: float | None = None) -> int:
        """Forget answers older than the age limit, then the oldest beyond the count limit;
        how many were removed."""
        cutoff = (time.time() if now is None else now) - self.max_age_seconds
        with self._lock, self._db:
            removed = self._db.execute("DELETE FROM answers WHERE created < ?", (cutoff,)).rowcount
            excess = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            excess -= self.max_answers
            if excess > 0:
                removed += self._db.execute(
                    "DELETE FROM answers WHERE key IN "
                    "(SELECT key FROM answers ORDER BY created LIMIT ?)",
                    (excess,),
                ).rowcount
            self._until_prune = PRUNE_EVERY
        if removed:
            log.info("answer log pruned removed=%d", removed)
        return removed

    def add(
        self,
        kind: str,
        question: str,
        speaker: str | None,
        top_k: int,
        offset: int,
        paragraph_ids: list[int],
        private: bool,
    ) -> AnswerRecord:
        record = AnswerRecord(
            secrets.token_hex(6), kind, question, speaker, top_k, offset, paragraph_ids, private
        )
        with self._lock:
            self._db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.key,
                    kind,
                    question,
                    speaker,
                    top_k,
                    offset,
                    ",".join(map(str, paragraph_ids)),
                    int(private),
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
                "SELECT key, kind, question, speaker, top_k, offset, paragraph_ids, private "
                "FROM answers WHERE key=? AND created >= ?",
                (key, cutoff),
            ).fetchone()
        if row is None:
            return None
        ids = [int(x) for x in row[6].split(",") if x]
        return AnswerRecord(row[0], row[1], row[2], row[3], row[4], row[5], ids, bool(row[7]))

    def close(self) -> None:
        with self._lock:
            self._db.close()


# -- buttons ---------------------------------------------------------------------------------
class MoreButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"attribot:more:(?P<key>[0-9a-f]{12})"
):
    def __init__(self, key: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="More",
                emoji="➕",
                style=discord.ButtonStyle.secondary,
                custom_id=f"attribot:more:{key}",
            )
        )
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> MoreButton:
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: AttribotBot = interaction.client  # type: ignore[assignment]
        await bot.guarded(interaction, show_more(bot, interaction, self.key))


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"attribot:vote:(?P<key>[0-9a-f]{12}):(?P<vote>up|down)",
):
    def __init__(self, key: str, vote: str) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"attribot:vote:{key}:{vote}",
            )
        )
        self.key = key
        self.vote = vote

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> VoteButton:
        return cls(match["key"], match["vote"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: AttribotBot = interaction.client  # type: ignore[assignment]
        await bot.guarded(interaction, record_vote(bot, interaction, self.key, self.vote))


class SpeakersPageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"attribot:speakers:(?P<dir>prev|next):(?P<page>\d{1,5}):(?P<filter>.{0,60})",
):
    def __init__(self, direction: str, page: int, name_filter: str, disabled: bool = False):
        name_filter = name_filter[:FILTER_IN_ID_MAX]
        super().__init__(
            discord.ui.Button(
                label="Previous" if direction == "prev" else "Next",
                emoji="◀️" if direction == "prev" else "▶️",
                style=discord.ButtonStyle.secondary,
                custom_id=f"attribot:speakers:{direction}:{page}:{name_filter}",
                disabled=disabled,
            )
        )
        self.page = page
        self.name_filter = name_filter

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> SpeakersPageButton:
        return cls(match["dir"], int(match["page"]), match["filter"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: AttribotBot = interaction.client  # type: ignore[assignment]
        await bot.guarded(
            interaction, turn_speakers_page(bot, interaction, self.page, self.name_filter)
        )


DYNAMIC_ITEMS = (MoreButton, VoteButton, SpeakersPageButton)


def answer_view(record: AnswerRecord | None, has_more: bool) -> discord.ui.View | None:
    if record is None:
        return None
    view = discord.ui.View(timeout=None)
    if has_more:
        view.add_item(MoreButton(record.key))
    view.add_item(VoteButton(record.key, "up"))
    view.add_item(VoteButton(record.key, "down"))
    return view


def speakers_view(page: int, pages: int, name_filter: str | None) -> discord.ui.View | None:
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    name_filter = (name_filter or "")[:FILTER_IN_ID_MAX]
    view.add_item(SpeakersPageButton("prev", max(0, page - 1), name_filter, disabled=page <= 0))
    view.add_item(
        SpeakersPageButton(
            "next", min(pages - 1, page + 1), name_filter, disabled=page >= pages - 1
        )
    )
    return view


# -- what the buttons do ---------------------------------------------------------------------
async def send_answer(
    bot: AttribotBot,
    interaction: discord.Interaction,
    *,
    kind: str,
    question: str,
    speaker: str | None,
    top_k: int,
    offset: int,
    hits: list,
    private: bool,
    lead: str | None = None,
) -> None:
    """Send one page of an answer as the deferred reply (or a follow-up), with its buttons;
    `lead` (the answer line) goes above the passages."""
    record = None
    if hits:
        record = await bot.run_io(
            bot.remember_answer,
            kind,
            question,
            speaker,
            top_k,
            offset,
            [h.paragraph_id for h in hits],
            private,
        )
    heading = "Q" if kind == "ask" else "Quotes"
    embeds = E.answer_embeds(
        question or (speaker or ""), hits, offset=offset, speaker=speaker, heading=heading
    )
    has_more = len(hits) >= top_k and offset + 2 * top_k <= MAX_RESULTS
    view = answer_view(record, has_more)
    kwargs: dict[str, Any] = {"embeds": embeds, "ephemeral": private, "allowed_mentions": NONE}
    if lead and hits:
        kwargs["content"] = lead
    if view is not None:
        kwargs["view"] = view
    await interaction.followup.send(**kwargs)
    release(view)


def release(view: discord.ui.View | None) -> None:
    """Forget a sent view: its buttons are dynamic items, dispatched by custom_id template,
    so keeping the View object (and, for an ephemeral message, its 15-minute timeout task
    that discord.py starts) would only hold memory."""
    if view is not None:
        view.stop()


async def show_more(bot: AttribotBot, interaction: discord.Interaction, key: str) -> None:
    bot.check_cooldown("ask", interaction.user.id)
    private = bool(interaction.message and interaction.message.flags.ephemeral)
    interaction.extras["ephemeral"] = private  # so a private reply below stays private
    await interaction.response.defer(thinking=True, ephemeral=private)
    record = await bot.run_io(bot.recall_answer, key)
    if record is None:
        await tell_privately(interaction, too_old(bot, "to continue") + " Please ask again.")
        return
    offset = record.offset + record.top_k
    depth = min(MAX_RESULTS, offset + record.top_k)
    service = await bot.get_service()
    if record.kind == "quotes":
        hits = await bot.run_blocking(
            service.quotes, record.speaker or "", record.question or None, depth
        )
    else:
        answer = await bot.run_blocking(service.ask, record.question, depth, record.speaker)
        hits = answer.hits
    page = hits[offset:depth]
    if not page:
        await interaction.followup.send(
            "No more passages for that question.", ephemeral=True, allowed_mentions=NONE
        )
        return
    await send_answer(
        bot,
        interaction,
        kind=record.kind,
        question=record.question,
        speaker=record.speaker,
        top_k=record.top_k,
        offset=offset,
        hits=page,
        private=record.private,
    )


async def record_vote(
    bot: AttribotBot, interaction: discord.Interaction, key: str, vote: str
) -> None:
    await interaction.response.defer(thinking=True, ephemeral=True)
    record = await bot.run_io(bot.recall_answer, key)
    if record is None:
        await interaction.followup.send(
            too_old(bot, "to rate"), ephemeral=True, allowed_mentions=NONE
        )
        return
    value = 1 if vote == "up" else -1
    service = await bot.get_service()
    label = (
        record.question if record.kind == "ask" else f"quotes:{record.speaker}:{record.question}"
    )
    outcome = await bot.run_io(
        service.record_feedback, interaction.user.id, label, record.paragraph_ids, value, key
    )
    log.info(
        "feedback %s",
        outcome,
        extra={"user_id": interaction.user.id, "vote": value, "answer": record.key},
    )
    await interaction.followup.send(
        VOTE_REPLIES[outcome].format(emoji="👍" if value > 0 else "👎"),
        ephemeral=True,
        allowed_mentions=NONE,
    )


VOTE_REPLIES = {
    "recorded": "Thanks, your vote is recorded {emoji}",
    "changed": "Thanks, your vote is changed to {emoji}",
    "unchanged": "You already voted {emoji} on this answer: it still counts once.",
}


def too_old(bot: AttribotBot, action: str) -> str:
    days = bot.settings.answer_days
    kept = f"{days:g} day" + ("" if days == 1 else "s")
    return f"Sorry, that answer is too old {action}: answers are kept for {kept}."


async def tell_privately(interaction: discord.Interaction, text: str) -> None:
    from bot.app import send_ephemeral  # bot.app imports this module

    await send_ephemeral(interaction, text)


async def turn_speakers_page(
    bot: AttribotBot, interaction: discord.Interaction, page: int, name_filter: str
) -> None:
    await interaction.response.defer()  # a component defer: "edit this message later"
    service = await bot.get_service()
    speakers = await bot.run_io(service.speakers, name_filter or None)
    embed, pages = E.speakers_embed(speakers, page, name_filter or None)
    page = min(page, pages - 1)
    await interaction.edit_original_response(
        embed=embed, view=speakers_view(page, pages, name_filter), allowed_mentions=NONE
    )
