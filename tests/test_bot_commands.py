"""The bot end to end over the real sample index: real model, FAISS and SQLite, the real
CommandTree and views. Only Discord's network is faked (see tests/discord_helpers.py)."""

from __future__ import annotations

import logging
import re
import sqlite3

import pytest

from bot import embeds as E
from bot.app import command_payloads, create_bot
from bot.render import NO_ANSWER
from bot.replies import APOLOGY
from tests.conftest import QUESTION, bot_settings, final, start_bot
from tests.discord_helpers import (
    ADMIN_ID,
    BOT_ID,
    GUILD_ID,
    MANAGE_GUILD,
    MEMBER_ID,
    as_stored_message,
    assert_pings_nobody,
    attachment_payload,
)


@pytest.fixture()
async def harness(service, tmp_path):
    h = await start_bot(service, tmp_path)
    yield h
    await h.bot.close()


def assert_private_error(calls, text: str) -> None:
    assert not [c for c in calls if c.payload and c.payload.get("type") == 5], "deferred"
    (call,) = [c for c in calls if c.carries_message()]
    assert call.ephemeral and text in call.content, call.content
    assert call.payload["data"]["allowed_mentions"] == {"parse": []}


# -- commands as Discord registers them ---------------------------------------------------------
def test_command_payloads_match_what_sync_sends(service, tmp_path):
    bot = create_bot(bot_settings(service.index.folder), service)
    payloads = {p["name"]: p for p in command_payloads(bot)}
    assert set(payloads) == {"ask", "quotes", "source", "speakers", "stats", "ingest", "reindex"}
    ask = {o["name"]: o for o in payloads["ask"]["options"]}
    assert ask["speaker"]["autocomplete"] and ask["private"]["type"] == 5
    assert (ask["top_k"]["min_value"], ask["top_k"]["max_value"]) == (1, 10)
    for admin in ("ingest", "reindex"):
        assert int(payloads[admin]["default_member_permissions"]) == MANAGE_GUILD
        assert payloads[admin]["contexts"] == [0]  # guild only
    assert payloads["ingest"]["options"][0]["type"] == 11  # attachment
    assert payloads["ask"]["default_member_permissions"] is None


# -- /ask ------------------------------------------------------------------------------------
async def test_ask_defers_then_answers_with_passages_quotes_and_ids(harness):
    calls = await harness.command("ask", question=QUESTION)
    assert "/callback" in calls[0].path and calls[0].payload["type"] == 5  # deferred first
    answer = final(calls)
    embeds = answer.embeds
    assert 1 <= len(embeds) <= 5
    assert embeds[0]["author"]["name"] == f"Q: {QUESTION}"
    texts = " ".join(e["description"] for e in embeds)
    assert "Season tickets will not rise" in texts
    for embed in embeds:  # where it is from, and its id once, as /source takes it
        footer = embed["footer"]["text"]
        assert "paragraph" in footer and re.fullmatch(r"[^/]* · /source id:\d+", footer), footer
        assert len(re.findall(r"\bid\b", footer)) == 1, footer
    ids = answer.custom_ids
    assert any(i.startswith("attribot:vote:") and i.endswith(":up") for i in ids)
    assert any(i.startswith("attribot:vote:") and i.endswith(":down") for i in ids)
    assert not answer.ephemeral


async def test_ask_shows_quotes_with_speaker_and_role(harness):
    calls = await harness.command("ask", question="What did Dana Okafor say about the bridge?")
    fields = [f for e in final(calls).embeds for f in e.get("fields", [])]
    assert any(f["name"].startswith("— Dana Okafor, chief engineer") for f in fields), fields
    assert all(f["value"].startswith("> “") for f in fields)


async def test_each_passage_names_a_speaker_and_role_once_with_their_quotes_under_them(harness):
    calls = await harness.command("ask", question="What did Dana Okafor say about the bridge?")
    embeds = final(calls).embeds
    for embed in embeds:
        names = [f["name"] for f in embed.get("fields", [])]
        assert len(names) == len(set(names)), names
    # paragraph 2 of the bridge article: three quotes of hers, under one name and role
    (okafor,) = [f for f in embeds[0]["fields"] if f["name"].startswith("— Dana Okafor")]
    assert okafor["name"] == "— Dana Okafor, chief engineer of the Kestrel Transport Authority"
    lines = okafor["value"].split("\n")
    assert len(lines) == 3 and all(line.startswith("> “") for line in lines)
    assert "We found rust where we expected paint" in okafor["value"]


async def test_ask_leads_with_the_answer_line_above_the_passages(harness):
    calls = await harness.command(
        "ask", question="Who said “we found rust where we expected paint”?"
    )
    answer = final(calls)
    assert answer.content.startswith("**Answer:** Dana Okafor, chief engineer of the Kestrel")
    assert "We found rust where we expected paint" in answer.content
    assert answer.embeds  # the passages follow


async def test_ask_private_is_ephemeral(harness):
    calls = await harness.command("ask", question=QUESTION, private=True, top_k=2)
    assert calls[0].payload == {"type": 5, "data": {"flags": 64}}
    assert len(final(calls).embeds) == 2


async def test_ask_restricted_to_a_typed_surname(harness):
    calls = await harness.command("ask", question="library", speaker="achterberg")
    answer = final(calls)
    assert "speaker: Samuel Achterberg" in answer.embeds[0]["author"]["name"]
    for embed in answer.embeds:
        assert any("Samuel Achterberg" in f["name"] for f in embed.get("fields", [])), embed


@pytest.mark.parametrize("command", ["ask", "quotes"])
async def test_an_unknown_speaker_is_the_same_private_error_for_every_command(harness, command):
    options = {"question": "bridge"} if command == "ask" else {}
    calls = await harness.command(command, speaker="Zebediah Quux", **options)
    sent = [c for c in calls if c.carries_message()]
    assert (
        sent[-1].content == "I can't answer that: no speaker called 'Zebediah Quux' in the corpus."
    )
    assert sent[-1].ephemeral
    # resolved before the command runs: no public "thinking…" placeholder was ever shown
    assert not any(c.payload == {"type": 5} for c in calls)


async def test_ask_with_nothing_relevant_says_so(harness):
    calls = await harness.command("ask", question="quantum chromodynamics lattice gauge")
    (embed,) = final(calls).embeds
    assert embed["description"] == NO_ANSWER
    assert not final(calls).custom_ids  # nothing to page or rate


async def test_bad_question_is_a_friendly_private_error(harness):
    calls = await harness.command("ask", question=" \u200b ")
    assert_private_error(calls, "I can't answer that: the question is empty.")
    calls = await harness.command("ask", question="why " * 200)
    assert_private_error(calls, "the limit is 500")


async def test_unexpected_error_is_an_apology_and_a_logged_traceback(harness, caplog):
    def explode(*args):
        raise RuntimeError("secret internals")

    harness.bot._service = _Wrapped(harness.bot._service, ask=explode)
    with caplog.at_level(logging.ERROR, logger="bot.replies"):
        calls = await harness.command("ask", question=QUESTION)
    sent = [c for c in calls if c.carries_message()][-1]
    assert sent.content == APOLOGY and sent.ephemeral
    assert "secret internals" not in sent.content
    assert "RuntimeError: secret internals" in caplog.text and "Traceback" in caplog.text


class _Wrapped:
    def __init__(self, inner, **overrides):
        self._inner, self._overrides = inner, overrides

    def __getattr__(self, name):
        return self._overrides.get(name) or getattr(self._inner, name)


async def test_cooldown_per_user(service, tmp_path):
    h = await start_bot(service, tmp_path, cooldown_seconds=30)
    try:
        final(await h.command("ask", question=QUESTION))
        calls = await h.command("ask", question=QUESTION)
        assert_private_error(calls, "try again in 30s")
        final(await h.command("ask", question=QUESTION, user_id=ADMIN_ID))  # others unaffected
    finally:
        await h.bot.close()


# -- autocomplete, /quotes, /speakers, /source, /stats ----------------------------------------
@pytest.mark.parametrize("typed", ["okafor", "Oka", "dana", "okafr"])
async def test_speaker_autocomplete_is_fuzzy(harness, typed):
    choices = await harness.autocomplete("quotes", "speaker", speaker=typed)
    assert choices[0]["value"] == "Dana Okafor"
    assert (
        choices[0]["name"] == "Dana Okafor, chief engineer of the Kestrel Transport Authority (4)"
    )
    assert len(choices) <= 25


async def test_ask_speaker_autocomplete(harness):
    choices = await harness.autocomplete("ask", "speaker", question="bridge", speaker="")
    assert 1 <= len(choices) <= 25
    assert choices[0]["value"] == "Samuel Achterberg"  # most quoted first


async def test_quotes_by_surname_and_topic(harness):
    answer = final(await harness.command("quotes", speaker="Okafor"))
    assert answer.embeds[0]["author"]["name"].startswith("Quotes")
    assert all(any("Dana Okafor" in f["name"] for f in e.get("fields", [])) for e in answer.embeds)
    answer = final(await harness.command("quotes", speaker="okafor", topic="bridge repairs"))
    assert "bridge repairs" in answer.embeds[0]["author"]["name"]


async def test_speakers_pages_with_buttons(harness, monkeypatch):
    answer = final(await harness.command("speakers"))
    (embed,) = answer.embeds
    assert "Samuel Achterberg" in embed["description"] and "Head librarian" in embed["description"]
    assert "5 quotes" in embed["description"]
    assert embed["footer"]["text"].startswith("Page 1/")  # the sample has 19+ speakers
    prev, nxt = answer.custom_ids
    assert (prev, nxt) == ("attribot:speakers:prev:0:", "attribot:speakers:next:1:")
    calls = await harness.click(nxt, as_stored_message(answer))
    assert calls[0].payload["type"] == 6  # deferred update of the same message
    page2 = final(calls)
    assert page2.method == "PATCH" and page2.embeds[0]["footer"]["text"].startswith("Page 2/")
    assert page2.embeds[0]["description"] != embed["description"]
    filtered = final(await harness.command("speakers", filter="okafor"))
    assert "Dana Okafor" in filtered.embeds[0]["description"] and not filtered.custom_ids
    assert filtered.embeds[0]["footer"]["text"] == "Page 1/1 · 1 speaker"  # not "1 speakers"
    (raman,) = final(await harness.command("speakers", filter="raman")).embeds
    assert raman["description"].endswith("· 1 quote")


async def test_source_shows_the_passage_in_its_article(harness):
    answer = final(await harness.command("ask", question=QUESTION, top_k=1))
    footer = answer.embeds[0]["footer"]["text"]
    pid = int(footer.rsplit("/source id:", 1)[1])
    (embed,) = final(await harness.command("source", **{"id": pid})).embeds
    assert embed["title"] == "Press briefing"
    assert f"id {pid}" in embed["footer"]["text"]
    assert "**¶" in embed["description"] and "-# ¶" in embed["description"]  # neighbours


async def test_source_of_an_unknown_id_is_a_private_error(harness):
    calls = await harness.command("source", **{"id": 999_999})
    (note,) = [c for c in calls if c.carries_message()]
    assert note.ephemeral and note.content == "No passage with id 999999 in the corpus."
    # the public "thinking…" it deferred with is removed, so nothing shows in the channel
    assert [c.method for c in calls if "messages/@original" in c.path] == ["DELETE"]


async def test_stats(harness, service):
    (embed,) = final(await harness.command("stats")).embeds
    values = {f["name"]: f["value"] for f in embed["fields"]}
    assert values["Documents"] == str(service.stats().documents)
    assert int(values["Vectors"]) > 0


# -- admin ------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["ingest", "reindex"])
async def test_admin_commands_refuse_members_server_side(harness, command):
    options = {"file": attachment_payload("a.txt", b"x")} if command == "ingest" else {}
    calls = await harness.command(command, user_id=MEMBER_ID, permissions=0, **options)
    assert_private_error(calls, "Only server managers")
    assert not harness.fake.cdn_fetches


async def test_admin_commands_refuse_direct_messages(harness):
    calls = await harness.command(
        "reindex", user_id=ADMIN_ID, permissions=MANAGE_GUILD, guild=False
    )
    assert_private_error(calls, "only works in a server")


async def test_ingest_checks_size_before_downloading(harness):
    attachment = attachment_payload("big.txt", b"", size=50 * 1024 * 1024)
    calls = await harness.command(
        "ingest", user_id=ADMIN_ID, permissions=MANAGE_GUILD, file=attachment
    )
    assert_private_error(calls, "the limit is 20.0 MB")
    assert not harness.fake.cdn_fetches


async def test_ingest_refuses_unsupported_files(harness):
    calls = await harness.command(
        "ingest",
        user_id=ADMIN_ID,
        permissions=MANAGE_GUILD,
        file=attachment_payload("x.exe", b"MZ"),
    )
    assert_private_error(calls, "upload one of")


async def test_ingest_during_a_repair_says_so_and_changes_nothing(writable_service, tmp_path):
    from retrieval.writelock import writing

    h = await start_bot(writable_service, tmp_path)
    folder = writable_service.index.folder
    before = writable_service.index.store.counts()
    try:
        data = ARTICLE.encode()
        attachment = attachment_payload("ferry.txt", data)
        h.fake.cdn[attachment["url"]] = data
        with writing(folder, exclusive=True):  # what `attribot check --repair` holds
            calls = await h.command(
                "ingest", user_id=ADMIN_ID, permissions=MANAGE_GUILD, file=attachment
            )
        assert calls[0].payload == {"type": 5, "data": {"flags": 64}}  # deferred privately
        last = calls[-1].payload
        assert "being repaired right now" in last["content"] and last["flags"] == 64
        assert str(folder) not in str([c.payload for c in calls])
        assert writable_service.index.store.counts() == before
    finally:
        await h.bot.close()


ARTICLE = (
    "Ferry timetable changes\n\n"
    "The harbour ferry will run every ten minutes from May, said Captain Mirela Oduya, "
    'head of the ferry service. "We are ready for the summer crowds," Oduya said. '
    "Notices posted @everyone and <@123456789012345678> and <@&42> about the change.\n"
)


async def test_ingest_upload_with_progress_then_answers_ping_nobody(
    writable_service, tmp_path, monkeypatch
):
    upload_root = tmp_path / "uploads"
    upload_root.mkdir()
    folder = upload_root / "private"
    monkeypatch.setattr(
        "bot.cogs.admin.tempfile.mkdtemp", lambda **kw: str(folder.mkdir() or folder)
    )
    h = await start_bot(writable_service, tmp_path)
    try:
        data = ARTICLE.encode()
        attachment = attachment_payload("../../etc/ferry news.txt", data)
        h.fake.cdn[attachment["url"]] = data
        calls = await h.command(
            "ingest", user_id=ADMIN_ID, permissions=MANAGE_GUILD, file=attachment
        )
        assert calls[0].payload == {"type": 5, "data": {"flags": 64}}
        edits = [c for c in calls if c.method == "PATCH" and c.path.endswith("@original")]
        contents = [c.payload["content"] for c in edits]
        assert contents[0].startswith("Downloading ferry news.txt")
        assert any(t.startswith("Ingesting ferry news.txt: 1/1") for t in contents)
        assert "1 added" in contents[-1]
        assert_pings_nobody(calls)
        assert not folder.exists() and list(upload_root.iterdir()) == []  # cleaned up
        assert not (tmp_path / "etc").exists()

        calls = await h.command("ask", question="When will the harbour ferry run more often?")
        answer = final(calls)  # allowed_mentions none on every send
        assert "@everyone" in answer.embeds[0]["description"]
        assert "Ferry news" in answer.embeds[0]["title"]
        doc_ids = [
            r[0] for r in writable_service.index.store.db.execute("SELECT doc_id FROM documents")
        ]
        assert f"discord-upload/{GUILD_ID}/ferry news.txt" in doc_ids  # stable id, no temp path
        calls = await h.post(f"<@{BOT_ID}> who said we are ready for the summer crowds?")
        assert_pings_nobody(calls)

        calls = await h.command("reindex", user_id=ADMIN_ID, permissions=MANAGE_GUILD)
        assert "Vector index rebuilt" in final(calls).content
    finally:
        await h.bot.close()


# -- mentions ---------------------------------------------------------------------------------
async def test_mention_question_answers_in_a_thread(harness):
    calls = await harness.post(f"<@{BOT_ID}> {QUESTION}")
    (thread,) = [c for c in calls if c.path.endswith("/threads")]
    assert thread.payload["name"] == QUESTION
    answer = final(calls)
    assert answer.embeds[0]["author"]["name"] == f"Q: {QUESTION}"  # mention stripped
    assert "message_reference" not in answer.payload


async def test_mention_question_as_reply(service, tmp_path):
    h = await start_bot(service, tmp_path, mention_reply="reply")
    try:
        calls = await h.post(f"hey <@!{BOT_ID}> {QUESTION}")
        answer = final(calls)
        assert "message_reference" in answer.payload
        assert not [c for c in calls if c.path.endswith("/threads")]
    finally:
        await h.bot.close()


async def test_mention_without_question_gets_a_hint_and_others_are_ignored(harness):
    calls = await harness.post(f"<@{BOT_ID}>")
    assert "ask a question after the mention" in final(calls).payload["content"]
    assert await harness.post("@everyone what about the bridge?", mention_bot=False) == []


# -- buttons that survive a restart -----------------------------------------------------------
async def test_buttons_work_after_a_restart(writable_service, tmp_path):
    first = await start_bot(writable_service, tmp_path)
    answer = final(await first.command("ask", question=QUESTION, top_k=2))
    message = as_stored_message(answer)
    more = next(i for i in answer.custom_ids if i.startswith("attribot:more:"))
    up = next(i for i in answer.custom_ids if i.endswith(":up"))
    shown = [e["footer"]["text"] for e in answer.embeds]
    await first.bot.close()

    second = await start_bot(writable_service, tmp_path)  # a new process, same index
    try:
        calls = await second.click(more, message)
        page = final(calls)
        assert calls[0].payload["type"] == 5  # thinking, public like the answer
        assert len(page.embeds) == 2 and page.embeds[0]["title"].startswith("3. ")
        assert [e["footer"]["text"] for e in page.embeds] != shown

        calls = await second.click(up, message, user_id=ADMIN_ID)
        thanks = final(calls)
        assert thanks.ephemeral or calls[0].payload == {"type": 5, "data": {"flags": 64}}
        db = sqlite3.connect(writable_service.index.folder / "attribot.sqlite3")
        rows = db.execute("SELECT user_id, question, vote FROM feedback").fetchall()
        db.close()
        assert rows == [(str(ADMIN_ID), QUESTION, 1)]

        forgotten = "attribot:more:0123456789ab"  # an answer the log no longer has
        stale = as_stored_message(answer)
        stale["components"][0]["components"][0]["custom_id"] = forgotten
        calls = await second.click(forgotten, stale)
        assert "too old" in final(calls).content
    finally:
        await second.bot.close()


def test_ten_passage_answer_fits_one_message(service):
    hits = service.ask("bridge repairs ticket prices library vineyards", top_k=10).hits
    embeds = E.answer_embeds("q", hits)
    assert len(embeds) == len(hits) and E.embeds_total(embeds) <= 6000
