"""Embeds, file names and speaker matching: pure functions, no Discord, no index."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest

from bot import embeds as E
from bot.cogs.admin import safe_filename, save_path
from bot.cogs.ask import strip_mention
from bot.cogs.common import choice_label, rank_speakers, resolve_speaker, speaker_choices
from bot.render import NO_ANSWER, cut, plural, render_hit
from corpus.models import Attribution
from retrieval.models import Hit, SpeakerInfo
from tests.discord_helpers import Call, assert_within_discord_limits


def long_hit(pid: int, chars: int = 10_000) -> Hit:
    words = ("word " * (chars // 5))[:chars]
    attrs = [
        Attribution(
            quote="quoted " * 400,
            quote_span=(0, 10),
            speaker="A Very Long Speaker Name " * 12,
            speaker_span=None,
            role="role " * 80,
        )
        for _ in range(6)
    ]
    return Hit(
        paragraph_id=pid,
        doc_id="doc",
        text=words,
        score=0.9,
        paragraph_index=3,
        title="T" * 400,
        source="S" * 300,
        date="2026-01-01",
        attributions=attrs,
    )


def as_call(embeds: list[discord.Embed]) -> Call:
    return Call(
        "POST",
        "/webhooks/{webhook_id}/{webhook_token}",
        "",
        {"embeds": [e.to_dict() for e in embeds]},
    )


@pytest.mark.parametrize("count", [1, 5, 10])
def test_answer_from_10000_character_passages_stays_within_every_limit(count):
    embeds = E.answer_embeds("q " * 400, [long_hit(i) for i in range(1, count + 1)])
    assert len(embeds) == count
    assert_within_discord_limits(as_call(embeds))
    assert E.embeds_total(embeds) <= 6000
    first = embeds[0]
    assert first.description.endswith("…") and "word" in first.description
    assert first.fields and first.fields[0].name.startswith("— A Very Long")
    assert first.fields[0].value.startswith("> “")
    assert first.footer.text.endswith(" · /source id:1")
    # the same quote of one speaker six times: one field, one quote
    assert len(first.fields) == 1 and first.fields[0].value.count("> “") == 1


@pytest.mark.parametrize("count", [1, 10])
def test_many_speakers_with_long_roles_and_quotes_stay_within_every_limit(count):
    hits = [long_hit(i) for i in range(1, count + 1)]
    for hit in hits:
        for n, attr in enumerate(hit.attributions):
            attr.speaker = f"Speaker {n % 2} " + "name " * 30
            attr.quote = f"quote {n} " + "words " * (50 + 100 * n)
    embeds = E.answer_embeds("q", hits)
    assert_within_discord_limits(as_call(embeds))
    names = [f.name for f in embeds[0].fields]
    assert names and len(names) == len(set(names)) <= 2


def test_source_embed_of_long_passages_stays_within_limits():
    context = [long_hit(1), long_hit(2), long_hit(3)]
    for i, h in enumerate(context):
        h.paragraph_index = i
    embed = E.source_embed(2, context)
    assert_within_discord_limits(as_call([embed]))
    assert "**¶2**" in embed.description and "¶1" in embed.description


def test_fit_embeds_enforces_the_message_total():
    embeds = [discord.Embed(title="x" * 300, description="y " * 3000) for _ in range(12)]
    fitted = E.fit_embeds(embeds)
    assert len(fitted) == 10
    assert_within_discord_limits(as_call(fitted))


def test_no_hits_says_nothing_answers():
    (embed,) = E.answer_embeds("who?", [])
    assert embed.description == NO_ANSWER


def test_markdown_in_corpus_text_is_escaped():
    hit = Hit(1, "d", "a *bold* claim", 1.0, 0, title="t")
    embed = E.hit_embed(hit, 1, 2000)
    assert "\\*bold\\*" in embed.description


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("a/b.txt", "b.txt"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("..", "upload"),
        (".env", "env"),
        ("/abs/path/../report.md", "report.md"),
        ("re port$(rm -rf).html", "re port_rm -rf.html"),
        ("x" * 300 + ".txt", "x" * 96 + ".txt"),
        ("", "upload"),
    ],
)
def test_safe_filename_never_names_a_path(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b.txt", "/etc/shadow", "..", "~/x.txt"])
def test_save_path_stays_in_its_folder(tmp_path, name):
    target = save_path(tmp_path, name)
    assert target.parent == tmp_path.resolve()
    assert Path(target).name not in ("", ".", "..")


def test_strip_mention_removes_both_forms():
    assert strip_mention("<@42> who said <@!42> this?", 42) == "who said this?"
    assert strip_mention("<@43> hi", 42) == "<@43> hi"


SPEAKERS = [
    SpeakerInfo(1, "Samuel Achterberg", roles=["Head librarian"], quote_count=5),
    SpeakerInfo(2, "Dana Okafor", roles=["chief engineer"], quote_count=4),
    SpeakerInfo(3, "Lena Marsh", quote_count=3),
    SpeakerInfo(4, "Priya Raman", quote_count=1),
]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("okafor", "Dana Okafor"),
        ("oka", "Dana Okafor"),
        ("marsh", "Lena Marsh"),
        ("achterburg", "Samuel Achterberg"),
        ("priya ram", "Priya Raman"),
    ],
)
def test_rank_speakers_by_surname_partial_and_typo(typed, first):
    assert rank_speakers(typed, SPEAKERS)[0][0].name == first


def test_resolve_speaker():
    assert resolve_speaker("Dana Okafor", SPEAKERS).name == "Dana Okafor"
    assert resolve_speaker("okafor", SPEAKERS).name == "Dana Okafor"
    assert resolve_speaker("Achterburg", SPEAKERS).name == "Samuel Achterberg"
    assert resolve_speaker("nobody at all", SPEAKERS) is None


def test_speaker_choices_fit_discord():
    many = [SpeakerInfo(i, f"Person {i} " + "x" * 120 * (i % 2)) for i in range(60)]
    choices = speaker_choices("", many)
    assert len(choices) <= 25
    assert all(1 <= len(c.name) <= 100 and 1 <= len(c.value) <= 100 for c in choices)
    (dana,) = [c for c in speaker_choices("okafor", SPEAKERS) if c.value == "Dana Okafor"]
    assert dana.name == "Dana Okafor, chief engineer (4)"


LONG_ROLE = (
    "commissioner of Japan's Acquisition, Technology and Logistics Agency, speaking for the "
    "defence ministry at the bilateral talks"
)


@pytest.mark.parametrize(
    ("name", "role", "count"),
    [
        ("Masaki Fukasawa", LONG_ROLE, 12),
        ("Dana Okafor", "chief engineer of the Kestrel Transport Authority", 4),
        ("A" * 90, "spokesperson", 1234),  # no room for a role: the count still shows
        ("B" * 99, None, 7),
    ],
)
def test_an_autocomplete_label_cuts_a_role_between_words_and_keeps_the_count(name, role, count):
    label = choice_label(SpeakerInfo(1, name, roles=[role] if role else [], quote_count=count))
    assert len(label) <= 100 and label.endswith(f" ({count})")
    shown = label[: -len(f" ({count})")]
    if shown.startswith(f"{name}, "):
        shown_role = shown[len(name) + 2 :]
        whole = shown_role.removesuffix("…")
        assert role.startswith(whole)
        assert whole == role or role[len(whole)] in " ,;:"  # never inside a word
    else:
        assert role is None or len(name) + len(role) > 90


def test_cut_between_words_only():
    assert cut("chief engineer", 13, whole_words=True) == "chief…"
    assert cut("chief engineer", 13) == "chief engine…"  # the default may cut a word
    assert cut("Supercalifragilistic", 8, whole_words=True) == ""


@pytest.mark.parametrize(
    ("count", "word", "text"),
    [(1, "speaker", "1 speaker"), (0, "speaker", "0 speakers"), (2, "quote", "2 quotes"),
     (1204, "passage", "1,204 passages"), (1.0, "day", "1 day"), (2.5, "day", "2.5 days")],
)  # fmt: skip
def test_counts_agree_with_their_nouns(count, word, text):
    assert plural(count, word) == text


def speech(speaker: str, role: str | None, quote: str) -> Attribution:
    return Attribution(quote, (0, 1), speaker, None, role=role)


def test_a_passage_names_each_speaker_and_role_once_with_their_quotes_under_them():
    role = "Head of the Regional Transport Authority's bridge maintenance division " * 2
    hit = Hit(6, "d", "text", 1.0, 1, title="Harbour bridge repairs")
    hit.attributions = [
        speech("Dana Okafor", role, "We found rust where we expected paint"),
        speech("Lena Marsh", None, "Fares will not rise"),
        speech("Dana Okafor", None, "Waiting another winter is not an option."),
        speech("Dana Okafor", role, "We found rust where we expected paint"),  # again
    ]
    fields = E.hit_embed(hit, 1, 1200).fields
    assert [f.name.split(",")[0] for f in fields] == ["— Dana Okafor", "— Lena Marsh"]
    assert fields[0].value.split("\n") == [
        "> “We found rust where we expected paint”",
        "> “Waiting another winter is not an option.”",
    ]
    assert role.split()[0] in fields[0].name  # the role, from the quote that gave it
    embed_text = " ".join(f.name + f.value for f in fields)
    assert embed_text.count("Head of the Regional") <= 2  # once (the role repeats itself)
    terminal = render_hit(hit, 1)
    assert terminal.count("— Dana Okafor") == 1 and terminal.count("paint") == 1
