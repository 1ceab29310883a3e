"""Buttons that keep working after a restart: "More", 👍/👎 and the /speakers pager, and
what a click on each does.

Each button is a `discord.ui.DynamicItem`: its custom_id is a template Discord hands back on
every click, and the bot registers the templates (not message ids) in `setup_hook`. So a
button on a message sent by yesterday's process is handled by today's. What a click needs
beyond the custom_id's 100 characters is in the answer log (bot/answer_log.py), keyed by the
id the custom_id carries; the pager needs nothing stored: its page and filter fit in the
custom_id.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from bot import embeds as E
from bot.answer_log import AnswerRecord
from bot.render import plural
from bot.replies import NONE, guarded, send_ephemeral
from bot.scopes import place_of
from bot.service import MAX_RESULTS
from retrieval.models import Hit

if TYPE_CHECKING:
    from bot.app import AttribotBot

log = logging.getLogger(__name__)

FILTER_IN_ID_MAX = 60  # custom_id is at most 100 characters


# -- buttons ---------------------------------------------------------------------------------
class Admitted:
    """A click is work in flight too: admitted (a shutdown waits for it), or turned away with
    a "restarting" note while the bot shuts down. Mixed in before DynamicItem."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        bot: AttribotBot = interaction.client  # type: ignore[assignment]
        return await bot.admit(interaction)


class MoreButton(
    Admitted,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"attribot:more:(?P<key>[0-9a-f]{12})",
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
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any
    ) -> MoreButton:
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: AttribotBot = interaction.client  # type: ignore[assignment]
        await guarded(interaction, show_more(bot, interaction, self.key))


class VoteButton(
    Admitted,
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
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any
    ) -> VoteButton:
        return cls(match["key"], match["vote"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: AttribotBot = interaction.client  # type: ignore[assignment]
        await guarded(interaction, record_vote(bot, interaction, self.key, self.vote))


class SpeakersPageButton(
    Admitted,
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
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any
    ) -> SpeakersPageButton:
        return cls(match["dir"], int(match["page"]), match["filter"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: AttribotBot = interaction.client  # type: ignore[assignment]
        await guarded(
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


# -- what sending an answer and a click do ---------------------------------------------------
async def send_answer(
    bot: AttribotBot,
    send: Callable[..., Awaitable[Any]],
    page: AnswerRecord,
    hits: list[Hit],
    lead: str | None = None,
    *,
    asked: str | None = None,
    empty: str | None = None,
) -> None:
    """Send one page of an answer with its buttons through `send` (an interaction's
    follow-up, a thread's or a message's reply), and log it so the buttons keep working.
    `lead`, the answer line (and a follow-up's context), goes above the passages. `asked`
    is the question as shown when it differs from the one searched (a follow-up as the
    user wrote it); `empty` what to say instead of the usual no-answer."""
    record = None
    if hits:
        shown = replace(page, paragraph_ids=[h.paragraph_id for h in hits])
        record = await bot.run_io(bot.remember_answer, shown)
    heading = "Q" if page.kind == "ask" else "Quotes"
    embeds = E.answer_embeds(
        asked or page.question or (page.speaker or ""),
        hits,
        offset=page.offset,
        speaker=page.speaker,
        heading=heading,
        empty=empty,
    )
    has_more = len(hits) >= page.top_k and page.offset + 2 * page.top_k <= MAX_RESULTS
    view = answer_view(record, has_more)
    kwargs: dict[str, Any] = {"embeds": embeds, "allowed_mentions": NONE}
    if lead:
        kwargs["content"] = lead
    if view is not None:
        kwargs["view"] = view
    await send(**kwargs)
    release(view)


def followup(interaction: discord.Interaction, private: bool) -> Callable[..., Awaitable[Any]]:
    """`send` for `send_answer`: the interaction's follow-up, private or not."""
    return functools.partial(interaction.followup.send, ephemeral=private)


def release(view: discord.ui.View | None) -> None:
    """Forget a sent view: its buttons are dynamic items, dispatched by custom_id template,
    so keeping the View object (and, for an ephemeral message, its 15-minute timeout task
    that discord.py starts) would only hold memory."""
    if view is not None:
        view.stop()


async def show_more(bot: AttribotBot, interaction: discord.Interaction, key: str) -> None:
    """The next page of an answer, searched again within what the clicking server sees."""
    bot.check_cooldown("ask", interaction.user.id)
    private = bool(interaction.message and interaction.message.flags.ephemeral)
    interaction.extras["ephemeral"] = private  # so a private reply below stays private
    await interaction.response.defer(thinking=True, ephemeral=private)
    record = await bot.run_io(bot.recall_answer, key)
    if record is None:
        await send_ephemeral(interaction, too_old(bot, "to continue") + " Please ask again.")
        return
    if given_elsewhere(record, interaction):
        await send_ephemeral(interaction, ELSEWHERE)
        return
    offset = record.offset + record.top_k
    depth = min(MAX_RESULTS, offset + record.top_k)
    service = await bot.get_service()
    scope = bot.scope_for(interaction.guild_id)
    if record.kind == "quotes":
        hits = await bot.run_blocking(
            service.quotes, record.speaker or "", record.question or None, depth, scope
        )
    else:
        answer = await bot.run_blocking(service.ask, record.question, depth, record.speaker, scope)
        hits = answer.hits
    page = hits[offset:depth]
    if not page:
        await interaction.followup.send(
            "No more passages for that question.", ephemeral=True, allowed_mentions=NONE
        )
        return
    await send_answer(
        bot, followup(interaction, record.private), replace(record, offset=offset), page
    )


ELSEWHERE = "That answer was given in another server or conversation: ask your question here."


def given_elsewhere(record: AnswerRecord, interaction: discord.Interaction) -> bool:
    """Whether an answer's button was clicked outside the server (or DMs) it was given in:
    then it does nothing, so no page of another server's corpus is ever shown. Answers
    logged before they recorded a place are searched again within the clicker's scope."""
    return record.place is not None and record.place != place_of(interaction.guild_id)


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
    if given_elsewhere(record, interaction):
        await interaction.followup.send(ELSEWHERE, ephemeral=True, allowed_mentions=NONE)
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
    kept = plural(bot.settings.answer_days, "day")
    return f"Sorry, that answer is too old {action}: answers are kept for {kept}."


async def turn_speakers_page(
    bot: AttribotBot, interaction: discord.Interaction, page: int, name_filter: str
) -> None:
    await interaction.response.defer()  # a component defer: "edit this message later"
    service = await bot.get_service()
    scope = bot.scope_for(interaction.guild_id)
    speakers = await bot.run_io(service.speakers, name_filter or None, scope)
    embed, pages = E.speakers_embed(speakers, page, name_filter or None)
    page = min(page, pages - 1)
    await interaction.edit_original_response(
        embed=embed, view=speakers_view(page, pages, name_filter), allowed_mentions=NONE
    )
