"""What becomes of a claimed outbox text (core.services.outbox.settle), for each state a
send can end in, and what the job reports for it; on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from cli import migrate
from core.db import dispose_all
from core.models import DeliveryStatus, Fan, OutboundText
from core.services import consent, outbox
from core.services.notify import Outgoing

SENDER = "+15005550006"
PHONE = "+14155550134"


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    with Session(engine, expire_on_commit=False) as opened:
        yield opened
    engine.dispose()
    dispose_all()


def claimed(session: Session) -> Outgoing:
    fan = Fan(phone_e164=PHONE)
    session.add(fan)
    session.flush()
    text = outbox.claim(session, outbox.queue(session, fan.id, None, PHONE, "hi"))
    assert text is not None and text.channel == "sms" and text.body == "hi"
    return text


def row(session: Session, text: Outgoing) -> tuple[str, str | None, str | None]:
    found = session.execute(
        select(OutboundText.status, OutboundText.provider_id, OutboundText.error).where(
            OutboundText.id == text.delivery_id
        )
    ).one()
    return found[0], found[1], found[2]


def settle(
    session: Session, text: Outgoing, state: str, error: str = "", sid: str | None = None
) -> str:
    return outbox.settle(session, text, state, error, sid=sid, delay=30.0, sender=SENDER)


def test_sent_keeps_the_sid(session: Session) -> None:
    text = claimed(session)
    assert settle(session, text, "sent", sid="SM1") == "sent"
    assert row(session, text) == (DeliveryStatus.SENT, "SM1", None)


def test_unknown_is_left_sending_for_reconcile(session: Session) -> None:
    text = claimed(session)
    assert settle(session, text, "unknown", error="no answer") == "unknown"
    assert row(session, text)[0] == DeliveryStatus.SENDING


def test_a_retry_is_queued_again_until_the_attempts_run_out(session: Session) -> None:
    text = claimed(session)
    assert settle(session, text, "retry", error="HTTP 503") == "retry"
    assert row(session, text) == (DeliveryStatus.QUEUED, None, "HTTP 503")
    session.execute(update(OutboundText).values(attempts=outbox.MAX_ATTEMPTS, status="sending"))
    assert settle(session, text, "retry", error="HTTP 503") == "failed"
    status, _, error = row(session, text)
    assert status == DeliveryStatus.FAILED and error and error.startswith("gave up after 8")


@pytest.mark.parametrize(
    ("state", "reported", "status"),
    [
        ("no_consent", "cancelled", DeliveryStatus.CANCELLED),
        ("opted_out", "cancelled", DeliveryStatus.CANCELLED),
        ("failed", "failed", DeliveryStatus.FAILED),
    ],
)
def test_what_will_not_go_out_is_given_up(
    session: Session, state: str, reported: str, status: str
) -> None:
    text = claimed(session)
    assert settle(session, text, state, error="why") == reported
    assert row(session, text) == (status, None, "why")
    # Only Twilio's 21610 opts the number out of our sender.
    assert consent.opted_out(session, text.fan_id, "sms", SENDER) == (state == "opted_out")
