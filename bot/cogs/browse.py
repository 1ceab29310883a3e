"""Browsing the corpus: /speakers and /stats, each over what the server may see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import embeds as E
from bot.replies import NONE, defer
from bot.scopes import scope_labels
from bot.views import release, speakers_view

if TYPE_CHECKING:
    from bot.app import AttribotBot


class BrowseCog(commands.Cog, name="Browse"):
    def __init__(self, bot: AttribotBot):
        self.bot = bot

    @app_commands.command(
        name="speakers", description="Who is quoted in the corpus, with roles and quote counts"
    )
    @app_commands.describe(filter="Only names containing this")
    async def speakers(self, interaction: discord.Interaction, filter: str | None = None) -> None:
        await defer(interaction)
        name_filter = " ".join((filter or "").split())[:100] or None
        service = await self.bot.get_service()
        scope = self.bot.scope_for(interaction.guild_id)
        speakers = await self.bot.run_io(service.speakers, name_filter, scope)
        embed, pages = E.speakers_embed(speakers, 0, name_filter)
        view = speakers_view(0, pages, name_filter)
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        await interaction.followup.send(embed=embed, allowed_mentions=NONE, **extra)
        release(view)

    @app_commands.command(name="stats", description="How big the corpus is")
    async def stats(self, interaction: discord.Interaction) -> None:
        await defer(interaction)
        service = await self.bot.get_service()
        scope = self.bot.scope_for(interaction.guild_id)
        stats = await self.bot.run_blocking(service.stats, scope)
        embed = E.stats_embed(stats.to_json(), scope_labels(scope, interaction.guild_id))
        await interaction.followup.send(embed=embed, allowed_mentions=NONE)
