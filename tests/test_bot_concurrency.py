"""The bot's concurrency helpers on their own: per-user cooldowns, the index gate (many
searches at once, or one writer alone), the worker pool and the shutdown's drain."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from discord import app_commands

from bot import concurrency
from bot.concurrency import Drain, IndexGate, UserCooldowns, WorkerPool


def test_a_second_use_within_the_cooldown_is_refused_with_the_wait():
    cooldowns = UserCooldowns(30)
    cooldowns.hit("ask", 1)
    with pytest.raises(app_commands.CommandOnCooldown) as refused:
        cooldowns.hit("ask", 1)
    assert 29 < refused.value.retry_after <= 30


def test_cooldowns_are_per_user_and_per_action():
    cooldowns = UserCooldowns(30)
    cooldowns.hit("ask", 1)
    cooldowns.hit("ask", 2)  # another user
    cooldowns.hit("ingest", 1)  # another action of the same user


def test_a_user_may_ask_again_once_the_cooldown_has_passed():
    cooldowns = UserCooldowns(0.05)
    cooldowns.hit("ask", 1)
    time.sleep(0.08)
    cooldowns.hit("ask", 1)


def test_a_zero_cooldown_never_refuses():
    cooldowns = UserCooldowns(0)
    for _ in range(5):
        cooldowns.hit("ask", 1)


def test_idle_users_are_forgotten_so_the_buckets_cannot_grow_forever(monkeypatch):
    monkeypatch.setattr(concurrency, "IDLE_BUCKETS_MAX", 3)
    cooldowns = UserCooldowns(0.01)
    for user in range(4):
        cooldowns.hit("ask", user)
    time.sleep(0.03)  # every bucket is full again: idle
    cooldowns.hit("ask", 99)
    assert len(cooldowns._buckets) == 1


async def test_readers_share_the_gate():
    gate = IndexGate()
    inside = 0
    most = 0

    async def search():
        nonlocal inside, most
        async with gate.read():
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(search() for _ in range(4)))
    assert most == 4


async def test_a_writer_waits_for_searches_in_flight_and_searches_wait_for_it():
    gate = IndexGate()
    events: list[str] = []
    reading, writing = asyncio.Event(), asyncio.Event()

    async def search(name: str, after: asyncio.Event):
        await after.wait()
        async with gate.read():
            events.append(f"{name} in")
            reading.set()
            await asyncio.sleep(0.02)
            events.append(f"{name} out")

    async def ingest():
        await reading.wait()
        async with gate.write():
            events.append("write in")
            writing.set()
            await asyncio.sleep(0.02)
            events.append("write out")

    started = asyncio.Event()
    started.set()
    await asyncio.gather(search("first", started), ingest(), search("second", writing))
    assert events == ["first in", "first out", "write in", "write out", "second in", "second out"]


async def test_a_drain_waits_for_the_work_in_flight_and_admits_nothing_new():
    drain = Drain()

    async def work(seconds: float) -> bool:
        admitted = drain.admit(lambda: asyncio.sleep(0))
        await asyncio.sleep(seconds)
        return admitted

    first = asyncio.create_task(work(0.1))
    await asyncio.sleep(0)
    assert drain.in_flight == 1
    cancelled = await drain.finish(5.0)
    assert cancelled == [] and first.done() and first.result() is True
    assert await work(0) is False  # after the signal: turned away


async def test_work_past_the_deadline_is_cancelled_and_its_note_returned():
    drain = Drain()

    async def note() -> None:
        return None

    async def slow() -> None:
        drain.admit(note)
        await asyncio.sleep(30)

    task = asyncio.create_task(slow())
    await asyncio.sleep(0)
    started = time.monotonic()
    assert await drain.finish(0.1) == [note]
    assert task.cancelled() and time.monotonic() - started < 1


async def test_hurry_stops_waiting_at_once():
    drain = Drain()

    async def slow() -> None:
        drain.admit(lambda: asyncio.sleep(0))
        await asyncio.sleep(30)

    task = asyncio.create_task(slow())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, drain.hurry)  # a second signal
    started = time.monotonic()
    assert len(await drain.finish(30)) == 1
    assert task.cancelled() and time.monotonic() - started < 1


async def test_the_worker_pool_runs_at_most_its_size_and_shutdown_joins_its_threads():
    pool = WorkerPool(2, "test-worker")
    running, most, finished = 0, 0, 0
    lock = threading.Lock()

    def work() -> str:
        nonlocal running, most, finished
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
            finished += 1
        return threading.current_thread().name

    names = await asyncio.gather(*(pool.run(work) for _ in range(6)))
    assert most == 2 and all(n.startswith("test-worker") for n in names)
    started = [asyncio.ensure_future(pool.run(work)) for _ in range(2)]
    await asyncio.sleep(0.01)  # both running now
    await asyncio.to_thread(pool.shutdown)
    assert finished == 8 and running == 0  # shutdown returned after the running work
    await asyncio.gather(*started)
