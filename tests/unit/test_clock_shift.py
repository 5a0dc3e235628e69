"""A benchmark may move every process's clock to a chosen hour of the fans' day; nothing
else may (PRESAVE_CLOCK_SHIFT_SECONDS only with PRESAVE_ENV=test)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from core import timeutil


@pytest.fixture(autouse=True)
def fresh_shift() -> Iterator[None]:
    timeutil.clock_shift.cache_clear()
    yield
    timeutil.clock_shift.cache_clear()


def test_the_clock_moves_by_the_shift_in_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESAVE_ENV", "test")
    monkeypatch.setenv(timeutil.SHIFT_VARIABLE, "7200")
    moved = timeutil.utcnow() - datetime.now(UTC)
    assert timedelta(hours=2) - timedelta(seconds=5) < moved <= timedelta(hours=2)


@pytest.mark.parametrize(("mode", "raw"), [("production", "60"), ("development", "60"),
                                           ("test", "soon")])  # fmt: skip
def test_a_shift_is_refused_outside_test_mode_or_unreadable(
    monkeypatch: pytest.MonkeyPatch, mode: str, raw: str
) -> None:
    monkeypatch.setenv("PRESAVE_ENV", mode)
    monkeypatch.setenv(timeutil.SHIFT_VARIABLE, raw)
    with pytest.raises(RuntimeError, match=timeutil.SHIFT_VARIABLE):
        timeutil.utcnow()


def test_no_shift_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(timeutil.SHIFT_VARIABLE, raising=False)
    assert abs(timeutil.utcnow() - datetime.now(UTC)) < timedelta(seconds=5)
