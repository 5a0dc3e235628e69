"""The 3-per-campaign cap holds in any rolling 24 hours (Florida, Oklahoma and Maryland: at
most 3 messages on the same subject in 24 hours), not per calendar day: texts late one
evening count against the next morning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from core.models import DeliveryStatus
from core.settings import Settings
from tests.integration.test_countdown_rules import (
    already_sent,
    campaign,
    claimed,
    fan,
    message,
    prepare,
    state,
)

# Friday 2026-12-11 00:30 UTC: Thursday 19:30 in Miami (inside its 08:00-20:00).
PAST_UTC_MIDNIGHT = datetime(2026, 12, 11, 0, 30, tzinfo=UTC)
# Friday 2026-12-11 13:30 UTC: 08:30 in Miami, the morning after three evening texts.
NEXT_MORNING = datetime(2026, 12, 11, 13, 30, tzinfo=UTC)


def test_three_texts_before_utc_midnight_hold_the_fourth_after_it(
    settings: Settings, db: Session
) -> None:
    c = campaign(db)
    miami = fan(db, c, "+13055550111", "FL")
    # 21:30, 22:30 and 23:30 UTC on Thursday: a new UTC day has begun at `now`.
    already_sent(db, c, miami, PAST_UTC_MIDNIGHT, 3, 2, 1)
    fourth = claimed(db, message(db, c, PAST_UTC_MIDNIGHT), miami)
    assert prepare(db, settings, [fourth], PAST_UTC_MIDNIGHT) == []
    status, not_before, _ = state(db, fourth)
    assert status == DeliveryStatus.HELD
    # Held until the first of the three is 24 hours old (Friday 21:30 UTC, 16:30 in Miami).
    assert not_before == datetime(2026, 12, 11, 21, 30, tzinfo=UTC)


def test_three_evening_texts_hold_the_next_local_morning(settings: Settings, db: Session) -> None:
    c = campaign(db)
    miami = fan(db, c, "+13055550112", "FL")
    # Thursday 17:30, 18:30 and 19:30 in Miami; Friday 08:30 is a new local day.
    already_sent(db, c, miami, NEXT_MORNING, 15, 14, 13)
    morning = claimed(db, message(db, c, NEXT_MORNING), miami)
    assert prepare(db, settings, [morning], NEXT_MORNING) == []
    status, not_before, _ = state(db, morning)
    assert status == DeliveryStatus.HELD
    assert not_before == NEXT_MORNING - timedelta(hours=15) + timedelta(hours=24)
    # Once the oldest is 24 hours old, the next one goes.
    later = NEXT_MORNING + timedelta(hours=9, minutes=1)
    again = claimed(db, message(db, c, later), miami)
    assert [r.delivery_id for r in prepare(db, settings, [again], later)] == [again]
