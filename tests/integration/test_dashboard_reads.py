"""The dashboard's other reads: campaigns overview, a fan's timeline, drop status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from core.models import Delivery, ReleaseMarket, ScheduledMessage
from core.services import campaign_overview, drop_status, events, fan_timeline
from core.timeutil import utcnow
from core.validation import ValidationError
from tests.factories import make_campaign
from tests.integration.dashboard_helpers import add_fan


def drop_message(session: Session, campaign_id: int, kind: str = "drop") -> int:
    message = ScheduledMessage(
        campaign_id=campaign_id, kind=kind, template="t", send_at=utcnow(), status="sending"
    )
    session.add(message)
    session.flush()
    return message.id


def deliver(session: Session, message_id: int, fan_id: int, channel: str, status: str) -> None:
    session.add(Delivery(message_id=message_id, fan_id=fan_id, channel=channel, status=status))
    session.flush()


def test_overview_states_and_counts(db: Session) -> None:
    now = utcnow()
    upcoming = make_campaign(db, keyword="SOON")
    live = make_campaign(db, keyword="LIVE", release_at=(now - timedelta(hours=1)).isoformat(),
                         force=True)  # fmt: skip
    sending = make_campaign(db, keyword="SEND", release_at=(now - timedelta(hours=1)).isoformat(),
                            force=True)  # fmt: skip
    released = make_campaign(db, keyword="DONE", release_at=(now - timedelta(days=1)).isoformat(),
                             force=True)  # fmt: skip
    closed = make_campaign(db, keyword="SHUT")
    closed.status = "closed"
    for status in ("saved", "pending", "cancelled", "quota"):
        add_fan(db, live.id, presave=status)
    add_fan(db, live.id)
    saved_fan = add_fan(db, sending.id, presave="saved")
    deliver(db, drop_message(db, sending.id), saved_fan, "sms", "queued")
    done_fan = add_fan(db, released.id, presave="saved")
    deliver(db, drop_message(db, released.id), done_fan, "sms", "delivered")
    add_fan(db, upcoming.id, presave="pending")
    db.commit()
    rows = {r.keyword: r for r in campaign_overview.overview(db, [upcoming.artist_id], now)}
    assert {k: r.status for k, r in rows.items()} == {
        "SOON": "upcoming", "LIVE": "live", "SEND": "live", "DONE": "released", "SHUT": "closed",
    }  # fmt: skip
    assert (rows["LIVE"].fans, rows["LIVE"].authorized, rows["LIVE"].saved) == (5, 2, 1)
    assert rows["LIVE"].artist == "Mira Vale" and rows["LIVE"].timezone == "America/New_York"
    assert rows["LIVE"].release_at.utcoffset() == timedelta(0)
    assert campaign_overview.overview(db, [], now) == []
    assert campaign_overview.overview(db, [upcoming.artist_id + 99], now) == []


def test_overview_counts_in_a_fixed_number_of_queries(db: Session) -> None:
    from sqlalchemy import event

    now = utcnow()
    first = make_campaign(db, keyword="ONE")
    add_fan(db, first.id, presave="saved")

    def statements() -> int:
        seen: list[str] = []

        def listener(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(db.get_bind(), "before_cursor_execute", listener)
        try:
            rows = campaign_overview.overview(db, [first.artist_id], now)
        finally:
            event.remove(db.get_bind(), "before_cursor_execute", listener)
        assert all(r.fans == 1 for r in rows)
        return len(seen)

    with_one = statements()
    for n in range(5):
        add_fan(db, make_campaign(db, keyword=f"MORE{n}").id, presave="pending")
    db.commit()
    assert statements() == with_one


def test_timeline_newest_first_and_none_for_another_campaigns_fan(db: Session) -> None:
    campaign, other = make_campaign(db), make_campaign(db, keyword="OTHER")
    joined = utcnow() - timedelta(hours=2)
    fan = add_fan(db, campaign.id, presave="saved", joined=joined)
    outsider = add_fan(db, other.id)
    events.record(db, "optin", campaign_id=campaign.id, fan_id=fan, channel="sms", source="tiktok")
    events.record(db, "optin", campaign_id=other.id, fan_id=fan, channel="sms")
    deliver(db, drop_message(db, campaign.id, "countdown"), fan, "sms", "delivered")
    db.commit()
    story = fan_timeline.timeline(db, campaign.id, fan)
    assert story is not None
    assert story.status == "saved" and story.channels == ("sms",) and "*" in story.display
    times = [item.at for item in story.items]
    assert times == sorted(times, reverse=True)
    kinds = [item.kind for item in story.items]
    assert kinds[-1] == "joined"
    assert kinds.count("event:optin") == 1  # the other campaign's opt-in is not shown
    assert {"consent", "message:countdown", "presave:created"} <= set(kinds)
    assert any("tiktok" in item.description for item in story.items)
    assert fan_timeline.timeline(db, campaign.id, outsider) is None
    assert fan_timeline.timeline(db, campaign.id, 10_000) is None


def test_drop_status_on_a_small_drop(db: Session) -> None:
    now = utcnow()
    campaign = make_campaign(db, release_at=(now - timedelta(minutes=10)).isoformat(), force=True)
    db.add(ReleaseMarket(campaign_id=campaign.id, market="US", album_id="a" * 22,
                         method="manual", found_at=now - timedelta(minutes=5)))  # fmt: skip
    message = drop_message(db, campaign.id)
    for minutes_ago, channel in ((0, "sms"), (2, "sms"), (2, "discord"), (45, "sms")):
        fan = add_fan(db, campaign.id, presave="saved", channel=channel, market="US")
        db.flush()
        from core.models import PreSave

        presave = db.query(PreSave).filter_by(fan_id=fan).one()
        presave.saved_at = now - timedelta(minutes=minutes_ago)
        deliver(db, message, fan, channel, "delivered" if channel == "sms" else "sent")
    waiting = add_fan(db, campaign.id, presave="queued_for_market", market="GB")
    deliver(db, message, waiting, "sms", "failed")
    add_fan(db, campaign.id, presave="failed", market="US")
    add_fan(db, campaign.id, presave="pending", market="FR")
    db.commit()
    figures = drop_status.status(db, campaign.id, now)
    assert figures["markets"][0]["market"] == "US" and figures["markets"][0]["found_at"]
    assert {m["market"]: m["found_at"] for m in figures["markets"][1:]} == {"FR": None, "GB": None}
    pace = figures["saves_per_minute"]
    assert len(pace) == 30 and [p["saves"] for p in pace][-3:] == [2, 0, 1]
    assert sum(p["saves"] for p in pace) == 3  # the save 45 minutes ago is outside
    assert figures["presaves"]["saved"] == 4
    assert figures["presaves"]["pending"] == 2 and figures["presaves"]["failed"] == 1
    assert figures["messages"] == {
        "sms": {"sent": 3, "delivered": 3, "failed": 1, "waiting": 0},
        "discord": {"sent": 1, "delivered": 0, "failed": 0, "waiting": 0},
    }
    assert drop_status.status(db, 10_000, now) == {}
    assert drop_status.mark_live_summary(db, campaign.id, "GB") == ("GB", 1)
    assert drop_status.mark_live_summary(db, campaign.id, None) == ("FR, GB", 2)


@pytest.mark.parametrize("market", ["USA", "1", "", "u$"])
def test_mark_live_summary_refuses_a_bad_market(db: Session, market: str) -> None:
    campaign = make_campaign(db)
    with pytest.raises(ValidationError) as refused:
        drop_status.mark_live_summary(db, campaign.id, market)
    assert refused.value.field == "market"
