"""A countdown's words are fixed at its claim: reconcile re-words a stuck delivery as at
its claim to find it at the provider, so the send job must word it at that same moment
however long it takes to get from the claim to the words."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.db import transaction
from core.models import Campaign, Delivery, Fan, MessageStatus, ScheduledMessage
from core.services import notify
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld
from tests.integration.send_helpers import drop_alerts
from workers import reconcile, send_jobs


def test_the_text_sent_is_the_text_reconcile_looks_for(
    drop_world: DropWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = drop_world
    seeded, _ = drop_alerts(world.settings, world, 1)
    release = utcnow() + timedelta(minutes=40)
    with transaction(world.settings.database_url) as session:
        session.execute(
            update(Campaign).where(Campaign.id == seeded.campaign_id).values(release_at=release)
        )
        message = ScheduledMessage(
            campaign_id=seeded.campaign_id, kind="countdown", template="countdown-1h",
            body="{{ title }} in {{ time_left }}", channels="sms", send_at=utcnow(),
            expires_at=release, status=MessageStatus.SENDING,
        )  # fmt: skip
        session.add(message)
        session.flush()
        fan_id = session.scalar(select(Fan.id).where(Fan.phone_e164 == seeded.phones[0]))
        assert fan_id is not None
        made = notify.create_deliveries(session, message.id, seeded.campaign_id, [fan_id])
    [delivery_id] = made["sms"]

    # The send job's clock: the claim ten minutes ago and every later reading five minutes
    # after the one before, as if claiming and wording were far apart (a loaded machine).
    readings = iter(utcnow() - timedelta(minutes=10) + timedelta(minutes=5 * i) for i in range(99))

    def slow_clock() -> datetime:
        return next(readings)

    def dies(*_args: object) -> None:
        raise RuntimeError("the worker died after Twilio took the text")

    monkeypatch.setattr(send_jobs, "utcnow", slow_clock)
    monkeypatch.setattr(send_jobs, "_record", dies)
    with pytest.raises(RuntimeError):
        send_jobs.send_deliveries(world.settings, world.redis, [delivery_id])
    monkeypatch.undo()
    [sent] = world.sandbox("GET", "messages", params={"To": seeded.phones[0]})["messages"]
    assert "minutes" in sent["body"]
    counts = reconcile.settle_stuck(world.settings, world.redis)
    assert (counts["sms_settled_sent"], counts["sms_requeued"]) == (1, 0)
    assert world.delivery_status(Delivery.id == delivery_id) == "sent"
