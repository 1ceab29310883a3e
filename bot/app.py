"""The Discord application: a `commands.Bot` whose cogs answer from an AttribotService,
and the loop that runs it.

Building the bot (`create_bot`) touches neither the network nor the index, so tools can list
or sync its commands cheaply and tests can drive it offline. The service (model + index) is
created on first use, in a worker thread, and `run_bot` does that before going online so the
first question does not wait for the model.

Imports run one way: replies, concurrency, answer_log <- views <- cogs <- app.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer_log import ANSWER_LOG_FILE, AnswerLog, AnswerRecord
from bot.cogs import COGS
from bot.concurrency import Drain, IndexGate, UserCooldowns, WorkerPool
from bot.conversation import Conversation, Turn
from bot.logs import setup_logging
from bot.replies import NONE, report_error, tell_restarting
from bot.scopes import scope_for
from bot.service import AttribotService
from bot.settings import Settings
from bot.views import DYNAMIC_ITEMS
from retrieval.models import SpeakerInfo
from retrieval.scope import Scope

log = logging.getLogger(__name__)

T = TypeVar("T")
SPEAKER_CACHE_SECONDS = 60.0
IO_THREADS = 4  # answer-log writes and small SQLite reads, beside the search pool
TELL_SECONDS = 3.0  # at most this long to tell the cancelled askers, before disconnecting
SPEAKER_CACHE_SCOPES = 256  # servers whose speaker lists are kept for autocomplete


def intents(message_content: bool = False) -> discord.Intents:
    """Default intents without message_content unless asked for: it is privileged, and
    mentions of the bot still arrive with their content, which is all mention-asking needs.
    With it (ATTRIBOT_MESSAGE_CONTENT, and the intent turned on in the developer portal)
    a follow-up in the bot's thread needs no mention."""
    result = discord.Intents.default()
    result.message_content = message_content
    return result


class AttribotTree(app_commands.CommandTree):
    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Commands and autocomplete: admitted as work in flight, or turned away while the
        bot shuts down."""
        return await interaction.client.admit(interaction)  # type: ignore[attr-defined]

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


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
            intents=intents(settings.message_content),
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
        self._pool = WorkerPool(settings.workers, "attribot-worker")
        self._io = WorkerPool(IO_THREADS, "attribot-io")
        self.drain = Drain()
        self._shut_down: asyncio.Event | None = None
        self.index_gate = IndexGate()
        self.cooldowns = UserCooldowns(settings.cooldown_seconds)
        self._speaker_cache: dict[Scope, tuple[float, list[SpeakerInfo]]] = {}
        self.cogs_loaded = False

    # -- set-up ------------------------------------------------------------------------------
    async def load_cogs(self) -> None:
        """Add the cogs (and so the app commands). Idempotent."""
        if self.cogs_loaded:
            return
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

    # -- shutting down -----------------------------------------------------------------------
    async def admit(self, target: discord.Interaction | discord.Message) -> bool:
        """Count an interaction or a mention as work in flight, so a shutdown waits for its
        answer; while shutting down, turn it away with a short "restarting" note instead
        (a network call only: no CPU work before Discord's 3 seconds)."""
        if self.drain.admit(functools.partial(tell_restarting, target)):
            return True
        await tell_restarting(target)
        return False

    @property
    def draining(self) -> bool:
        return self.drain.draining

    async def close(self) -> None:
        """Shut down without losing an answer or crashing: turn new work away, let the work in
        flight finish (up to ATTRIBOT_DRAIN_SECONDS; what is still running then is cancelled
        and its askers told to ask again), disconnect, wait for every worker thread, and only
        then close the answer log and the index they use. Idempotent."""
        if self._shut_down is not None:
            await self._shut_down.wait()
            return
        self._shut_down = asyncio.Event()
        started = time.perf_counter()
        cancelled: list = []
        try:
            cancelled = await self.drain.finish(self.settings.drain_seconds)
            if cancelled:
                await asyncio.wait(
                    [asyncio.create_task(tell()) for tell in cancelled], timeout=TELL_SECONDS
                )
            await super().close()  # the gateway and the HTTP session
            await asyncio.to_thread(self._join_workers)
            if self._answers is not None:
                self._answers.close()
            if self._service is not None and self._owns_service:
                await asyncio.to_thread(self._service.index.close)
        finally:
            self._shut_down.set()
        log.info(
            "bot closed seconds=%.1f cancelled=%d", time.perf_counter() - started, len(cancelled)
        )

    def _join_workers(self) -> None:
        self._pool.shutdown()
        self._io.shutdown()

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
            search=self.settings.search,
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

    def remember_answer(self, answer: AnswerRecord) -> AnswerRecord:
        """`AnswerLog.add`, opening the log first if needed: blocking, so call it in a
        thread (`run_io`); the first open creates and fsyncs an SQLite file."""
        return self.answers.add(answer)

    def recall_answer(self, key: str) -> AnswerRecord | None:
        """`AnswerLog.get`, likewise off the event loop."""
        return self.answers.get(key)

    def recall_conversation(self, thread_id: int, place: str) -> Conversation | None:
        """The turns of a thread the bot started in `place`, or None (`AnswerLog`); blocking."""
        return self.answers.conversation(str(thread_id), place)

    def remember_turn(self, thread_id: int, place: str, turn: Turn) -> Conversation:
        """Add a turn to a thread's conversation (`AnswerLog.add_turn`); blocking."""
        return self.answers.add_turn(str(thread_id), place, turn)

    def open_answers(self) -> AnswerLog:
        """Open the answer log and prune it. Blocking: call in a thread, before going online."""
        answers = self.answers
        answers.prune()
        return answers

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Model/index work: in a worker thread, at most `settings.workers` at once, never
        while an ingest is changing the index."""
        async with self.index_gate.read():
            return await self._pool.run(fn, *args)

    async def run_exclusive(self, fn: Callable[..., T], *args: Any) -> T:
        """Index writes (ingest, reindex): alone, after the searches in flight finish."""
        async with self.index_gate.write():
            return await self._pool.run(fn, *args)

    async def run_io(self, fn: Callable[..., T], *args: Any) -> T:
        """Small SQLite reads/writes: off the event loop but outside the search pool, so a
        queue of searches never delays a button click or an autocomplete."""
        return await self._io.run(fn, *args)

    def scope_for(self, guild_id: int | None) -> Scope:
        """What a question from `guild_id` (None: a direct message) may see (bot.scopes)."""
        return scope_for(self.settings, guild_id)

    async def speakers_cached(self, scope: Scope) -> list[SpeakerInfo]:
        """The speakers `scope` sees, cached briefly: autocomplete asks on each keystroke."""
        now = time.monotonic()
        cached = self._speaker_cache.get(scope)
        if cached and now - cached[0] < SPEAKER_CACHE_SECONDS:
            return cached[1]
        service = await self.get_service()
        speakers = await self.run_io(service.speakers, None, scope)
        if len(self._speaker_cache) >= SPEAKER_CACHE_SCOPES:  # forget stale ones, else all
            fresh = {
                k: v for k, v in self._speaker_cache.items() if now - v[0] < SPEAKER_CACHE_SECONDS
            }
            self._speaker_cache = fresh if len(fresh) < SPEAKER_CACHE_SCOPES else {}
        self._speaker_cache[scope] = (now, speakers)
        return speakers

    def forget_speakers(self) -> None:
        self._speaker_cache.clear()

    def check_cooldown(self, action: str, user_id: int) -> None:
        self.cooldowns.hit(action, user_id)


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
    """Run until SIGINT/SIGTERM, then shut down gracefully (`AttribotBot.close`): answers in
    flight are finished, for up to ATTRIBOT_DRAIN_SECONDS; a second signal stops waiting."""
    # Our set-up, not discord.utils.setup_logging: that one added a second root handler (every
    # line printed twice) without the token redaction.
    setup_logging(settings.log_level, secrets=settings.secrets)
    token = settings.token
    if not token:
        raise SystemExit("DISCORD_TOKEN is not set: see .env.example")
    asyncio.run(_run(settings, token, service))


async def _run(settings: Settings, token: str, service: AttribotService | None) -> None:
    bot = create_bot(settings, service)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            log.warning("second signal: not waiting for the answers in flight")
            bot.drain.hurry()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(sig, on_signal)
    async with bot:
        if service is not None:  # the CLI's service is opened lazily: warm it up now
            await asyncio.to_thread(service.warm_up)
        await bot.get_service()  # load the model before going online
        await asyncio.to_thread(bot.open_answers)  # forget answers past ATTRIBOT_ANSWER_DAYS
        runner = asyncio.create_task(bot.start(token), name="attribot-gateway")
        stopper = asyncio.create_task(stop.wait(), name="attribot-stop")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info(
                "signal received: shutting down after the answers in flight (up to %gs)",
                settings.drain_seconds,
            )
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
