"""Mentions and follow-ups through the real bot: only a mention in a message's text is a
question (a reply's automatic ping is not), and in a thread the bot started a question is
read with the thread's last turns. Real model, FAISS, SQLite and spaCy over the sample
corpus; only Discord's network is faked (tests/discord_helpers.py)."""

from __future__ import annotations

import io

import pytest

from bot.conversation import MAX_TURNS, Conversation
from bot.terminal import NEW_CONVERSATION, answer_line, chat
from tests.conftest import final, start_bot
from tests.discord_helpers import (
    BOT_ID,
    GUILD_ID,
    MEMBER_ID,
    OTHER_GUILD_ID,
    Call,
    as_stored_message,
)
from tests.test_bot_collections import FERRY, shows, upload

OKAFOR_QUESTION = "What did Dana Okafor say about the bridge?"
# A port director quoted in seven paragraphs: more than one answer shows.
PORT = """Kestrel port to double its container berths

The Kestrel Port Authority will build four new container berths on the northern quay, its director Ingrid Solberg said on Thursday.

"The dredging starts in April and the channel will be fourteen metres deep by the autumn," Solberg said.

Solberg said the two new ship-to-shore cranes would arrive from Rotterdam in August.

"Night shifts will stay voluntary, and nobody loses a weekend because of this project," she told reporters.

Solberg added that harbour dues for local fishing boats would be frozen for three years.

"Storm surges are the risk we worry about most, so the new quay wall is a metre higher than the old one," Solberg said.

The port director said the project would create about three hundred permanent jobs in the town.

"We will publish the noise measurements every month, street by street," Solberg promised residents.

Marco Brandt, who leads the dockworkers' union, said members wanted the training paid for by the authority. "Automation is welcome if nobody is left behind," Brandt said.
"""


@pytest.fixture()
async def harness(service, tmp_path):
    h = await start_bot(service, tmp_path)
    yield h
    await h.bot.close()


def in_thread(calls, thread_id: int):
    """The messages the bot sent into a thread."""
    return [c for c in calls if c.carries_message() and f"/channels/{thread_id}/" in c.url]


def speakers_of(embed: dict) -> list[str]:
    return [f["name"] for f in embed.get("fields", [])]


def answers_with_upload(call: Call) -> bool:
    """Whether an answer shows words of server A's upload, leaving out the context note
    (which echoes the asker's own words, as the embed's "Q:" does)."""
    body = dict(call.message or {})
    body["content"] = "\n".join(
        line for line in (body.get("content") or "").split("\n") if not line.startswith("-# ↪")
    )
    return shows(Call(call.method, call.path, call.url, body))


async def start_conversation(h, question: str, guild_id: int = GUILD_ID):
    """A member asks by mention; the bot answers in a new thread. (answer call, thread id)"""
    calls = await h.post(f"<@{BOT_ID}> {question}", guild_id=guild_id)
    answer = final(calls)
    thread_id = h.thread_ids()[-1]
    assert f"/channels/{thread_id}/messages" in answer.url
    return answer, thread_id


# -- mentions: only in the text ------------------------------------------------------------------
async def test_a_reply_thanks_to_an_answer_gets_no_answer(service, tmp_path):
    h = await start_bot(service, tmp_path, mention_reply="reply")
    try:
        answer = final(await h.post(f"<@{BOT_ID}> {OKAFOR_QUESTION}"))
        assert "message_reference" in answer.payload  # answered as a reply in the channel
        # Discord's default reply ping puts the bot in the reply's mentions, not in its text
        payload = h.deliver_message(
            "thanks, that's what I needed!",
            mention_bot=False,
            reply_to=as_stored_message(answer),
        )
        assert payload["mentions"][0]["id"] == str(BOT_ID) and f"{BOT_ID}" not in payload["content"]
        before = len(h.fake.calls)
        await h.settle()
        assert h.fake.calls[before:] == []
        # a reply that does mention the bot in its text is a question
        calls = await h.post(
            f"<@{BOT_ID}> who said waiting another winter is not an option?",
            reply_to=as_stored_message(answer),
        )
        assert "Dana Okafor" in final(calls).content
    finally:
        await h.bot.close()


async def test_in_its_thread_thanks_gets_no_answer_and_a_question_does(harness):
    answer, thread = await start_conversation(harness, OKAFOR_QUESTION)
    stored = as_stored_message(answer)
    for text in ("thanks, that's what I needed!", "great, thanks", "ok"):
        assert await harness.post(text, mention_bot=False, channel_id=thread, reply_to=stored) == []
        assert await harness.post(text, mention_bot=False, channel_id=thread) == []
    calls = await harness.post(
        "what did she say about the buses?", mention_bot=False, channel_id=thread
    )
    assert in_thread(calls, thread)


async def test_a_thread_someone_else_started_needs_a_mention_and_has_no_context(harness):
    theirs = harness.thread_by(MEMBER_ID)
    await start_conversation(harness, OKAFOR_QUESTION)  # a conversation elsewhere
    assert await harness.post("what else did she say?", mention_bot=False, channel_id=theirs) == []
    calls = await harness.post(f"<@{BOT_ID}> {OKAFOR_QUESTION}", channel_id=theirs)
    answer = final(calls)
    assert "message_reference" in answer.payload and not answer.content.startswith("-# ↪")
    assert len(harness.thread_ids()) == 1  # no thread inside a thread


# -- follow-ups in the bot's thread --------------------------------------------------------------
async def test_two_turns_in_a_thread_resolve_she_to_the_previous_answers_speaker(harness):
    first, thread = await start_conversation(harness, OKAFOR_QUESTION)
    assert not first.content.startswith("-# ↪")  # a new question: no context note
    calls = await harness.post(
        "what did she say about the buses?", mention_bot=False, channel_id=thread
    )
    (second,) = in_thread(calls, thread)
    lead = second.content.split("\n")
    assert lead[0] == (
        "-# ↪ About Dana Okafor, continuing from “What did Dana Okafor say about the bridge?”"
    )
    assert lead[1].startswith("**Answer:** Dana Okafor, chief engineer") and "buses" in lead[1]
    assert second.embeds[0]["author"]["name"] == "Q: what did she say about the buses?"
    assert speakers_of(second.embeds[0])[0].startswith("— Dana Okafor")
    assert "buses would keep a dedicated lane" in second.embeds[0]["description"]
    assert "message_reference" in second.payload  # in the thread, replying to the question


async def test_what_else_did_she_say_shows_only_her_passages_not_shown_before(
    writable_service, tmp_path
):
    h = await start_bot(writable_service, tmp_path)
    try:
        assert "1 added" in await upload(h, "port-expansion.txt", PORT, GUILD_ID)
        first, thread = await start_conversation(
            h, "What did Ingrid Solberg say about the dredging?"
        )
        shown = {e["footer"]["text"] for e in first.embeds}
        assert len(shown) == 5
        calls = await h.post("what else did she say?", mention_bot=False, channel_id=thread)
        (second,) = in_thread(calls, thread)
        assert second.content.startswith("-# ↪ About Ingrid Solberg, continuing from “What did")
        assert "passages not shown yet" in second.content
        assert "speaker: Ingrid Solberg" in second.embeds[0]["author"]["name"]
        assert len(second.embeds) == 2  # her seven paragraphs, five shown already
        for embed in second.embeds:
            assert embed["footer"]["text"] not in shown
            assert speakers_of(embed) and all("Ingrid Solberg" in s for s in speakers_of(embed))
        # nothing of hers is left: said so, with the context
        calls = await h.post(f"<@{BOT_ID}> anything more from her?", channel_id=thread)
        (third,) = in_thread(calls, thread)
        assert third.content.startswith("-# ↪ About Ingrid Solberg")
        assert "Nothing more from Ingrid Solberg" in third.embeds[0]["description"]
        # who else: the topic, other speakers
        calls = await h.post("and about automation?", mention_bot=False, channel_id=thread)
        (fourth,) = in_thread(calls, thread)
        assert "About Ingrid Solberg, on “automation”" in fourth.content
        calls = await h.post("who else commented?", mention_bot=False, channel_id=thread)
        (fifth,) = in_thread(calls, thread)
        assert "Speakers other than Ingrid Solberg on “automation”" in fifth.content
        assert "**Answer:** Marco Brandt said: “Automation is welcome" in fifth.content
        for embed in fifth.embeds:
            assert any("Ingrid Solberg" not in s for s in speakers_of(embed))
    finally:
        await h.bot.close()


async def test_a_follow_up_sees_only_what_its_server_sees(writable_service, tmp_path):
    h = await start_bot(writable_service, tmp_path)
    try:
        assert "1 added" in await upload(h, "ferry.txt", FERRY, GUILD_ID)
        for guild_id, sees in ((GUILD_ID, True), (OTHER_GUILD_ID, False)):
            _, thread = await start_conversation(h, OKAFOR_QUESTION, guild_id=guild_id)
            for line in ("and about the night ferry?", "what about Oduya?", "who else commented?"):
                calls = await h.post(line, mention_bot=False, channel_id=thread, guild_id=guild_id)
                (reply,) = in_thread(calls, thread)
                if sees and line != "who else commented?":
                    assert answers_with_upload(reply), (guild_id, line)
                elif not sees:
                    assert not answers_with_upload(reply), (guild_id, line)
    finally:
        await h.bot.close()


async def test_a_threads_conversation_survives_a_restart_and_stays_bounded(service, tmp_path):
    first = await start_bot(service, tmp_path)
    _, thread = await start_conversation(first, OKAFOR_QUESTION)
    await first.bot.close()
    second = await start_bot(service, tmp_path)  # a new process, same answer log
    second.bot._connection.parse_thread_create(
        {**first.fake.threads[-1], "newly_created": False}  # GUILD_CREATE lists it again
    )
    try:
        calls = await second.post("why did she say that?", mention_bot=False, channel_id=thread)
        (reply,) = in_thread(calls, thread)
        assert reply.content.startswith("-# ↪ About Dana Okafor")
        for n in range(MAX_TURNS + 2):
            await second.post(f"<@{BOT_ID}> what did she say about delays {n}?", channel_id=thread)
        kept = second.bot.recall_conversation(thread, f"guild:{GUILD_ID}")
        assert len(kept.turns) == MAX_TURNS
        assert kept.last.question == f"what did she say about delays {MAX_TURNS + 1}?"
    finally:
        await second.bot.close()


# -- the terminal chat keeps the same context, and /new resets it ---------------------------------
def test_the_terminal_follows_up_and_new_starts_afresh(service):
    lines = [
        OKAFOR_QUESTION,
        "what did she say about the buses?",
        "who else commented?",
        "/new",
        "what did she say about the buses?",
    ]
    out = io.StringIO()
    assert chat(service, io.StringIO("\n".join(lines) + "\n"), out) == 0
    before, after = out.getvalue().split(NEW_CONVERSATION)
    # each reply's first line: the context used, in parentheses, then the answer line
    assert (
        "\n\n(About Dana Okafor, continuing from “What did Dana Okafor say about the bridge?”)"
        "\nDana Okafor, chief engineer of the Kestrel Transport Authority, said: “buses"
    ) in before
    assert (
        "\n\n(Speakers other than Dana Okafor on “the buses”, continuing from "
        "“what did Dana Okafor say about the buses?”)\n"
    ) in before
    assert "(About" not in after and "(Speakers" not in after  # after /new: no context


def test_a_terminal_line_without_a_conversation_stands_alone(service):
    conversation = Conversation()
    answer_line(service, OKAFOR_QUESTION, conversation)
    followed = answer_line(service, "what did she say about the buses?", conversation)
    alone = answer_line(service, "what did she say about the buses?")
    assert followed.startswith("(About Dana Okafor") and not alone.startswith("(")
    assert len(conversation.turns) == 2
    assert answer_line(service, "/new", conversation) == NEW_CONVERSATION
    assert conversation.last is None
    assert "/new" in answer_line(service, "/help")
