"""Asking: /ask, /quotes, /source, and "@Attribot who said …" in a channel, with follow-ups
in the threads the bot starts for those.

A message is a question when its text mentions the bot ("<@id>"), not when Discord merely
pings the bot because it replies to the bot's message ("thanks, that's what I needed!"). In
a thread the bot started, a message that reads as a question needs no mention (when Discord
sends its text: ATTRIBOT_MESSAGE_CONTENT), and every question there is read with the
thread's last turns (bot.conversation), kept in the answer log.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import embeds as E
from bot.answer_log import AnswerRecord
from bot.cogs.common import Speaker, user_cooldown
from bot.conversation import Conversation, looks_like_question
from bot.render import cut, no_passage
from bot.replies import NONE, UserFacingError, defer, describe_error
from bot.scopes import place_of
from bot.service import BadQuestion, clean_question
from bot.views import followup, send_answer

if TYPE_CHECKING:
    from bot.app import AttribotBot

log = logging.getLogger(__name__)

THREAD_NAME_MAX = 100


def _mention(user_id: int) -> str:
    return rf"<@!?{user_id}>"  # "<@id>", or the older "<@!id>"


def mentions(content: str, user_id: int) -> bool:
    """Whether the text itself mentions the user. A reply's automatic ping puts the
    replied-to author in `message.mentions` without a mention in the text: not a question."""
    return re.search(_mention(user_id), content or "") is not None


def strip_mention(content: str, user_id: int) -> str:
    """The question without the bot's own mention(s)."""
    return " ".join(re.sub(_mention(user_id), " ", content or "").split())


def started_by(channel: object, user_id: int) -> bool:
    """Whether `channel` is a thread that `user_id` (the bot) started."""
    return isinstance(channel, discord.Thread) and channel.owner_id == user_id


class AskCog(commands.Cog, name="Ask"):
    def __init__(self, bot: AttribotBot):
        self.bot = bot

    @app_commands.command(
        name="ask", description="Ask the news corpus: best passages and who said what"
    )
    @app_commands.describe(
        question="What you want to know, e.g. “What did the ambassador say about the navy?”",
        top_k="How many passages (1-10)",
        speaker="Only passages where this person is quoted",
        private="Only you see the answer",
    )
    @user_cooldown("ask")
    async def ask(
        self,
        interaction: discord.Interaction,
        question: str,
        top_k: app_commands.Range[int, 1, 10] = 5,
        speaker: Speaker | None = None,
        private: bool = False,
    ) -> None:
        # Validation is pure and instant, so it may come before the defer: a bad question
        # gets a private error instead of a public "thinking…" that turns into one.
        question = clean_question(question, self.bot.settings.max_question_chars)
        await defer(interaction, ephemeral=private)
        started = time.perf_counter()
        service = await self.bot.get_service()
        name = speaker.name if speaker is not None else None
        scope = self.bot.scope_for(interaction.guild_id)
        answer = await self.bot.run_blocking(service.ask, question, top_k, speaker, scope)
        hits = answer.hits
        log.info(
            "ask user=%s guild=%s top_k=%d speaker=%s hits=%d ms=%d",
            interaction.user.id,
            interaction.guild_id,
            top_k,
            name,
            len(hits),
            (time.perf_counter() - started) * 1000,
        )
        page = AnswerRecord(
            "ask", question, name, top_k, private=private, place=place_of(interaction.guild_id)
        )
        await send_answer(
            self.bot, followup(interaction, private), page, hits, E.answer_lead(answer)
        )

    @app_commands.command(name="quotes", description="What one person said, optionally on a topic")
    @app_commands.describe(
        speaker="Full name, surname or part of a name", topic="Only quotes about this"
    )
    @user_cooldown("ask")
    async def quotes(
        self, interaction: discord.Interaction, speaker: Speaker, topic: str | None = None
    ) -> None:
        if topic is not None and topic.strip():
            topic = clean_question(topic, self.bot.settings.max_question_chars)
        await defer(interaction)
        service = await self.bot.get_service()
        name = speaker.name
        top_k = 5
        scope = self.bot.scope_for(interaction.guild_id)
        hits = await self.bot.run_blocking(service.quotes, speaker, topic or None, top_k, scope)
        log.info(
            "quotes user=%s speaker=%s topic=%s hits=%d",
            interaction.user.id,
            name,
            bool(topic),
            len(hits),
        )
        page = AnswerRecord(
            "quotes", topic or "", name, top_k, place=place_of(interaction.guild_id)
        )
        await send_answer(self.bot, followup(interaction, False), page, hits)

    @app_commands.command(
        name="source", description="A passage in its article, with the paragraphs around it"
    )
    @app_commands.describe(paragraph_id="The passage id shown under an answer")
    @app_commands.rename(paragraph_id="id")
    async def source(
        self, interaction: discord.Interaction, paragraph_id: app_commands.Range[int, 1]
    ) -> None:
        await defer(interaction)
        service = await self.bot.get_service()
        scope = self.bot.scope_for(interaction.guild_id)  # another server's id: not found
        context = await self.bot.run_blocking(service.source, paragraph_id, 1, scope)
        if not any(hit.paragraph_id == paragraph_id for hit in context):
            raise UserFacingError(no_passage(paragraph_id))  # private, as every error
        await interaction.followup.send(
            embed=E.source_embed(paragraph_id, context), allowed_mentions=NONE
        )

    # -- "@Attribot who said …", and follow-ups in its threads -------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.webhook_id is not None:
            return
        # Only the bot's mention in the text: not a reply's ping, @everyone or a role.
        ours = started_by(message.channel, me.id)
        if not mentions(message.content, me.id) and not (
            ours and looks_like_question(message.content)
        ):
            return
        if not await self.bot.admit(message):  # shutting down: "ask again in a moment"
            return
        question = strip_mention(message.content, me.id)
        try:
            if not question:
                raise BadQuestion("ask a question after the mention, e.g. “@Attribot who said …”")
            question = clean_question(question, self.bot.settings.max_question_chars)
            self.bot.check_cooldown("ask", message.author.id)
        except (BadQuestion, app_commands.CommandOnCooldown) as exc:
            await message.reply(
                E.plain(describe_error(exc, None)),
                allowed_mentions=NONE,
                mention_author=False,
            )
            return
        try:
            await self._answer_mention(message, question, ours)
        except Exception as exc:  # noqa: BLE001 - the asker gets a short apology, logs the rest
            text = describe_error(exc, None)
            await message.reply(E.plain(text), allowed_mentions=NONE, mention_author=False)

    async def _answer_mention(self, message: discord.Message, question: str, ours: bool) -> None:
        """Answer in the thread the bot started (read with its conversation), or in a new
        thread on the message (which starts one), or as a reply."""
        top_k = 5
        guild_id = message.guild.id if message.guild else None
        place = place_of(guild_id)
        thread_id = message.channel.id if ours else None
        async with message.channel.typing():
            service = await self.bot.get_service()
            scope = self.bot.scope_for(guild_id)  # a follow-up sees what a question would
            conversation = None
            if thread_id is not None:
                conversation = await self.bot.run_io(self.bot.recall_conversation, thread_id, place)
            reply = await self.bot.run_blocking(
                service.converse, question, conversation or Conversation(), top_k, scope
            )
        answer, follow = reply.answer, reply.followup
        log.info(
            "mention user=%s guild=%s hits=%d mode=%s followup=%s",
            message.author.id,
            guild_id,
            len(answer.hits),
            self.bot.settings.mention_reply,
            follow.kind.value,
        )
        send, new_thread = await self._mention_reply_to(message, question)
        speaker = follow.person if follow.speaker_only else None
        page = AnswerRecord("ask", follow.question, speaker, top_k, place=place)
        await send_answer(
            self.bot,
            send,
            page,
            answer.hits,
            E.answer_lead(answer, reply.note),
            asked=question if follow.continues else None,
            empty=follow.nothing(),
        )
        thread_id = thread_id or new_thread
        if thread_id is not None:  # the thread's conversation goes on from this answer
            await self.bot.run_io(self.bot.remember_turn, thread_id, place, reply.turn)

    async def _mention_reply_to(
        self, message: discord.Message, question: str
    ) -> tuple[Callable[..., Awaitable[Any]], int | None]:
        """Where a mention's answer goes: a new thread on it (and the thread's id), or a
        reply (in a thread, by the settings, or without permission to make threads)."""
        if self.bot.settings.mention_reply == "thread" and isinstance(
            message.channel, discord.TextChannel
        ):
            try:
                thread = await message.create_thread(
                    name=cut(question, THREAD_NAME_MAX), auto_archive_duration=1440
                )
            except discord.HTTPException as exc:
                # No thread permission: answer in place rather than not at all.
                log.warning("thread creation failed status=%s: replying instead", exc.status)
            else:
                return thread.send, thread.id
        return functools.partial(message.reply, mention_author=False), None
