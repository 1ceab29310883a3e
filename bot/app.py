"""The Discord application: a `commands.Bot` whose cogs answer from an AttribotService.

Building the bot (`create_bot`) touches neither the network nor the index, so tools can list
or sync its commands cheaply and tests can drive it offline. The service (model + index) is
created on first use, in a worker thread, and `run_bot` does that before going online so the
first question does not wait for the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import plain
from bot.service import AttribotService, BadQuestion
from bot.settings import Settings
from bot.views import ANSWER_LOG_FILE, DYNAMIC_ITEMS, AnswerLog, AnswerRecord
from retrieval.models import SpeakerInfo

log = logging.getLogger(__name__)

T = TypeVar("T")
NONE = discord.AllowedMentions.none()
SPEAKER_CACHE_SECONDS = 60.0
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


class UserFacingError(Exception):
    """A problem the user can fix; its message is shown to them as is."""


def intents() -> discord.Intents:
    """Default intents without message_content: it is privileged, and mentions of the bot
    still arrive with their content, which is all mention-asking needs."""
    result = discord.Intents.default()
    result.message_content = False
    return result


class UserCooldowns:
    """One bucket per (action, user): a busy user waits, everyone else does not."""

    def __init__(self, seconds: float, rate: int = 1):
        self.seconds = float(seconds)
        self.rate = rate
        self._buckets: dict[tuple[str, int], app_commands.Cooldown] = {}

    def hit(self, action: str, user_id: int) -> None:
        """Count one use; raise CommandOnCooldown (retry_after in seconds) when over the rate."""
        if self.seconds <= 0:
            return
        if len(self._buckets) > 10_000:  # forget idle users so the dict cannot grow forever
            self._buckets = {k: b for k, b in self._buckets.items() if b.get_tokens() < b.rate}
        bucket = self._buckets.setdefault(
            (action, user_id), app_commands.Cooldown(self.rate, self.seconds)
        )
        retry_after = bucket.update_rate_limit()
        if retry_after:
            raise app_commands.CommandOnCooldown(bucket, retry_after)

    def reset(self) -> None:
        self._buckets.clear()


class IndexGate:
    """Many searches at once, or one writer (ingest/reindex) alone: ingest changes the vector
    index in place, and a FAISS search must not run while it does."""

    def __init__(self) -> None:
        self._readers = 0
        self._writer = False
        self._cond: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:  # created on first use so it binds to the running loop
            self._cond = asyncio.Condition()
        return self._cond

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[None]:
        cond = self._condition()
        async with cond:
            await cond.wait_for(lambda: not self._writer)
            self._readers += 1
        try:
            yield
        finally:
            async with cond:
                self._readers -= 1
                cond.notify_all()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[None]:
        cond = self._condition()
        async with cond:
            await cond.wait_for(lambda: not self._writer and self._readers == 0)
            self._writer = True
        try:
            yield
        finally:
            async with cond:
                self._writer = False
                cond.notify_all()


class AttribotTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await self.client.report_error(interaction, error)  # type: ignore[attr-defined]


class AttribotBot(commands.Bot):
    def __init__(
        self,
        settings: Settings,
        service: AttribotService | None = None,
        *,
        answers_path: Path | None = None,
    ):
        super().__init__(
            command_prefix=commands.when_mentioned,  # no prefix commands: slash + mentions only
            intents=intents(),
            allowed_mentions=NONE,
            help_command=None,
            tree_cls=AttribotTree,
        )
        self.settings = settings
        self._service = service
        self._owns_service = service is None  # close only the index this bot opened
        self._answers_path = answers_path
        self._service_lock: asyncio.Lock | None = None
        self._answers: AnswerLog | None = None
        self._pool = asyncio.Semaphore(max(1, settings.workers))
        self.gate = IndexGate()
        self.cooldowns = UserCooldowns(settings.cooldown_seconds)
        self._speaker_cache: tuple[float, list[SpeakerInfo]] | None = None
        self.cogs_loaded = False

    # -- set-up ------------------------------------------------------------------------------
    async def load_cogs(self) -> None:
        """Add the cogs (and so the app commands). Idempotent."""
        if self.cogs_loaded:
            return
        from bot.cogs import COGS

        for cog_cls in COGS:
            await self.add_cog(cog_cls(self))
        self.cogs_loaded = True

    async def setup_hook(self) -> None:
        await self.load_cogs()
        # Buttons are registered by custom_id template, not by message: they work on
        # messages sent before this process started.
        self.add_dynamic_items(*DYNAMIC_ITEMS)

    async def on_ready(self) -> None:
        log.info(
            "connected user=%s id=%s guilds=%d",
            self.user,
            getattr(self.user, "id", None),
            len(self.guilds),
        )

    async def on_message(self, message: discord.Message, /) -> None:
        # No prefix commands: mention-asking is a cog listener; skipping process_commands
        # keeps "@Attribot who said ..." from being parsed as a command named "who".
        return

    async def close(self) -> None:
        await super().close()
        if self._answers is not None:
            self._answers.close()
        if self._service is not None and self._owns_service:
            await asyncio.to_thread(self._service.index.close)
        log.info("bot closed")

    # -- the service and its worker pool ------------------------------------------------------
    async def get_service(self) -> AttribotService:
        if self._service is None:
            if self._service_lock is None:
                self._service_lock = asyncio.Lock()
            async with self._service_lock:
                if self._service is None:
                    self._service = await asyncio.to_thread(self._open_service)
        return self._service

    def _open_service(self) -> AttribotService:
        started = time.perf_counter()
        service = AttribotService(
            self.settings.index,
            self.settings.model,
            self.settings.max_question_chars,
            backend=self.settings.embed_backend,
        )
        service.warm_up()
        log.info(
            "service ready index=%s seconds=%.1f",
            self.settings.index,
            time.perf_counter() - started,
        )
        return service

    @property
    def answers(self) -> AnswerLog:
        if self._answers is None:
            path = self._answers_path
            if path is None:
                folder = self._service.index.folder if self._service else self.settings.index
                path = Path(folder) / ANSWER_LOG_FILE
            self._answers = AnswerLog(path, max_age_days=self.settings.answer_days)
        return self._answers

    def remember_answer(self, *args: Any) -> AnswerRecord:
        """`AnswerLog.add`, opening the log first if needed: blocking, so call it in a
        thread (`run_io`); the first open creates and fsyncs an SQLite file."""
        return self.answers.add(*args)

    def recall_answer(self, key: str) -> AnswerRecord | None:
        """`AnswerLog.get`, likewise off the event loop."""
        return self.answers.get(key)

    def open_answers(self) -> AnswerLog:
        """Open the answer log and prune it. Blocking: call in a thread, before going online."""
        answers = self.answers
        answers.prune()
        return answers

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Model/index work: in a worker thread, at most `settings.workers` at once, never
        while an ingest is changing the index."""
        async with self.gate.read(), self._pool:
            return await asyncio.to_thread(fn, *args)

    async def run_exclusive(self, fn: Callable[..., T], *args: Any) -> T:
        """Index writes (ingest, reindex): alone, after the searches in flight finish."""
        async with self.gate.write():
            return await asyncio.to_thread(fn, *args)

    async def run_io(self, fn: Callable[..., T], *args: Any) -> T:
        """Small SQLite reads/writes: off the event loop but outside the bounded pool, so a
        queue of searches never delays a button click or an autocomplete."""
        return await asyncio.to_thread(fn, *args)

    async def speakers_cached(self) -> list[SpeakerInfo]:
        """Every speaker, cached briefly: autocomplete asks on each keystroke."""
        now = time.monotonic()
        if self._speaker_cache and now - self._speaker_cache[0] < SPEAKER_CACHE_SECONDS:
            return self._speaker_cache[1]
        service = await self.get_service()
        speakers = await self.run_io(service.speakers)
        self._speaker_cache = (now, speakers)
        return speakers

    def forget_speakers(self) -> None:
        self._speaker_cache = None

    def check_cooldown(self, action: str, user_id: int) -> None:
        self.cooldowns.hit(action, user_id)

    # -- errors ---------------------------------------------------------------------------------
    async def guarded(self, interaction: discord.Interaction, work: Awaitable[None]) -> None:
        """Run a button's work; errors reach the user as `tree.on_error` would show them."""
        try:
            await work
        except Exception as exc:  # noqa: BLE001 - every failure gets a friendly reply
            await self.report_error(interaction, exc)

    async def report_error(self, interaction: discord.Interaction, error: BaseException) -> None:
        message = self.describe_error(error, interaction)
        try:
            await send_ephemeral(interaction, message)
        except discord.HTTPException:
            log.warning("could not report an error to the user interaction=%s", interaction.id)

    def describe_error(self, error: BaseException, interaction: discord.Interaction | None) -> str:
        """The user's words for an error; unexpected ones are logged and never shown."""
        original = error
        if isinstance(error, app_commands.CommandInvokeError):
            original = error.original
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
        log.error(
            "command failed command=%s user=%s guild=%s\n%s",
            command,
            getattr(getattr(interaction, "user", None), "id", None),
            getattr(interaction, "guild_id", None),
            "".join(traceback.format_exception(original)),
        )
        return APOLOGY


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Acknowledge within Discord's 3 seconds; remembers whether the reply is private."""
    interaction.extras["ephemeral"] = ephemeral
    await interaction.response.defer(thinking=True, ephemeral=ephemeral)


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    text = plain(text)
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
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)


# -- public API -------------------------------------------------------------------------------
def create_bot(
    settings: Settings,
    service: AttribotService | None = None,
    *,
    answers_path: Path | None = None,
) -> AttribotBot:
    """Build the bot without connecting; the service is opened on first use when None.

    `answers_path`: where the buttons' state lives (default: beside the index, so a
    restarted bot on the same index keeps its buttons working).
    """
    return AttribotBot(settings, service, answers_path=answers_path)


def command_payloads(bot: AttribotBot) -> list[dict]:
    """Each command exactly as `tree.sync` would send it (for `attribot commands --json`)."""
    if not bot.cogs_loaded:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(bot.load_cogs())
        else:
            raise RuntimeError("inside an event loop: `await bot.load_cogs()` first")
    payloads = []
    for kind in discord.AppCommandType:
        for command in bot.tree.get_commands(type=kind):
            payloads.append(command.to_dict(bot.tree))
    return payloads


async def sync_commands(bot: AttribotBot, guild_id: int | None) -> list:
    """Publish the commands: to one guild (visible at once, for testing) or globally.

    The bot must be logged in (`await bot.login(token)`), which runs setup_hook.
    """
    await bot.load_cogs()
    if guild_id:
        guild = discord.Object(id=guild_id)
        bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    else:
        synced = await bot.tree.sync()
    log.info("synced commands count=%d guild=%s", len(synced), guild_id)
    return synced


async def sync_commands_with_token(settings: Settings, guild_id: int | None) -> list[str]:
    """Log in over HTTP only (no gateway, no model), sync, log out; the synced names."""
    if not settings.token:
        raise SystemExit("DISCORD_TOKEN is not set: see .env.example")
    bot = create_bot(settings)
    async with bot:
        await bot.login(settings.token)  # runs setup_hook, which adds the commands
        synced = await sync_commands(bot, guild_id)
    return [command.name for command in synced]


def run_bot(settings: Settings, service: AttribotService | None = None) -> None:
    """Run until SIGINT/SIGTERM, then close the connection and the index cleanly."""
    # Our set-up, not discord.utils.setup_logging: that one added a second root handler (every
    # line printed twice) without the token redaction.
    from bot.logs import setup_logging

    setup_logging(settings.log_level, secrets=[settings.token] if settings.token else None)
    token = settings.token
    if not token:
        raise SystemExit("DISCORD_TOKEN is not set: see .env.example")
    asyncio.run(_run(settings, token, service))


async def _run(settings: Settings, token: str, service: AttribotService | None) -> None:
    bot = create_bot(settings, service)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    async with bot:
        if service is not None:  # the CLI's service is opened lazily: warm it up now
            await asyncio.to_thread(service.warm_up)
        await bot.get_service()  # load the model before going online
        await asyncio.to_thread(bot.open_answers)  # forget answers past ATTRIBOT_ANSWER_DAYS
        runner = asyncio.create_task(bot.start(token), name="attribot-gateway")
        stopper = asyncio.create_task(stop.wait(), name="attribot-stop")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("signal received: shutting down")
        else:
            stopper.cancel()
        await bot.close()
        if service is not None:  # the caller's service: the bot did not close its index
            await asyncio.to_thread(service.index.close)
        if runner in done:
            runner.result()  # re-raise a login failure or gateway error
        else:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
