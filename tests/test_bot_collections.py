"""Two servers, one bot: a file one server uploads with /ingest never surfaces in another
server or in a direct message, through any command, autocomplete or button. Real model,
FAISS, SQLite and spaCy, the real CommandTree and views; only Discord's network is faked."""

from __future__ import annotations

import sqlite3

import pytest

from bot.answer_log import AnswerRecord
from bot.render import NO_ANSWER
from bot.views import ELSEWHERE
from tests.conftest import final, start_bot
from tests.discord_helpers import (
    ADMIN_ID,
    BOT_ID,
    GUILD_ID,
    MANAGE_GUILD,
    OTHER_GUILD_ID,
    as_stored_message,
    attachment_payload,
)

A, B = GUILD_ID, OTHER_GUILD_ID
FERRY = (
    "Ferry timetable changes\n\n"
    "The harbour ferry will run every ten minutes from May, said Captain Mirela Oduya, head "
    'of the ferry service. "We are ready for the summer crowds," Oduya said.\n\n'
    "The night ferry will stop at midnight, Oduya added, because almost nobody rides it.\n\n"
    "Tickets for the ferry will cost two euros, the ferry service said.\n"
)
BAKERY = (
    "Bakery opening\n\n"
    "The corner bakery will open on Saturdays from June, said Tomasz Wierzbicki, its owner. "
    '"We bake rye bread at four in the morning," Wierzbicki said.\n'
)
FERRY_QUESTION = "When will the harbour ferry run more often?"
# words of server A's upload that must never reach server B
SECRET = ("Oduya", "ten minutes", "summer crowds", "night ferry", "two euros")


async def upload(h, name: str, text: str, guild_id: int) -> str:
    """A manager of `guild_id` uploads a file with /ingest; the final progress message."""
    data = text.encode()
    attachment = attachment_payload(name, data)
    h.fake.cdn[attachment["url"]] = data
    calls = await h.command(
        "ingest", user_id=ADMIN_ID, permissions=MANAGE_GUILD, guild_id=guild_id, file=attachment
    )
    return calls[-1].payload["content"]


def shows(call, words=SECRET) -> bool:
    """Whether a sent message shows any of `words` in what it says (its text, embeds and
    buttons; not the echo of the question asked)."""
    body = call.message or {}
    embeds = [{k: v for k, v in e.items() if k != "author"} for e in body.get("embeds") or []]
    said = f"{body.get('content')} {embeds} {body.get('components')}".lower()
    return any(word.lower() in said for word in words)


@pytest.fixture()
async def two_servers(writable_service, tmp_path):
    """The bot over the sample corpus (the default collection, shared with every server),
    after a manager of server A uploaded a ferry article."""
    h = await start_bot(writable_service, tmp_path)
    assert "1 added" in await upload(h, "ferry.txt", FERRY, A)
    yield h
    await h.bot.close()


async def test_an_upload_is_searched_only_in_its_own_server(two_servers):
    h = two_servers
    mine = final(await h.command("ask", question=FERRY_QUESTION, guild_id=A))
    assert "Ferry" in mine.embeds[0]["title"] and shows(mine)
    theirs = final(await h.command("ask", question=FERRY_QUESTION, guild_id=B, top_k=10))
    assert not shows(theirs)
    direct = final(await h.command("ask", question=FERRY_QUESTION, guild=False, top_k=10))
    assert not shows(direct)
    # the shared sample corpus still answers everywhere
    for where in ({"guild_id": B}, {"guild": False}):
        answer = final(await h.command("ask", question="When does the library open?", **where))
        assert "library" in answer.embeds[0]["title"]
    # a person named in the question is only recognised where they are quoted
    asked = final(await h.command("ask", question="What did Oduya say?", guild_id=B))
    assert not shows(asked)
    assert shows(final(await h.command("ask", question="What did Oduya say?", guild_id=A)))
    # and by mention
    assert shows(final(await h.post(f"<@{BOT_ID}> {FERRY_QUESTION}", guild_id=A)))
    assert not shows(final(await h.post(f"<@{BOT_ID}> {FERRY_QUESTION}", guild_id=B)))


async def test_speakers_quotes_and_autocomplete_elsewhere_know_nothing_of_an_upload(two_servers):
    h = two_servers
    for typed in ("odu", "Mirela", ""):
        here = await h.autocomplete("quotes", "speaker", speaker=typed, guild_id=A)
        elsewhere = await h.autocomplete("quotes", "speaker", speaker=typed, guild_id=B)
        direct = await h.autocomplete("ask", "speaker", question="x", speaker=typed, guild=False)
        if typed:
            assert here[0]["value"] == "Mirela Oduya"
        assert not any("Oduya" in c["value"] for c in elsewhere + direct), typed
    quotes = final(await h.command("quotes", speaker="Oduya", guild_id=A))
    assert all("Mirela Oduya" in str(e["fields"]) for e in quotes.embeds)
    refused = final(await h.command("quotes", speaker="Oduya", guild_id=B))
    assert refused.ephemeral and "no speaker called 'Oduya'" in refused.content
    refused = final(await h.command("ask", question="ferry", speaker="Mirela Oduya", guild_id=B))
    assert refused.ephemeral and not refused.embeds

    listed = final(await h.command("speakers", filter="oduya", guild_id=A)).embeds[0]
    assert "Mirela Oduya" in listed["description"]
    for where in ({"guild_id": B}, {"guild": False}):
        assert "No speakers found" in str(
            final(await h.command("speakers", filter="oduya", **where)).embeds
        )
        pages = final(await h.command("speakers", **where))
        assert not shows(pages)
        for custom_id in pages.custom_ids:  # every page of the list, through its buttons
            turned = final(await h.click(custom_id, as_stored_message(pages), **where))
            assert not shows(turned)


async def test_a_source_id_from_another_server_is_not_found(two_servers):
    h = two_servers
    answer = final(await h.command("ask", question=FERRY_QUESTION, top_k=1, guild_id=A))
    pid = int(answer.embeds[0]["footer"]["text"].rsplit("/source id:", 1)[1])
    here = final(await h.command("source", guild_id=A, **{"id": pid})).embeds[0]
    assert "Oduya" in str(here)
    for where in ({"guild_id": B}, {"guild": False}):
        sent = final(await h.command("source", **{"id": pid}, **where))
        assert sent.content == f"No passage with id {pid} in the corpus." and sent.ephemeral


async def test_stats_count_only_what_a_server_sees(two_servers, writable_service):
    h = two_servers
    store = writable_service.index.store

    def numbers(call) -> dict[str, str]:
        (embed,) = call.embeds
        return {f["name"]: f["value"] for f in embed["fields"]} | {"_": embed["footer"]["text"]}

    shared = writable_service.stats(h.bot.scope_for(None)).to_json()
    assert shared["documents"] == 7
    here = numbers(final(await h.command("stats", guild_id=A)))
    elsewhere = numbers(final(await h.command("stats", guild_id=B)))
    direct = numbers(final(await h.command("stats", guild=False)))
    assert here["Documents"] == "8" and here["Speakers"] == str(store.counts()["speakers"])
    assert here["Paragraphs"] == str(shared["paragraphs"] + 4)
    assert elsewhere["Documents"] == direct["Documents"] == "7"
    assert elsewhere["Paragraphs"] == str(shared["paragraphs"])
    assert elsewhere["Vectors"] == str(shared["vectors"])
    assert here["_"] == "Counting this server's uploads, default"
    assert elsewhere["_"] == "Counting this server's uploads, default"
    assert direct["_"] == "Counting default"


async def test_buttons_of_an_answer_act_only_where_it_was_given(two_servers, writable_service):
    h = two_servers
    answer = final(await h.command("ask", question=FERRY_QUESTION, top_k=1, guild_id=A))
    message = as_stored_message(answer)
    more = next(i for i in answer.custom_ids if i.startswith("attribot:more:"))
    up = next(i for i in answer.custom_ids if i.endswith(":up"))

    for where in ({"guild_id": B}, {"guild": False}):
        calls = await h.click(more, message, **where)
        (reply,) = [c for c in calls if c.carries_message()]
        assert reply.ephemeral and reply.content == ELSEWHERE and not reply.embeds
        calls = await h.click(up, message, user_id=ADMIN_ID, **where)
        assert final(calls).content == ELSEWHERE
    db = sqlite3.connect(writable_service.index.folder / "attribot.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM feedback").fetchone() == (0,)
    db.close()

    page = final(await h.click(more, message, guild_id=A))  # where it was given: works
    assert page.embeds and page.embeds[0]["title"].startswith("2. ")

    # an answer logged before answers recorded their server is searched again within the
    # clicker's scope, so it cannot leak either
    old = await h.bot.run_io(
        h.bot.remember_answer, AnswerRecord("ask", FERRY_QUESTION, None, 1, paragraph_ids=[1])
    )
    calls = await h.click(f"attribot:more:{old.key}", message, guild_id=B)
    assert not any(shows(c) for c in calls if c.carries_message())


async def test_the_same_file_name_in_two_servers_is_two_documents(two_servers, writable_service):
    h = two_servers
    assert "1 added" in await upload(h, "ferry.txt", BAKERY, B)  # B's own, beside A's
    rows = writable_service.index.store.db.execute(
        "SELECT d.collection, d.doc_id, p.text FROM documents d JOIN paragraphs p "
        "ON p.document_id=d.id WHERE d.doc_id LIKE 'discord-upload/%' AND p.idx=1 "
        "ORDER BY d.collection"
    ).fetchall()
    assert [tuple(r)[:2] for r in rows] == [
        (f"guild:{A}", f"discord-upload/{A}/ferry.txt"),
        (f"guild:{B}", f"discord-upload/{B}/ferry.txt"),
    ]
    assert "harbour ferry" in rows[0][2] and "bakery" in rows[1][2]
    bakery = "When does the bakery open?"
    assert shows(final(await h.command("ask", question=bakery, guild_id=B)), ["rye bread"])
    assert not shows(final(await h.command("ask", question=bakery, guild_id=A)), ["rye bread"])
    assert shows(final(await h.command("ask", question=FERRY_QUESTION, guild_id=A)))
    # uploading it again in A updates A's document only
    assert "1 updated" in await upload(h, "ferry.txt", FERRY + "\nA late correction.\n", A)
    assert shows(final(await h.command("ask", question=bakery, guild_id=B)), ["rye bread"])


async def test_servers_read_the_shared_collections_the_operator_chose(writable_service, tmp_path):
    # nothing shared, and server B reads server A's uploads (a sister community)
    h = await start_bot(
        writable_service, tmp_path, shared_collections=(), guild_collections={B: (f"guild:{A}",)}
    )
    try:
        await upload(h, "ferry.txt", FERRY, A)
        library = "When does the library open?"
        for where in ({"guild_id": A}, {"guild_id": B}, {"guild": False}):
            answer = final(await h.command("ask", question=library, **where))
            assert answer.embeds[0]["description"] == NO_ANSWER, where  # default is not shared
        assert shows(final(await h.command("ask", question=FERRY_QUESTION, guild_id=B)))
        assert not shows(final(await h.command("ask", question=FERRY_QUESTION, guild=False)))
        (embed,) = final(await h.command("stats", guild=False)).embeds
        assert embed["footer"]["text"] == "Counting no collection"
        assert {f["value"] for f in embed["fields"]} == {"0"}
    finally:
        await h.bot.close()


def test_an_answer_log_from_before_answers_knew_their_server_gains_the_column(tmp_path):
    from bot.answer_log import AnswerLog

    path = tmp_path / "answers.sqlite3"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE answers (key TEXT PRIMARY KEY, kind TEXT NOT NULL, question TEXT NOT NULL, "
        "speaker TEXT, top_k INTEGER NOT NULL, offset INTEGER NOT NULL, paragraph_ids TEXT NOT "
        "NULL, private INTEGER NOT NULL, created REAL NOT NULL)"
    )
    db.execute("INSERT INTO answers VALUES ('0123456789ab', 'ask', 'q', NULL, 5, 0, '1,2', 0, 9e9)")
    db.commit()
    db.close()
    log = AnswerLog(path)
    try:
        assert log.get("0123456789ab").place is None
        added = log.add(AnswerRecord("ask", "q", None, 5, place=f"guild:{A}"))
        assert log.get(added.key).place == f"guild:{A}"
    finally:
        log.close()
    AnswerLog(path).close()  # opening it again changes nothing
