"""Load: N concurrent /ask interactions through the bot's real CommandTree, offline.

Interactions are built as the gateway delivers them and fed to discord.py one per event-loop
turn; the answers go through discord.py's webhook code down to a recorder standing in for
Discord's HTTP API (tests/discord_helpers.py). Everything else is real: cogs, cooldowns, the
bounded worker pool, the model, FAISS, BM25 and SQLite.

Measured:
- answered: interactions that got their answer (a follow-up after the "thinking…" defer);
- latency p50/p99: from delivery to the answer being sent;
- max loop lag: a probe task sleeps 10 ms in a loop and records how late it wakes (any
  blocking call on the event loop shows up here);
- max in flight: the most searches running at once (must not exceed ATTRIBOT_WORKERS);
- cooldown: users asking twice back to back are refused the second time.

    python bench/load.py                 # 200 interactions over the bundled sample corpus
    python bench/load.py --n 500 --index data/index --workers 2 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

USER_BASE = 700_000_000_000_000_000
TOPICS = [
    "ferry timetable",
    "ticket prices",
    "the harbour bridge repairs",
    "the council budget",
    "library opening hours",
    "the vineyard harvest",
    "flood defences",
    "the new terminal",
    "school funding",
    "bus routes",
]
FORMS = [
    "What was said about {}?",
    "Who spoke about {}?",
    "Tell me about {}",
    "Any news on {}?",
    "What did officials say about {} this week?",
]


def questions(n: int) -> list[str]:
    """n questions, all different (the query-vector cache must not make this a cache test)."""
    out = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        form = FORMS[(i // len(TOPICS)) % len(FORMS)]
        out.append(f"{form.format(topic)} (#{i})")
    return out


@dataclass
class LoadResult:
    sent: int = 0
    answered: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds
    max_loop_lag: float = 0.0  # seconds
    loop_lags: list[float] = field(default_factory=list)  # every probe's lateness, seconds
    seconds: float = 0.0
    max_in_flight: int = 0
    workers: int = 0
    cooldown_first_answered: int = 0
    cooldown_second_refused: int = 0
    cooldown_pairs: int = 0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def to_json(self) -> dict:
        return {
            "sent": self.sent,
            "answered": self.answered,
            "failed": self.failed,
            "p50_ms": round(self.percentile(50) * 1000, 1),
            "p99_ms": round(self.percentile(99) * 1000, 1),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if self.latencies else 0,
            "max_loop_lag_ms": round(self.max_loop_lag * 1000, 1),
            "seconds": round(self.seconds, 2),
            "throughput_per_s": round(self.answered / self.seconds, 1) if self.seconds else 0,
            "max_in_flight": self.max_in_flight,
            "workers": self.workers,
            "cooldown_pairs": self.cooldown_pairs,
            "cooldown_first_answered": self.cooldown_first_answered,
            "cooldown_second_refused": self.cooldown_second_refused,
        }


class LagProbe:
    """Sleeps `interval` in a loop on the event loop; the overshoot is how long the loop was
    blocked (by anything: our code, discord.py's, or a synchronous call that should not be
    there)."""

    def __init__(self, interval: float = 0.01):
        self.interval = interval
        self.lags: list[float] = []
        self._stop = asyncio.Event()

    @property
    def max_lag(self) -> float:
        return max(self.lags, default=0.0)

    @property
    def samples(self) -> int:
        return len(self.lags)

    async def run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.lags.append(time.perf_counter() - started - self.interval)

    def stop(self) -> None:
        self._stop.set()


class InFlight:
    """Counts calls running at once in a wrapped blocking function (worker threads)."""

    def __init__(self, fn):
        self.fn = fn
        self.now = 0
        self.max = 0
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            self.now += 1
            self.max = max(self.max, self.now)
        try:
            return self.fn(*args, **kwargs)
        finally:
            with self._lock:
                self.now -= 1


async def _settle(exclude: set[asyncio.Task], timeout: float) -> None:
    """Wait for every task the bot started (command invocations, views) to finish."""
    deadline = time.perf_counter() + timeout
    while True:
        pending = [t for t in asyncio.all_tasks() if t not in exclude and not t.done()]
        if not pending:
            return
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError(f"{len(pending)} bot tasks still running after {timeout}s")
        await asyncio.wait(pending, timeout=min(left, 1.0))


async def drive(
    service, n: int, *, workers: int = 2, cooldown: float = 5.0, pairs: int = 10,
    timeout: float = 300.0, answers_path: Path | None = None,
) -> LoadResult:  # fmt: skip
    """Deliver n /ask interactions from n different users as fast as the gateway could,
    then `pairs` users asking twice back to back; return the measurements."""
    from bot.app import create_bot
    from bot.settings import Settings
    from tests.discord_helpers import Harness

    settings = Settings(
        _env_file=None,
        index=service.index.folder,
        workers=workers,
        cooldown_seconds=cooldown,
    )
    tmp = None
    if answers_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="attribot-load-")
        answers_path = Path(tmp.name) / "answers.sqlite3"
    counter = InFlight(service.ask)
    service.ask = counter  # instance attribute: counts, then calls the real method
    bot = create_bot(settings, service, answers_path=answers_path)
    result = LoadResult(workers=workers)
    try:
        h = await Harness(bot).start()
        # as run_bot does before going online: opening the answer log creates and fsyncs an
        # SQLite file, which must not happen on the loop under the probe
        await asyncio.to_thread(bot.open_answers)
        sent_at: dict[str, float] = {}
        answered_at: dict[str, float] = {}
        refused: set[str] = set()
        record = h.fake.record

        def timed_record(method, path, url, payload):
            call = record(method, path, url, payload)
            now = time.perf_counter()
            token = next((t for t in sent_at if t in url), None)
            if token is not None and call.carries_message():
                if call.ephemeral and "Slow down" in call.content:
                    refused.add(token)
                elif call.embeds and token not in answered_at:
                    answered_at[token] = now
            return call

        h.fake.record = timed_record  # type: ignore[method-assign]
        probe = LagProbe()
        me = asyncio.current_task()
        probe_task = asyncio.create_task(probe.run())

        def deliver(user_id: int, question: str) -> str:
            payload = h.ask_payload(question, user_id=user_id)
            sent_at[payload["token"]] = time.perf_counter()
            h.deliver(payload)  # as the gateway does; its tasks inherit the fake network
            return payload["token"]

        started = time.perf_counter()
        tokens = []
        for i, question in enumerate(questions(n)):
            tokens.append(deliver(USER_BASE + i, question))
            await asyncio.sleep(0)  # one gateway event per loop turn, as in production
        await _settle({me, probe_task}, timeout)
        result.seconds = time.perf_counter() - started
        result.sent = n
        result.answered = sum(1 for t in tokens if t in answered_at)
        result.failed = n - result.answered
        result.latencies = [answered_at[t] - sent_at[t] for t in tokens if t in answered_at]

        # Cooldown: the same user twice in a row; the second must be refused.
        result.cooldown_pairs = pairs
        for i in range(pairs):
            user = USER_BASE + 10 * n + i
            first = deliver(user, f"Cooldown question {i} about the ferry timetable")
            second = deliver(user, f"Cooldown question {i} again")
            await asyncio.sleep(0)
            await _settle({me, probe_task}, timeout)
            result.cooldown_first_answered += first in answered_at
            result.cooldown_second_refused += second in refused
        probe.stop()
        await probe_task
        result.max_loop_lag = probe.max_lag
        result.loop_lags = probe.lags
        result.max_in_flight = counter.max
    finally:
        service.ask = counter.fn
        await bot.close()
        if tmp is not None:
            tmp.cleanup()
    return result


def sample_index(folder: Path) -> Path:
    from retrieval.index import Index
    from retrieval.ingest import ingest_paths

    index = Index(folder)
    ingest_paths(index, [ROOT / "corpus" / "sample_corpus"])
    index.close()
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="concurrent /ask interactions")
    parser.add_argument("--index", type=Path, default=None, help="index (default: sample)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("ATTRIBOT_WORKERS", 2)))
    parser.add_argument("--pairs", type=int, default=10, help="users asking twice (cooldown)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from bot.logs import quiet_libraries
    from bot.service import AttribotService

    quiet_libraries()
    with tempfile.TemporaryDirectory(prefix="attribot-load-index-") as tmp:
        index = args.index or sample_index(Path(tmp) / "index")
        service = AttribotService(index)
        service.warm_up()  # as the bot does before going online (model, vectors, gc.freeze)
        result = asyncio.run(drive(service, args.n, workers=args.workers, pairs=args.pairs))
        service.index.close()
    figures = result.to_json()
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"/ask x{result.sent} from {result.sent} users, {result.workers} workers")
        print(f"  answered        {result.answered}/{result.sent} ({result.failed} failed)")
        print(f"  latency         p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
        print(f"  max loop lag    {figures['max_loop_lag_ms']} ms (probe: 10 ms sleeps)")
        print(
            f"  throughput      {figures['throughput_per_s']} answers/s over {result.seconds:.1f}s"
        )
        print(f"  max in flight   {result.max_in_flight} searches (pool of {result.workers})")
        print(
            f"  cooldown        {result.cooldown_first_answered}/{result.cooldown_pairs} first "
            f"answered, {result.cooldown_second_refused}/{result.cooldown_pairs} repeats refused"
        )
    ok = (
        result.answered == result.sent
        and result.max_loop_lag < 0.1
        and result.max_in_flight <= result.workers
        and result.cooldown_second_refused == result.cooldown_pairs
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
