"""What several cogs share: the speaker argument, and server-side checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.render import cut
from bot.service import UnknownSpeaker
from retrieval.models import SpeakerInfo
from retrieval.speaker_match import rank_speakers, resolve_speaker

if TYPE_CHECKING:
    from bot.app import AttribotBot

CHOICES_MAX = 25  # Discord shows at most 25 autocomplete choices
CHOICE_TEXT_MAX = 100  # choice name and value: 1-100 characters


def speaker_choices(query: str, speakers: Sequence[SpeakerInfo]) -> list[app_commands.Choice[str]]:
    choices = []
    for info, _ in rank_speakers(query, speakers, CHOICES_MAX * 2):
        if len(info.name) > CHOICE_TEXT_MAX:
            continue  # a value Discord would reject; such a name is a parsing accident anyway
        choices.append(app_commands.Choice(name=choice_label(info), value=info.name))
        if len(choices) >= CHOICES_MAX:
            break
    return choices


def choice_label(info: SpeakerInfo) -> str:
    """ "Name, role (quote count)" in Discord's 100 characters: a long role is cut between
    words ("…"), never the count; a name too long for both loses the role, then its tail."""
    count = f" ({info.quote_count})"
    room = CHOICE_TEXT_MAX - len(info.name) - len(count) - len(", ")
    role = cut(info.roles[0], room, whole_words=True) if info.roles and room > 0 else ""
    if role:
        return f"{info.name}, {role}{count}"
    return cut(info.name, CHOICE_TEXT_MAX - len(count)) + count


class SpeakerArgument(app_commands.Transformer):
    """A speaker option: suggestions while typing, and the typed or picked name resolved to
    one SpeakerInfo before the command runs (full name, unambiguous surname, small typos),
    both among the speakers quoted where the command is used (`bot.scope_for`). An unknown
    name is UnknownSpeaker, the same message as everywhere else."""

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str
    ) -> list[app_commands.Choice[str]]:
        bot: AttribotBot = interaction.client  # type: ignore[assignment]
        scope = bot.scope_for(interaction.guild_id)
        return speaker_choices(value, await bot.speakers_cached(scope))

    async def transform(self, interaction: discord.Interaction, value: str) -> SpeakerInfo:
        bot: AttribotBot = interaction.client  # type: ignore[assignment]
        scope = bot.scope_for(interaction.guild_id)
        info = resolve_speaker(value, await bot.speakers_cached(scope))
        if info is None:
            raise UnknownSpeaker(value)
        return info


Speaker = app_commands.Transform[SpeakerInfo, SpeakerArgument]


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
