"""`presave stats rebuild` puts back the rollups the event log implies, and says what it did."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from core.models import FunnelFact, PageViewHour
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.cli_helpers import env, run
from tests.integration.rollup_helpers import make_fans, record_at, rollups

__all__ = ["env"]
T = datetime(2026, 12, 4, 12, 30, tzinfo=UTC)


def test_rebuild_of_one_campaign_restores_lost_and_wrong_rows(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db)
    fans = make_fans(db, 2)
    for fan in fans:
        record_at(db, T, "optin", campaign_id=campaign.id, fan_id=fan, source="tiktok")
    record_at(db, T, "page_view", campaign_id=campaign.id, source="tiktok")
    db.commit()
    kept = rollups(db)
    db.execute(delete(FunnelFact.__table__).where(FunnelFact.fan_id == fans[0]))  # type: ignore[arg-type]
    db.execute(update(PageViewHour.__table__).values(views=7))  # type: ignore[arg-type]
    db.commit()
    code, out, err = run(capsys, "stats", "rebuild", "--campaign", campaign.slug)
    assert (code, err) == (0, "")
    assert f"campaign {campaign.slug}" in out
    assert "1 row replaced by 2" in out and "1 hour replaced by 1" in out
    db.expire_all()
    assert rollups(db) == kept


def test_rebuild_of_everything_as_json(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db)
    record_at(db, T, "optin", campaign_id=campaign.id, fan_id=make_fans(db, 1)[0])
    db.commit()
    code, out, _ = run(capsys, "stats", "rebuild", "--json")
    data = json.loads(out)
    assert code == 0 and (data["campaign_id"], data["facts_written"]) == (None, 1)


def test_rebuild_of_an_unknown_campaign_is_refused(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "stats", "rebuild", "--campaign", "nope")
    assert code != 0 and "nope" in err
