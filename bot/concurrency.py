"""Who may run at once: per-user cooldowns, and the index's readers/writer gate.

Both live on the event loop and never block it; the work they admit runs in threads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from discord import app_commands

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
