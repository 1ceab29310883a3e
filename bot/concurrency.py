"""Who may run at once: per-user cooldowns, the index's readers/writer gate, the worker
threads, and the work in flight that a shutdown lets finish.

All but the threads live on the event loop and never block it; the work they admit runs in
the threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from discord import app_commands

log = logging.getLogger(__name__)
T = TypeVar("T")

IDLE_BUCKETS_MAX = 10_000  # buckets kept before idle users are forgotten


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
        if len(self._buckets) > IDLE_BUCKETS_MAX:  # so the dict cannot grow forever
            self._buckets = {k: b for k, b in self._buckets.items() if b.get_tokens() < b.rate}
        bucket = self._buckets.setdefault(
            (action, user_id), app_commands.Cooldown(self.rate, self.seconds)
        )
        retry_after = bucket.update_rate_limit()
        if retry_after:
            raise app_commands.CommandOnCooldown(bucket, retry_after)


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


class WorkerPool:
    """A fixed set of named threads for blocking work (model, FAISS, SQLite), at most `size`
    at once. Unlike the loop's default executor it can be joined: a shutdown closes the index
    and the answer log only after `shutdown` returns, so no search runs over a closed
    database or freed FAISS memory (issue 13: ProgrammingError, and a SIGSEGV in one run of
    three, when they were closed under running searches)."""

    def __init__(self, size: int, name: str):
        self.size = max(1, size)
        self._executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker thread, with the caller's context (as `asyncio.to_thread`)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, fn, *args)
        return await loop.run_in_executor(self._executor, call)

    def shutdown(self) -> None:
        """Drop the work not started yet and wait for the running work to return. Blocking:
        call it in a thread."""
        self._executor.shutdown(wait=True, cancel_futures=True)


class Drain:
    """The work in flight (a command, a click, a mention's answer), and the switch that turns
    new work away during a shutdown: what lets a restart finish the answers it started.

    Each piece of work is the asyncio task running it, admitted with what to say to its
    user if the shutdown cannot wait for it."""

    def __init__(self) -> None:
        self.draining = False
        self._work: dict[asyncio.Task, Callable[[], Coroutine[Any, Any, None]]] = {}
        self._hurry: asyncio.Event | None = None

    @property
    def in_flight(self) -> int:
        return len(self._work)

    def admit(self, on_cancel: Callable[[], Coroutine[Any, Any, None]]) -> bool:
        """Count the current task as work in flight until it ends; False when draining (the
        caller turns the work away)."""
        if self.draining:
            return False
        task = asyncio.current_task()
        if task is not None and task not in self._work:
            self._work[task] = on_cancel
            task.add_done_callback(self._forget)
        return True

    def _forget(self, task: asyncio.Task) -> None:
        self._work.pop(task, None)

    def hurry(self) -> None:
        """Stop waiting for the work in flight (a second signal)."""
        if self._hurry is not None:
            self._hurry.set()

    async def finish(self, seconds: float) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        """Turn new work away, wait up to `seconds` for the work in flight, then cancel what
        is left; the `on_cancel` of each piece cancelled."""
        self.draining = True
        self._hurry = asyncio.Event()
        pending = set(self._work) - {asyncio.current_task()}
        if pending:
            log.info("finishing work in flight count=%d seconds=%g", len(pending), seconds)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, seconds)
        hurry = asyncio.create_task(self._hurry.wait())
        try:
            while pending and not self._hurry.is_set() and loop.time() < deadline:
                _, pending = await asyncio.wait(
                    pending | {hurry},
                    timeout=deadline - loop.time(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                pending.discard(hurry)
        finally:
            hurry.cancel()
        if not pending:
            return []
        log.warning("work still in flight cancelled count=%d", len(pending))
        told = [self._work[task] for task in pending if task in self._work]
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=5.0)
        return told
