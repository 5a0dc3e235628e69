"""The send-time consent check: one query for a batch, and a reading that goes stale."""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.orm import Session

from core.db import read_connection
from core.services import consent
from core.services.fans import Place, fan_id_for
from core.services.notify import Outgoing
from core.settings import Settings
from tests.factories import make_campaign
from workers.sending import ConsentSnapshot

SENDER = "+15005550006"


def fan(db: Session, phone: str) -> int:
    fan_id, _ = fan_id_for(db, "phone_e164", phone, Place())
    return fan_id


def test_one_query_answers_for_a_whole_batch(db: Session, settings: Settings) -> None:
    drop, other = make_campaign(db, "DROP"), make_campaign(db, "OTHER")
    ok, stopped, stopped_elsewhere, elsewhere = (fan(db, f"+1415555010{n}") for n in range(4))
    for fan_id in (ok, stopped, stopped_elsewhere):
        consent.opt_in(db, fan_id, drop.id, "sms", SENDER, "sms")
    consent.opt_in(db, elsewhere, other.id, "sms", SENDER, "sms")
    consent.opt_in(db, ok, other.id, "sms", "+15005550001", "sms")  # another sender
    consent.opt_out(db, stopped, "sms", SENDER, reason="stop")  # STOP: every campaign on it
    db.commit()
    # `stopped_elsewhere` said STOP to another sender only: still in for DROP.
    consent.opt_out(db, stopped_elsewhere, "sms", "+15005550001", reason="stop")
    db.commit()
    keys = [
        (ok, drop.id, "sms"),
        (stopped, drop.id, "sms"),
        (stopped_elsewhere, drop.id, "sms"),
        (elsewhere, drop.id, "sms"),  # consented to OTHER, not to DROP
        (ok, drop.id, "discord"),  # no consent on that channel
        (ok, other.id, "sms"),
        (stopped, other.id, "sms"),  # no consent there at all
    ]
    statements: list[str] = []
    with read_connection(settings.database_url) as connection:
        event.listen(connection, "before_cursor_execute", lambda *a: statements.append(a[2]))
        allowed = consent.messageable(connection, keys)
        assert len(statements) == 1, statements  # the whole batch in one query
        assert consent.messageable(connection, []) == set()
        assert len(statements) == 1, "an empty batch asks nothing"
    assert allowed == {
        (ok, drop.id, "sms"),
        (stopped_elsewhere, drop.id, "sms"),
        (ok, other.id, "sms"),
    }


def test_a_snapshot_is_read_again_once_older_than_allowed(db: Session, settings: Settings) -> None:
    campaign = make_campaign(db)
    fans = [fan(db, f"+1415555020{n}") for n in range(3)]
    for fan_id in fans:
        consent.opt_in(db, fan_id, campaign.id, "sms", SENDER, "sms")
    db.commit()
    items = [Outgoing(n, f, campaign.id, "sms", "", "hi") for n, f in enumerate(fans)]
    snapshot = ConsentSnapshot(settings, items)
    assert all(snapshot.allows(item, 0.25) for item in items)
    consent.opt_out(db, fans[0], "sms", SENDER, reason="stop")
    db.commit()
    assert snapshot.allows(items[0], 0.25), "a fresh reading is trusted"
    time.sleep(0.3)
    assert not snapshot.allows(items[0], 0.25), "a stale one is read again and sees the STOP"
    assert snapshot.allows(items[1], 0.25) and snapshot.allows(items[2], 0.25)
