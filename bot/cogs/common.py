"""What several cogs share: speaker matching for autocomplete, and server-side checks."""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord import app_commands
from rapidfuzz import fuzz, process

from retrieval.models import SpeakerInfo
from retrieval.speaker_match import SpeakerRegistry

CHOICES_MAX = 25  # Discord shows at most 25 autocomplete choices
CHOICE_TEXT_MAX = 100  # choice name and value: 1-100 characters


def rank_speakers(
    query: str, speakers: Sequence[SpeakerInfo], limit: int = CHOICES_MAX
) -> list[tuple[SpeakerInfo, float]]:
    """Speakers for what has been typed so far: full name, surname or any part of a name,
    then near misses ("Emmanuel"); ties go to the most quoted."""
    query = " ".join((query or "").split()).lower()
    if not query:
        return [(s, 0.0) for s in speakers[:limit]]
    scored: dict[int, tuple[SpeakerInfo, float]] = {}
    for info in speakers:
        name = info.name.lower()
        words = name.split()
        if name == query:
            score = 100.0
        elif name.startswith(query) or any(w.startswith(query) for w in words):
            score = 95.0
        elif query in name:
            score = 90.0
        else:
            continue
        scored[info.speaker_id] = (info, score)
    # Typos: rapidfuzz over the remaining names (WRatio handles partial and reordered names).
    rest = [s for s in speakers if s.speaker_id not in scored]
    if rest and len(query) >= 3:
        for _, score, i in process.extract(
            query,
            [s.name.lower() for s in rest],
            scorer=fuzz.WRatio,
            limit=limit,
            score_cutoff=70,
        ):
            scored[rest[i].speaker_id] = (rest[i], min(float(score), 89.0))
    ranked = sorted(scored.values(), key=lambda p: (-p[1], -p[0].quote_count, p[0].name))
    return ranked[:limit]


def resolve_speaker(value: str, speakers: Sequence[SpeakerInfo]) -> SpeakerInfo | None:
    """The one speaker a typed value means (an autocomplete pick is the canonical name)."""
    value = " ".join((value or "").split())
    if not value:
        return None
    by_name = {s.name.lower(): s for s in speakers}
    if value.lower() in by_name:
        return by_name[value.lower()]
    # The registry (full names, unambiguous surnames, small typos) expects capitalised names.
    capitalised = " ".join(w[:1].upper() + w[1:] for w in value.split())
    match = SpeakerRegistry(by_name[k].name for k in by_name).match(capitalised)
    if match is not None and match.name.lower() in by_name:
        return by_name[match.name.lower()]
    ranked = rank_speakers(value, speakers, limit=2)
    if ranked and ranked[0][1] >= 90 and (len(ranked) == 1 or ranked[1][1] < ranked[0][1]):
        return ranked[0][0]
    if ranked and ranked[0][1] >= 85 and len(ranked) == 1:
        return ranked[0][0]
    return None


def speaker_choices(query: str, speakers: Sequence[SpeakerInfo]) -> list[app_commands.Choice[str]]:
    choices = []
    for info, _ in rank_speakers(query, speakers, CHOICES_MAX * 2):
        if len(info.name) > CHOICE_TEXT_MAX:
            continue  # a value Discord would reject; such a name is a parsing accident anyway
        role = f", {info.roles[0]}" if info.roles else ""
        label = f"{info.name}{role} ({info.quote_count})"
        if len(label) > CHOICE_TEXT_MAX:
            label = label[: CHOICE_TEXT_MAX - 1] + "…"
        choices.append(app_commands.Choice(name=label, value=info.name))
        if len(choices) >= CHOICES_MAX:
            break
    return choices


def require_manager(interaction: discord.Interaction) -> None:
    """Server-side permission check: Discord hides admin commands by default_permissions,
    but a server can override that, so the callback never trusts it."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    perms = interaction.permissions
    if not (perms.administrator or perms.manage_guild):
        raise app_commands.MissingPermissions(["manage_guild"])


def manager_only():
    """A check (runs before the callback) wrapping `require_manager`."""

    async def predicate(interaction: discord.Interaction) -> bool:
        require_manager(interaction)
        return True

    return app_commands.check(predicate)


def user_cooldown(action: str):
    """Per-user cooldown of settings.cooldown_seconds, shared by slash commands and buttons
    of the same action (so "More" cannot be hammered either)."""

    async def predicate(interaction: discord.Interaction) -> bool:
        interaction.client.check_cooldown(action, interaction.user.id)  # type: ignore[attr-defined]
        return True

    return app_commands.check(predicate)
