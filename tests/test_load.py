"""Under load: concurrent /ask interactions through the real CommandTree (network faked),
every one answered, the event loop never blocked, searches in a bounded pool, per-user
cooldowns holding. bench/load.py runs the same driver at full scale (200)."""

from __future__ import annotations

import pytest

from bench.load import drive

N = 60  # 200 in bench/load.py; 60 keeps this test to a few seconds


@pytest.fixture()
def warm_service(service):
    # What the bot does before going online; again here because earlier tests may have
    # loaded more (spaCy) since the session fixture warmed up.
    service.warm_up()
    return service


async def test_concurrent_asks_all_answered_loop_never_blocked(warm_service, tmp_path):
    result = await drive(
        warm_service, N, workers=2, cooldown=5.0, pairs=5, answers_path=tmp_path / "a.sqlite3"
    )
    figures = result.to_json()
    assert result.answered == N, figures
    assert result.max_loop_lag < 0.100, figures
    assert 1 <= result.max_in_flight <= 2, figures  # the bounded pool, never more
    # the same user twice back to back: the first answered, the second refused
    assert result.cooldown_first_answered == 5, figures
    assert result.cooldown_second_refused == 5, figures


async def test_pool_of_one_serialises_searches(warm_service, tmp_path):
    result = await drive(
        warm_service, 12, workers=1, cooldown=0.0, pairs=0, answers_path=tmp_path / "a.sqlite3"
    )
    assert result.answered == 12
    assert result.max_in_flight == 1
    assert result.max_loop_lag < 0.100
