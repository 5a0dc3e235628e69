"""Events are written by `record` (one) and `record_many` (a batch of one kind)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Event
from core.services import events
from tests.factories import make_campaign


def test_record_many_writes_one_row_per_fan_with_its_fields(db: Session) -> None:
    campaign = make_campaign(db)
    db.commit()
    written = events.record_many(
        db,
        events.SAVED,
        [
            {"campaign_id": campaign.id, "country": "US", "channel": "sms"},
            {"campaign_id": campaign.id, "country": "SE", "source": "tiktok"},
        ],
    )
    db.commit()
    rows = db.execute(
        select(Event.kind, Event.country, Event.channel, Event.source).order_by(Event.id)
    ).all()
    assert written == 2
    assert rows == [("saved", "US", "sms", None), ("saved", "SE", None, "tiktok")]


def test_record_many_with_nothing_writes_nothing(db: Session) -> None:
    assert events.record_many(db, events.SAVED, []) == 0
    assert db.scalars(select(Event)).all() == []


def test_the_funnel_starts_at_the_page_and_ends_at_the_release_click() -> None:
    assert events.FUNNEL[0] == "page_view" and events.FUNNEL[-1] == "release_click"
    assert len(set(events.FUNNEL)) == len(events.FUNNEL)
