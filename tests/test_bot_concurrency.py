"""The bot's concurrency helpers on their own: per-user cooldowns and the index gate
(many searches at once, or one writer alone)."""

from __future__ import annotations

import asyncio
import time

import pytest
from discord import app_commands

from bot import concurrency
from bot.concurrency import IndexGate, UserCooldowns


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
