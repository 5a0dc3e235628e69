"""Upgrading an install that recorded events before the rollups existed (0014 created them
empty, 0016 the message reactions) fills them: its funnel and message stats show at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cli import migrate
from core.db import dispose_all, read_only
from core.services import message_stats, stats
from tests.integration.cli_helpers import run

ROWS = (
    "INSERT INTO artists (id, name, created_at) VALUES (1, 'Mira Vale', '2026-12-01')",
    "INSERT INTO campaigns (id, artist_id, slug, keyword, title, release_at, timezone, status,"
    " action_save, action_follow, created_at) VALUES (1, 1, 'night-bloom', 'BLOOM',"
    " 'Night Bloom', '2026-12-20', 'UTC', 'open', 1, 1, '2026-12-01')",
    "INSERT INTO fans (id, phone_e164, created_at) VALUES (1, '+14155550101', '2026-12-01'),"
    " (2, '+14155550102', '2026-12-01')",
    "INSERT INTO scheduled_messages (id, campaign_id, kind, template, channels, send_at, status,"
    " created_at) VALUES (1, 1, 'countdown', 'countdown-1d', 'sms',"
    " '2026-12-02 10:00:00.000000', 'done', '2026-12-01')",
    "INSERT INTO deliveries (message_id, fan_id, channel, status, attempts, sent_at, created_at,"
    " updated_at) VALUES (1, 1, 'sms', 'delivered', 1, '2026-12-02 10:00:00.000000',"
    " '2026-12-02', '2026-12-02'), (1, 2, 'sms', 'delivered', 1, '2026-12-02 10:00:00.000000',"
    " '2026-12-02', '2026-12-02')",
    "INSERT INTO events (kind, campaign_id, fan_id, channel, source, country, at) VALUES"
    " ('page_view', 1, NULL, NULL, 'tiktok', NULL, '2026-12-01 09:00:00.000000'),"
    " ('optin', 1, 1, 'sms', 'tiktok', 'US', '2026-12-01 09:01:00.000000'),"
    " ('optin', 1, 2, 'sms', 'ig', 'US', '2026-12-01 09:02:00.000000'),"
    " ('link_click', 1, 1, 'sms', NULL, NULL, '2026-12-02 11:00:00.000000'),"
    " ('stop', NULL, 2, 'sms', NULL, NULL, '2026-12-02 12:00:00.000000')",
)


@pytest.fixture
def old_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An instance at 0015 (no backfill yet) whose events were recorded before the rollups."""
    instance = tmp_path / "instance"
    url = f"sqlite:///{instance / 'presave.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRESAVE_ENV", "test")
    monkeypatch.setenv("INSTANCE_PATH", str(instance))
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url, "0015")
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in ROWS:
            connection.execute(text(statement))
    engine.dispose()
    yield url
    dispose_all()


def test_events_recorded_before_the_upgrade_show_in_the_stats(
    old_install: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 0, err
    with read_only(old_install) as session:
        steps = {s.name: s.count for s in stats.funnel(session, 1).steps}
        (countdown,) = message_stats.for_campaign(session, 1)
    assert list(steps.values())[:3] == [1, 2, 1]  # page views, opt-ins, links opened
    assert (countdown.sent, countdown.delivered) == (2, 2)
    assert (countdown.clicks, countdown.opt_outs) == (1, 1)
