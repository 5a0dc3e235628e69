"""Send-time rules for countdown messages, at chosen moments: quiet hours (Florida and
California), the 3-a-day cap, a countdown whose moment passed, and the words each fan gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.models import (
    Campaign,
    Consent,
    Delivery,
    DeliveryStatus,
    Fan,
    FanLink,
    MessageStatus,
    ScheduledMessage,
)
from core.services import compose
from core.services.notify import Outgoing
from core.settings import Settings
from tests.factories import make_campaign

# Thursday 2026-12-10 01:30 UTC: 20:30 in Miami (EST), 17:30 in Los Angeles (PST).
EVENING = datetime(2026, 12, 10, 1, 30, tzinfo=UTC)
RELEASE = datetime(2026, 12, 18, 5, 0, tzinfo=UTC)
BODY = "{{ artist }}: {{ title }} in {{ time_left }} ({{ release_local }}). {{ link }}"


def campaign(db: Session) -> Campaign:
    return make_campaign(db, release_at=RELEASE.isoformat())


def fan(db: Session, c: Campaign, phone: str, region: str, channel: str = "sms") -> Fan:
    row = Fan(phone_e164=phone if channel == "sms" else None, region=region, country="US",
              discord_user_id=None if channel == "sms" else phone)  # fmt: skip
    db.add(row)
    db.flush()
    db.add(Consent(fan_id=row.id, campaign_id=c.id, channel=channel, sender="x", source="sms"))
    db.add(FanLink(code=f"{row.id:022d}", fan_id=row.id, campaign_id=c.id, source="sms"))
    db.commit()
    return row


def message(db: Session, c: Campaign, send_at: datetime, body: str = BODY) -> ScheduledMessage:
    row = ScheduledMessage(campaign_id=c.id, kind="countdown", template="countdown-1d", body=body,
                           channels="sms,discord", send_at=send_at, expires_at=c.release_at,
                           status=MessageStatus.SENDING)  # fmt: skip
    db.add(row)
    db.commit()
    return row


def already_sent(db: Session, c: Campaign, f: Fan, now: datetime, *hours_ago: int) -> None:
    """Texts the fan got from this campaign that many hours before `now`."""
    for hours in hours_ago:
        at = now - timedelta(hours=hours)
        sent = message(db, c, at)
        db.add(Delivery(message_id=sent.id, fan_id=f.id, channel="sms",
                        status=DeliveryStatus.SENT, sent_at=at))  # fmt: skip
    db.commit()


def claimed(db: Session, m: ScheduledMessage, f: Fan, channel: str = "sms") -> int:
    row = Delivery(message_id=m.id, fan_id=f.id, channel=channel, status=DeliveryStatus.SENDING)
    db.add(row)
    db.commit()
    return row.id


def prepare(db: Session, settings: Settings, ids: list[int], now: datetime) -> list[Outgoing]:
    ready = compose.prepare(db, ids, settings.public_url, settings.program_name, now)
    db.commit()
    return ready


def state(db: Session, delivery_id: int) -> tuple[str, datetime | None, str | None]:
    db.expire_all()
    row = db.get(Delivery, delivery_id)
    assert row is not None
    return row.status, row.not_before, row.error


def test_quiet_hours_hold_florida_but_not_california(settings: Settings, db: Session) -> None:
    c = campaign(db)
    miami = fan(db, c, "+13055550101", "FL")
    los_angeles = fan(db, c, "+14155550102", "CA")
    m = message(db, c, EVENING)
    held, sent = claimed(db, m, miami), claimed(db, m, los_angeles)
    ready = prepare(db, settings, [held, sent], EVENING)
    assert [r.delivery_id for r in ready] == [sent]
    status, not_before, _ = state(db, held)
    assert status == DeliveryStatus.HELD
    assert not_before == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)  # 08:00 in Miami
    text = ready[0].body
    assert text.startswith("Presave alerts: Mira Vale: Night Bloom DROP in 8 days")
    assert "(Thu Dec 17, 9:00 PM PST)" in text and text.endswith("Reply STOP to opt out.")
    assert f"{settings.public_url}/p/{los_angeles.id:022d}" in text
    # California too, an hour past its 21:00.
    late = EVENING + timedelta(hours=4)  # 21:30 in Los Angeles
    again = claimed(db, message(db, c, late), los_angeles)
    assert prepare(db, settings, [again], late) == []
    assert state(db, again)[:2] == (DeliveryStatus.HELD, datetime(2026, 12, 10, 16, 0, tzinfo=UTC))


def test_discord_dms_know_no_quiet_hours(settings: Settings, db: Session) -> None:
    c = campaign(db)
    member = fan(db, c, "555555555555555555", "", channel="discord")
    member.timezone = "America/New_York"  # known (from an earlier SMS opt-in, say)
    db.commit()
    night = EVENING + timedelta(hours=8)  # 04:30 in New York, the fan's and campaign's zone
    ready = prepare(db, settings, [claimed(db, message(db, c, night), member, "discord")], night)
    assert len(ready) == 1 and "(Fri Dec 18, 12:00 AM EST)" in ready[0].body
    assert ready[0].body.endswith("(`/stopalerts` stops these messages.)")


def test_at_most_three_a_day_then_held_or_skipped(settings: Settings, db: Session) -> None:
    c = campaign(db)
    f = fan(db, c, "+14155550103", "CA")
    now = datetime(2026, 12, 16, 20, 0, tzinfo=UTC)  # noon in California, 33 h before release
    already_sent(db, c, f, now, 20, 10, 2)
    fourth = claimed(db, message(db, c, now), f)
    assert prepare(db, settings, [fourth], now) == []
    status, not_before, _ = state(db, fourth)
    assert status == DeliveryStatus.HELD and not_before == now + timedelta(hours=4)
    # Within a day of the release, one is kept for the drop alert: skipped, its day is full
    # until after the release.
    later = RELEASE - timedelta(hours=6)
    already_sent(db, c, f, later, 5, 3)
    last = claimed(db, message(db, c, later), f)
    assert prepare(db, settings, [last], later) == []
    status, _, error = state(db, last)
    assert status == DeliveryStatus.SKIPPED and "at most 3 messages a day" in (error or "")


def test_a_countdown_after_the_release_is_skipped_not_sent_late(
    settings: Settings, db: Session
) -> None:
    c = campaign(db)
    f = fan(db, c, "+14155550104", "CA")
    late = claimed(db, message(db, c, RELEASE - timedelta(hours=1)), f)
    assert prepare(db, settings, [late], RELEASE + timedelta(minutes=5)) == []
    status, _, error = state(db, late)
    assert status == DeliveryStatus.SKIPPED and "no longer true" in (error or "")
    # Held by quiet hours past the release: skipped rather than sent after it.
    miami = fan(db, c, "+13055550105", "FL")
    night = RELEASE - timedelta(hours=2)  # 22:00 in Miami the night before
    held = claimed(db, message(db, c, night), miami)
    assert prepare(db, settings, [held], night) == []
    status, _, error = state(db, held)
    assert status == DeliveryStatus.SKIPPED and "quiet hours" in (error or "")
    # Found live early: countdowns stop even before the release time.
    db.execute(update(Campaign).values(detected_at=RELEASE - timedelta(hours=3)))
    db.commit()
    early = claimed(db, message(db, c, RELEASE - timedelta(hours=2)), f)
    noon = datetime(2026, 12, 17, 20, 0, tzinfo=UTC)
    assert prepare(db, settings, [early], noon) == []
    status, _, error = state(db, early)
    assert status == DeliveryStatus.SKIPPED and "release is out" in (error or "")
    assert db.scalar(select(Delivery.id).where(Delivery.status == DeliveryStatus.SENDING)) is None
