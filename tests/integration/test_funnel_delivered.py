"""`drop_delivered`: one event per fan and channel when the drop message reaches them (a
Twilio `delivered` callback; a Discord DM sent), none for countdowns, none twice."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.services import deliveries, notify, send_state
from tests.factories import make_campaign
from tests.integration.funnel_helpers import delivery, events_of, message, opted_in_fan

SENDER = "+15005550006"


def test_a_delivered_drop_text_is_one_event_however_often_twilio_says_so(db: Session) -> None:
    campaign = make_campaign(db)
    fan_id, _ = opted_in_fan(db, campaign.id, "+14155550101", source="tiktok", region="CA")
    drop = message(db, campaign.id, "drop")
    delivery(db, drop, fan_id, status="sent", sid="SM1")
    for status in ("sent", "delivered", "delivered", "read"):
        deliveries.apply_twilio_status(db, "SM1", status, None, SENDER)
        db.commit()
    assert events_of(db, "drop_delivered") == [(campaign.id, fan_id, "sms", "tiktok", "US", "CA")]


def test_a_delivered_countdown_or_a_failed_drop_text_is_no_event(db: Session) -> None:
    campaign = make_campaign(db)
    fan_id, _ = opted_in_fan(db, campaign.id, "+14155550102")
    other, _ = opted_in_fan(db, campaign.id, "+14155550103")
    countdown = message(db, campaign.id, "countdown")
    drop = message(db, campaign.id, "drop")
    delivery(db, countdown, fan_id, status="sent", sid="SM2")
    delivery(db, drop, other, status="sent", sid="SM3")
    deliveries.apply_twilio_status(db, "SM2", "delivered", None, SENDER)
    deliveries.apply_twilio_status(db, "SM3", "undelivered", "30003", SENDER)
    deliveries.apply_twilio_status(db, "SM3", "delivered", None, SENDER)  # too late: final
    db.commit()
    assert events_of(db, "drop_delivered") == []


def test_a_discord_dm_sent_is_the_drop_delivered_and_an_sms_sent_is_not_yet(
    db: Session,
) -> None:
    campaign = make_campaign(db)
    dm_fan, _ = opted_in_fan(db, campaign.id, "600000000000000001", channel="discord",
                             source="discord-42", country=None)  # fmt: skip
    sms_fan, _ = opted_in_fan(db, campaign.id, "+14155550104")
    drop = message(db, campaign.id, "drop")
    dm = delivery(db, drop, dm_fan, "discord")
    text = delivery(db, drop, sms_fan, "sms")
    send_state.mark_sent(db, notify.DELIVERIES, [(dm, "111"), (text, "SM4")])
    db.commit()
    # Reconcile settling the same DM again (it was found sent) adds nothing.
    send_state.mark_sent(db, notify.on_channel("discord"), [(dm, "111")])
    db.commit()
    assert events_of(db, "drop_delivered") == [
        (campaign.id, dm_fan, "discord", "discord-42", None, None)
    ]


def test_a_countdown_dm_sent_is_no_drop_event(db: Session) -> None:
    campaign = make_campaign(db)
    fan_id, _ = opted_in_fan(db, campaign.id, "600000000000000002", channel="discord")
    countdown = message(db, campaign.id, "countdown")
    dm = delivery(db, countdown, fan_id, "discord")
    send_state.mark_sent(db, notify.DELIVERIES, [(dm, "222")])
    db.commit()
    assert events_of(db, "drop_delivered") == []
