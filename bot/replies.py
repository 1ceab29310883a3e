"""How the bot speaks to a user outside an answer: acknowledgements, private notes, errors.

A leaf module: it imports nothing of the bot but pure helpers, so cogs, views and the
application all take these from here.
"""

from __future__ import annotations

import asyncio
import logging
import math
import traceback
from collections.abc import Awaitable
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot.embeds import plain
from bot.service import BadQuestion

log = logging.getLogger(__name__)

# Nobody is pinged by anything the bot sends: corpus text can contain "@everyone".
NONE = discord.AllowedMentions.none()
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
RESTARTING = "I'm restarting: please ask again in a moment."
# What a send raises when Discord refuses it or cannot be reached, including while the bot
# shuts down: a closed aiohttp session raises RuntimeError("Session is closed").
SEND_ERRORS = (
    discord.HTTPException,
    aiohttp.ClientError,
    ConnectionError,
    asyncio.TimeoutError,
    RuntimeError,
)


class UserFacingError(Exception):
    """A problem the user can fix; its message is shown to them as is."""


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Acknowledge within Discord's 3 seconds; remembers whether the reply is private."""
    interaction.extras["ephemeral"] = ephemeral
    await interaction.response.defer(thinking=True, ephemeral=ephemeral)


def undeliverable(exc: BaseException) -> bool:
    """True for what a send raises when the message cannot reach Discord (refused, network
    down, or the HTTP session already closed by a shutdown): nothing to retry, and not a
    bug. Any other RuntimeError is one."""
    if isinstance(exc, RuntimeError):
        return "closed" in str(exc).lower()
    return isinstance(exc, SEND_ERRORS)


async def deliver(send: Awaitable[Any], what: str) -> bool:
    """Await one send; False, and a warning in the log, when it cannot reach Discord."""
    try:
        await send
    except SEND_ERRORS as exc:
        if not undeliverable(exc):
            raise
        log.warning("could not send %s error=%s: %s", what, type(exc).__name__, exc)
        return False
    return True


async def send_ephemeral(interaction: discord.Interaction, text: str) -> bool:
    """A note only the user sees, whether or not the interaction was answered already.
    False when it could not be delivered (`deliver`)."""
    what = f"a private note interaction={interaction.id}"
    return await deliver(_send_ephemeral(interaction, plain(text)), what)


async def _send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)
        return
    response_type = interaction.response.type
    public_thinking = (
        response_type is discord.InteractionResponseType.deferred_channel_message
        and not interaction.extras.get("ephemeral", False)
    )
    if public_thinking:
        # A public "thinking…" placeholder would turn the first follow-up public: remove it
        # so the error can be private.
        await deliver(interaction.delete_original_response(), "a placeholder deletion")
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)


async def tell_restarting(target: discord.Interaction | discord.Message) -> None:
    """Turn away work that arrives during a shutdown, or that could not finish before it: a
    private note for an interaction (no choices for an autocomplete), a reply to a message."""
    if isinstance(target, discord.Message):
        reply = target.reply(RESTARTING, allowed_mentions=NONE, mention_author=False)
        await deliver(reply, f"a restarting note message={target.id}")
    elif target.type is discord.InteractionType.autocomplete:
        if not target.response.is_done():
            await deliver(target.response.autocomplete([]), "empty choices")
    else:
        await send_ephemeral(target, RESTARTING)


def describe_error(error: BaseException, interaction: discord.Interaction | None) -> str:
    """The user's words for an error; unexpected ones are logged and never shown."""
    original = error
    if isinstance(error, app_commands.CommandInvokeError):
        original = error.original
    if isinstance(error, app_commands.TransformerError) and error.__cause__ is not None:
        original = error.__cause__  # an argument that did not resolve (UnknownSpeaker)
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {max(1, math.ceil(original.retry_after))}s."
    if isinstance(original, app_commands.MissingPermissions):
        return "Only server managers (Manage Server permission) can use this command."
    if isinstance(original, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(original, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(original, BadQuestion):
        return f"I can't answer that: {original}."
    if isinstance(original, UserFacingError):
        return str(original)
    command = getattr(getattr(interaction, "command", None), "qualified_name", None)
    if undeliverable(original):  # Discord out of reach (or the bot shutting down): no bug
        log.warning("command could not reach Discord command=%s error=%r", command, original)
        return APOLOGY
    log.error(
        "command failed command=%s user=%s guild=%s\n%s",
        command,
        getattr(getattr(interaction, "user", None), "id", None),
        getattr(interaction, "guild_id", None),
        "".join(traceback.format_exception(original)),
    )
    return APOLOGY


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user privately what went wrong (`describe_error`)."""
    message = describe_error(error, interaction)
    try:
        await send_ephemeral(interaction, message)
    except Exception:  # noqa: BLE001 - the error is logged already; never raise from here
        log.exception("could not report an error to the user interaction=%s", interaction.id)


async def guarded(interaction: discord.Interaction, work: Awaitable[None]) -> None:
    """Run a button's work; errors reach the user as `tree.on_error` would show them."""
    try:
        await work
    except Exception as exc:  # noqa: BLE001 - every failure gets a friendly reply
        await report_error(interaction, exc)
