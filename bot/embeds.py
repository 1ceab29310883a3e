"""Discord embeds for answers, passages, speakers and stats, always within Discord's limits.

Every builder here is pure (no I/O) so the limits can be tested on any text. Corpus text is
cut at word boundaries with `render.cut`; whatever a builder produces is passed through
`fit_embeds` last, which enforces the per-message total even if a builder miscounted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import discord

from bot.render import (
    NO_ANSWER,
    answer_notice,
    cut,
    display_quote,
    no_passage,
    plural,
    quotes_by_speaker,
    source_label,
)
from retrieval.answer import Answer
from retrieval.models import Hit, SpeakerInfo

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
FIELDS_MAX = 25
EMBEDS_MAX = 10
MESSAGE_EMBEDS_TOTAL = 6000  # across every embed of one message
CONTENT_MAX = 2000  # plain message content

COLOUR = discord.Colour.from_rgb(47, 111, 181)
NO_ANSWER_COLOUR = discord.Colour.light_grey()
QUOTES_PER_HIT = 3
SOURCE_QUOTES_ROOM = 1800  # /source: the passage and its neighbours take the description
SPEAKERS_PER_PAGE = 10


def plain(text: str, limit: int = CONTENT_MAX) -> str:
    """Plain message content within Discord's 2000 characters."""
    return cut(text, limit)


def _escape(text: str) -> str:
    # Corpus text is not markdown: an asterisk in an article must not start italics.
    return discord.utils.escape_markdown(text or "")


def embeds_total(embeds: Sequence[discord.Embed]) -> int:
    return sum(len(e) for e in embeds)


def fit_embeds(
    embeds: list[discord.Embed], total: int = MESSAGE_EMBEDS_TOTAL
) -> list[discord.Embed]:
    """Enforce every per-embed and per-message limit, shortening the longest text first."""
    embeds = embeds[:EMBEDS_MAX]
    for embed in embeds:
        if embed.title:
            embed.title = cut(embed.title, TITLE_MAX)
        if embed.description:
            embed.description = cut(embed.description, DESCRIPTION_MAX)
        if embed.footer.text:
            embed.set_footer(text=cut(embed.footer.text, FOOTER_MAX))
        if embed.author.name:
            embed.set_author(name=cut(embed.author.name, AUTHOR_MAX))
        fields = embed.fields[:FIELDS_MAX]
        embed.clear_fields()
        for f in fields:
            embed.add_field(
                name=cut(f.name or "\u200b", FIELD_NAME_MAX),
                value=cut(f.value or "\u200b", FIELD_VALUE_MAX),
                inline=bool(f.inline),
            )
    # Over the message total: shorten the longest description, then drop trailing fields.
    while embeds_total(embeds) > total:
        excess = embeds_total(embeds) - total
        longest = max(embeds, key=lambda e: len(e.description or ""))
        description = longest.description or ""
        if len(description) > 200:
            longest.description = cut(description, max(200, len(description) - excess))
            continue
        fat = max(embeds, key=lambda e: len(e.fields))
        if fat.fields:
            fat.remove_field(len(fat.fields) - 1)
            continue
        embeds.pop()  # nothing left to shorten: fewer embeds rather than a rejected message
    return embeds


def hit_heading(hit: Hit) -> str:
    return hit.title or Path(hit.path or hit.doc_id).name


def quote_fields(
    hit: Hit, max_quotes: int, room: int, name_max: int = FIELD_NAME_MAX
) -> list[tuple[str, str]]:
    """One (“— Name, role”, “> quote” lines) field per speaker of the passage: the name and
    role once, that speaker's quotes under them (`quotes_by_speaker`). At most `max_quotes`
    quotes in all, in about `room` characters (names and quotes): the characters a name no
    longer repeats go to the quotes."""
    groups: list[tuple[str, list[str]]] = []
    left = max_quotes
    for label, attrs in quotes_by_speaker(hit.attributions):
        if left <= 0:
            break
        quotes = [f"“{_escape(' '.join(display_quote(a.quote).split()))}”" for a in attrs[:left]]
        left -= len(quotes)
        groups.append((cut(f"— {label}", min(FIELD_NAME_MAX, max(24, name_max))), quotes))
    quotes = [q for _, group in groups for q in group]
    # each quote line costs "> " and a line break besides its text
    shares = iter(fair_shares([len(q) for q in quotes], room - sum(len(n) for n, _ in groups)))
    out = []
    for name, group in groups:
        most = FIELD_VALUE_MAX // len(group) - 3
        lines = ["> " + cut(q, max(20, min(most, next(shares) - 3))) for q in group]
        out.append((name, "\n".join(lines)))
    return out


def fair_shares(lengths: Sequence[int], room: int) -> list[int]:
    """Split `room` characters among texts of these lengths: a short text takes what it needs
    and leaves the rest to the longer ones (each share is at most its text's length + 3)."""
    shares = [0] * len(lengths)
    left = max(0, room)
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for rank, i in enumerate(order):
        shares[i] = min(lengths[i] + 3, left // (len(order) - rank))
        left -= shares[i]
    return shares


def hit_embed(hit: Hit, number: int | None, budget: int, show_score: bool = True) -> discord.Embed:
    """One passage in at most `budget` characters: its text, who said what in it, where it is
    from and its id for /source. Title and footer get a share of the budget, so ten passages
    still fit one message."""
    budget = max(400, budget)
    heading = hit_heading(hit)
    title = cut(
        f"{number}. {heading}" if number is not None else heading, min(TITLE_MAX, budget // 6)
    )
    tail = ""
    if show_score and hit.score > 0:  # fused scores can be negative: noise to a reader
        tail += f" · score {hit.score:.2f}"
    tail += f" · /source id:{hit.paragraph_id}"  # the id, once, as the command that uses it
    footer = cut(source_label(hit), max(20, min(FOOTER_MAX, budget // 4) - len(tail))) + tail
    room = budget - len(title) - len(footer)
    # Quotes get up to 40% of the room; the passage takes the rest (and what quotes leave).
    quote_room = int(room * 0.4)
    quotes = quote_fields(hit, QUOTES_PER_HIT, quote_room, name_max=quote_room // 6)
    while quotes and sum(len(n) + len(v) for n, v in quotes) > quote_room:
        quotes.pop()
    quote_chars = sum(len(n) + len(v) for n, v in quotes)
    text = _escape(" ".join(hit.text.split()))
    description = cut(text, max(100, min(DESCRIPTION_MAX, room - quote_chars)))
    embed = discord.Embed(title=title, description=description, colour=COLOUR)
    for name, value in quotes:
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=footer)
    return embed


def answer_lead(answer: Answer, context: str | None = None) -> str | None:
    """The answer line as message content, above the passages' embeds; first, the context a
    follow-up was read with (`context`, shown even when nothing answers). None: neither."""
    parts = [f"-# ↪ {_escape(context)}"] if context else []
    if not answer.hits:
        return plain("\n".join(parts)) if parts else None
    notice = answer_notice(answer)
    if notice:
        parts.append(f"-# {_escape(notice)}")
    if answer.line is not None:
        parts.append(f"**Answer:** {_escape(answer.line.text)}")
    return plain("\n".join(parts)) if parts else None


def answer_embeds(
    question: str,
    hits: Sequence[Hit],
    *,
    offset: int = 0,
    speaker: str | None = None,
    heading: str = "Q",
    empty: str | None = None,
) -> list[discord.Embed]:
    """The embeds of one answer message: one per passage, the question on the first;
    `empty` is said when there is none (default: NO_ANSWER)."""
    asked = f"{heading}: {' '.join(question.split())}"
    if speaker:
        asked += f" (speaker: {speaker})"
    if not hits:
        embed = discord.Embed(description=empty or NO_ANSWER, colour=NO_ANSWER_COLOUR)
        embed.set_author(name=cut(asked, AUTHOR_MAX))
        return [embed]
    hits = list(hits)[:EMBEDS_MAX]
    author = cut(asked, AUTHOR_MAX)
    budget = (MESSAGE_EMBEDS_TOTAL - len(author) - 50) // len(hits)
    embeds = [hit_embed(hit, offset + i, budget) for i, hit in enumerate(hits, start=1)]
    embeds[0].set_author(name=author)
    return fit_embeds(embeds)


def source_embed(paragraph_id: int, context: Sequence[Hit]) -> discord.Embed:
    """A passage in its article: the paragraphs around it, the passage itself highlighted."""
    target = next((h for h in context if h.paragraph_id == paragraph_id), None)
    if target is None:
        return discord.Embed(description=no_passage(paragraph_id), colour=NO_ANSWER_COLOUR)
    before = [h for h in context if h.paragraph_index < target.paragraph_index]
    after = [h for h in context if h.paragraph_index > target.paragraph_index]
    quotes = quote_fields(target, 5, SOURCE_QUOTES_ROOM)
    room = DESCRIPTION_MAX - 40
    main = cut(_escape(" ".join(target.text.split())), min(room, 2600))
    side = max(0, (room - len(main)) // 2 - 30)
    parts = []
    for h in before:
        parts.append(
            f"-# ¶{h.paragraph_index + 1} · " + cut(_escape(" ".join(h.text.split())), side)
        )
    parts.append(f"**¶{target.paragraph_index + 1}** {main}")
    for h in after:
        parts.append(
            f"-# ¶{h.paragraph_index + 1} · " + cut(_escape(" ".join(h.text.split())), side)
        )
    embed = discord.Embed(
        title=cut(hit_heading(target), TITLE_MAX),
        description=cut("\n\n".join(parts), DESCRIPTION_MAX),
        colour=COLOUR,
    )
    for name, value in quotes:
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=cut(f"{source_label(target)} · id {target.paragraph_id}", FOOTER_MAX))
    return fit_embeds([embed])[0]


def speakers_embed(
    speakers: Sequence[SpeakerInfo], page: int, name_filter: str | None
) -> tuple[discord.Embed, int]:
    """One page of speakers with roles and quote counts; returns (embed, page count)."""
    pages = max(1, -(-len(speakers) // SPEAKERS_PER_PAGE))
    page = min(max(0, page), pages - 1)
    chunk = speakers[page * SPEAKERS_PER_PAGE : (page + 1) * SPEAKERS_PER_PAGE]
    title = "Speakers" + (f" matching “{name_filter}”" if name_filter else "")
    if not chunk:
        embed = discord.Embed(
            title=cut(title, TITLE_MAX), description="No speakers found.", colour=NO_ANSWER_COLOUR
        )
        return embed, pages
    lines = []
    for info in chunk:
        roles = ", ".join(info.roles[:3]) + (" …" if len(info.roles) > 3 else "")
        count = plural(info.quote_count, "quote")
        line = f"**{_escape(info.name)}**" + (f" — {_escape(roles)}" if roles else "")
        lines.append(cut(f"{line} · {count}", 380))
    embed = discord.Embed(
        title=cut(title, TITLE_MAX),
        description=cut("\n".join(lines), DESCRIPTION_MAX),
        colour=COLOUR,
    )
    embed.set_footer(text=f"Page {page + 1}/{pages} · {plural(len(speakers), 'speaker')}")
    return embed, pages


def stats_embed(stats: dict[str, int], collections: Sequence[str] | None = None) -> discord.Embed:
    """The counts; with `collections`, a footer naming what they cover."""
    embed = discord.Embed(title="Corpus", colour=COLOUR)
    for key, value in stats.items():
        embed.add_field(name=key.replace("_", " ").capitalize(), value=f"{value:,}", inline=True)
    if collections is not None:
        covered = ", ".join(collections) if collections else "no collection"
        embed.set_footer(text=cut(f"Counting {covered}", FOOTER_MAX))
    return embed
