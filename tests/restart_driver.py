"""A real `attribot run` process for the restart test (tests/test_bot_restart.py), offline.

It runs the bot's own run loop, `bot.app.run_bot` (signal handlers, login, setup_hook, the
drain and the ordered shutdown), over a real index with the real model, and replaces only
Discord: its HTTP API by the recorder in tests/discord_helpers.py (login included, over a
real aiohttp session that the shutdown really closes), and the gateway socket by
`DriverBot.connect`. That fake gateway

1. delivers N /ask interactions from N users, and holds their searches in the worker threads
   (`HeldSearches`) until every one is deferred and the pool is busy: N answers in flight;
2. prints "IN FLIGHT N" on stdout, so the test sends the signal now;
3. once the bot is draining, delivers one more /ask, waits for its reply, and only then lets
   the searches go on: so the new question provably came during the drain;
4. returns when the bot closes, as discord.py's gateway loop does.

When `run_bot` returns, the process writes what Discord received to REPORT and exits 0.

    python -m tests.restart_driver INDEX REPORT.json [--questions 16] [--drain-seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.load import questions
from bot import app
from bot.app import AttribotBot
from bot.settings import Settings
from tests.discord_helpers import Harness

FAKE_TOKEN = "driver.fake.token"
USER_BASE = 710_000_000_000_000_000
LATE_QUESTION = "Who spoke about the harbour bridge?"


class HeldSearches:
    """Wraps a blocking search so that calls wait in their worker thread until `release`:
    answers in flight on demand. Counts the calls running and finished."""

    def __init__(self, fn: Callable[..., Any]):
        self.fn = fn
        self.release = threading.Event()
        self.running = 0
        self.finished = 0
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.running += 1
        try:
            if not self.release.wait(timeout=60):
                raise TimeoutError("held search never released")
            return self.fn(*args, **kwargs)
        finally:
            with self._lock:
                self.running -= 1
                self.finished += 1


async def until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Poll `condition` on the event loop until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.01)


class DriverBot(AttribotBot):
    """The application as `run_bot` builds it; only login's network and the gateway differ."""

    held: HeldSearches
    count: int
    record: dict[str, Any]

    async def login(self, token: str) -> None:
        self.harness = Harness(self)  # HTTP answered by the recorder from here on
        await super().login(token)  # real: session, /users/@me, application info, setup_hook

    async def connect(self, *, reconnect: bool = True) -> None:
        h = self.harness
        h.populate()  # READY and GUILD_CREATE
        self.dispatch("ready")
        watch_closes(self)
        asked = [
            h.ask_payload(q, user_id=USER_BASE + i) for i, q in enumerate(questions(self.count))
        ]
        for payload in asked:
            h.deliver(payload)
            await asyncio.sleep(0)  # one gateway event per loop turn
        await until(lambda: len(h.fake.defers()) == len(asked), what="every /ask deferred")
        await until(lambda: self.held.running == self.settings.workers, what="busy workers")
        print(f"IN FLIGHT {len(asked)}", flush=True)
        await until(lambda: self.draining, timeout=60, what="the signal")
        late = h.ask_payload(LATE_QUESTION, user_id=USER_BASE + len(asked))
        h.deliver(late)
        await until(lambda: bool(h.calls_for(late)), what="a reply to the late question")
        self.record.update(asked=asked, late=late)
        self.held.release.set()
        while not self.is_closed():  # as discord.py's gateway loop: until close()
            await asyncio.sleep(0.02)


def watch_closes(bot: DriverBot) -> None:
    """Note how many searches were still running when the answer log and the index closed."""
    service = bot._service
    assert service is not None
    answers = bot.answers
    for name, owner in (("answer_log", answers), ("index", service.index)):
        close = owner.close

        def closing(close=close, name=name) -> None:
            bot.record[f"running_at_{name}_close"] = bot.held.running
            close()

        owner.close = closing  # type: ignore[method-assign]


def report(bot: DriverBot) -> dict[str, Any]:
    """What Discord received: which of the questions got their answer, and the late reply."""
    h = bot.harness
    asked, late = bot.record.get("asked", []), bot.record.get("late")
    answered = [p for p in asked if any(c.embeds for c in h.calls_for(p))]
    late_calls = h.calls_for(late) if late else []
    return {
        "asked": len(asked),
        "answered": len(answered),
        "searches_finished": bot.held.finished,
        "late": [
            {"type": (c.payload or {}).get("type"), "ephemeral": c.ephemeral, "content": c.content}
            for c in late_calls
        ],
        **{k: v for k, v in bot.record.items() if k.startswith("running_at_")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("report", type=Path)
    parser.add_argument("--questions", type=int, default=16)
    parser.add_argument("--drain-seconds", type=float, default=20.0)
    args = parser.parse_args(argv)

    from bot.service import AttribotService

    settings = Settings(
        _env_file=None,
        discord_token=FAKE_TOKEN,
        index=args.index,
        workers=2,
        cooldown_seconds=0,
        drain_seconds=args.drain_seconds,
        log_level="INFO",
    )
    service = AttribotService(args.index)
    held = HeldSearches(service.ask)
    service.ask = held  # type: ignore[method-assign]
    bots: list[DriverBot] = []

    def create_bot(settings: Settings, service: AttribotService | None = None) -> DriverBot:
        bot = DriverBot(settings, service)
        bot.held, bot.count, bot.record = held, args.questions, {}
        bots.append(bot)
        return bot

    app.create_bot = create_bot  # type: ignore[assignment]  # what `run_bot` builds
    app.run_bot(settings, service)
    args.report.write_text(json.dumps(report(bots[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
