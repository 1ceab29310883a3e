"""The bot's commands, one cog per audience: askers, browsers and server managers."""

from __future__ import annotations

from bot.cogs.admin import AdminCog
from bot.cogs.ask import AskCog
from bot.cogs.browse import BrowseCog

COGS = (AskCog, BrowseCog, AdminCog)

__all__ = ["COGS", "AdminCog", "AskCog", "BrowseCog"]
