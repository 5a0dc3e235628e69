"""The sandbox clock (/sandbox/clock): make the demo release live in one market (the drop
starts), send the next countdown now (audited, queued as the tick would), the live log."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import redis
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import queues
from core.models import AuditEntry, Campaign, Delivery, Fan, ReleaseMarket, ScheduledMessage
from core.services import demo_album as names
from core.services import demo_seed, events
from core.timeutil import utcnow
from tests.integration.artist_helpers import SignIn, csrf_of, signed_in
from tests.integration.demo_fixtures import LOCAL, Demo, demo
from web import create_app

__all__ = ["demo", "signed_in"]
PHONE = "+14155550101"


@pytest.fixture
def seeded(demo: Demo, redis_conn: redis.Redis) -> Iterator[FlaskClient]:
    """The demo seeded; a client of the app in sandbox mode."""
    lines = demo_seed.start(demo.settings, demo.running.base, LOCAL, demo.started)
    assert lines[0].startswith("demo: open")
    app = create_app(demo.settings)
    app.config["TESTING"] = True
    yield app.test_client()


def job_calls(conn: redis.Redis, name: str) -> list[tuple[str, str, tuple[object, ...]]]:
    return [(j.id, str(j.func_name), tuple(j.args)) for j in Queue(name, connection=conn).jobs]


def token_of(client: FlaskClient) -> str:
    """The client's CSRF token (the confirmation page always has a form)."""
    return csrf_of(client, "/sandbox/clock/live?market=US")


def demo_campaign(db: Session) -> Campaign:
    db.rollback()
    return db.scalars(select(Campaign)).one()


def test_make_live_asks_first_then_the_release_is_detected_and_the_drop_starts(
    seeded: FlaskClient, demo: Demo, db: Session, redis_conn: redis.Redis
) -> None:
    campaign = demo_campaign(db)
    page = seeded.get("/sandbox/clock").get_data(as_text=True)
    assert "Night Bloom by Mira Vale" in page and "Make the release live now" in page
    assert "Next: countdown-1h by text and Discord, due" in page
    confirm = seeded.get(f"/sandbox/clock/live?campaign={campaign.id}&market=us")
    assert confirm.status_code == 200
    assert "Make Night Bloom live in US now?" in confirm.get_data(as_text=True)
    assert db.scalars(select(ReleaseMarket)).all() == []  # asking changes nothing

    token = csrf_of(seeded, f"/sandbox/clock/live?campaign={campaign.id}&market=US")
    done = seeded.post(
        "/sandbox/clock/live", data={"csrf_token": token, "campaign": campaign.id, "market": "US"}
    )
    assert done.status_code == 302
    album = demo.running.server.app.state.catalog.album(names.ALBUM_ID)
    assert album is not None and list(album.live_at) == ["US"]
    assert album.everywhere_at and demo.started <= album.live_at["US"] < album.everywhere_at
    db.rollback()
    assert [(r.market, r.album_id) for r in db.scalars(select(ReleaseMarket))] == [
        ("US", names.ALBUM_ID)
    ]
    assert [(f, a) for _, f, a in job_calls(redis_conn, queues.DEFAULT)] == [
        ("workers.entry.start_live", (campaign.id, ["US"]))
    ]
    shown = seeded.get(done.headers["Location"]).get_data(as_text=True)
    assert "Live in US now: detected, and the drop is starting." in shown


@pytest.mark.parametrize(
    ("campaign", "market", "said"),
    [
        ("{id}", "XX", "Market: "),
        ("{id}", "", "Market: "),
        ("abc", "US", "Campaign: &#39;abc&#39; is not a campaign id"),
        ("999", "US", "Campaign: no open campaign 999"),
    ],
)
def test_make_live_refuses_a_bad_campaign_or_market_and_changes_nothing(
    seeded: FlaskClient, demo: Demo, db: Session, redis_conn: redis.Redis,
    campaign: str, market: str, said: str,
) -> None:  # fmt: skip
    chosen = campaign.format(id=demo_campaign(db).id)
    asked = seeded.get(f"/sandbox/clock/live?campaign={chosen}&market={market}")
    assert asked.status_code == 400 and said in asked.get_data(as_text=True)
    token = token_of(seeded)
    answer = seeded.post(
        "/sandbox/clock/live", data={"csrf_token": token, "campaign": chosen, "market": market}
    )
    assert answer.status_code == 400 and said in answer.get_data(as_text=True)
    db.rollback()
    assert db.scalars(select(ReleaseMarket)).all() == []
    assert job_calls(redis_conn, queues.DEFAULT) == []
    assert demo.running.server.app.state.catalog.album(names.ALBUM_ID).live_at == {}  # type: ignore[union-attr]


def test_send_next_moves_the_next_countdown_to_now_audits_and_queues_it(
    seeded: FlaskClient, db: Session, redis_conn: redis.Redis
) -> None:
    campaign = demo_campaign(db)
    first, second = db.scalars(select(ScheduledMessage).order_by(ScheduledMessage.send_at)).all()
    db.rollback()
    before = utcnow()
    for _ in range(2):
        token = token_of(seeded)
        answer = seeded.post(
            "/sandbox/clock/next", data={"csrf_token": token, "campaign": campaign.id}
        )
        assert answer.status_code == 302
    after = utcnow()
    db.rollback()
    moved = [m.send_at for m in db.scalars(select(ScheduledMessage).order_by(ScheduledMessage.id))]
    assert len(moved) == 2 and all(before <= at <= after for at in moved)
    assert job_calls(redis_conn, queues.MESSAGES) == [
        (f"plan-{first.id}", "workers.entry.plan_message", (first.id,)),
        (f"plan-{second.id}", "workers.entry.plan_message", (second.id,)),
    ]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "rescheduled")).all()
    assert [(a.campaign_id, a.user_id) for a in audit] == [(campaign.id, None)] * 2
    assert f"message {first.id} (countdown-1h) moved from" in audit[0].detail
    token = token_of(seeded)
    none_left = seeded.post(
        "/sandbox/clock/next", data={"csrf_token": token, "campaign": campaign.id}
    )
    assert none_left.status_code == 400
    assert "Message: Night Bloom has no countdown message waiting" in none_left.get_data(
        as_text=True
    )
    assert len(job_calls(redis_conn, queues.MESSAGES)) == 2


def test_once_the_release_is_out_no_countdown_is_offered_or_sent(
    seeded: FlaskClient, db: Session, redis_conn: redis.Redis
) -> None:
    campaign = demo_campaign(db)
    campaign.detected_at = utcnow()  # found live (as the watch or "make live" records it)
    db.commit()
    page = seeded.get(f"/sandbox/clock?campaign={campaign.id}").get_data(as_text=True)
    assert "Send the next scheduled message now" not in page
    answer = seeded.post(
        "/sandbox/clock/next", data={"csrf_token": token_of(seeded), "campaign": campaign.id}
    )
    assert answer.status_code == 400
    assert "Night Bloom is out: countdowns no longer go" in answer.get_data(as_text=True)
    assert job_calls(redis_conn, queues.MESSAGES) == []
    db.rollback()
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "rescheduled")).all() == []


def test_the_log_names_what_the_workers_did_with_masked_numbers(
    seeded: FlaskClient, db: Session
) -> None:
    campaign = demo_campaign(db)
    fan = Fan(phone_e164=PHONE)
    db.add(fan)
    db.flush()
    events.record(db, events.OPT_IN, campaign_id=campaign.id, fan_id=fan.id, channel="sms")
    message = db.scalars(select(ScheduledMessage).order_by(ScheduledMessage.send_at)).first()
    assert message is not None
    db.add(Delivery(message_id=message.id, fan_id=fan.id, channel="sms", status="sent",
                    sent_at=utcnow()))  # fmt: skip
    db.commit()
    answer = seeded.get(f"/sandbox/clock/log.json?campaign={campaign.id}")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    data = answer.get_json()
    texts = [e["text"] for e in data["entries"]]
    assert "+14*******01 joined by text" in texts
    assert "text sent: countdown countdown-1h to +14*******01" in texts
    assert PHONE not in answer.get_data(as_text=True)
    assert data["status"]["deliveries"] == {"sent": 1} and data["status"]["live_in"] == []
    bad = seeded.get("/sandbox/clock/log.json?campaign=1%3B")
    assert bad.status_code == 400 and bad.get_json()["field"] == "campaign"


def test_console_links_show_only_in_sandbox_mode(seeded: FlaskClient, demo: Demo) -> None:
    link = re.compile(r'<a href="/sandbox/">Sandbox console</a>')
    for path in ("/", "/app/sign-in"):
        assert link.search(seeded.get(path).get_data(as_text=True)), path
    real = create_app(demo.settings.with_overrides(sandboxed=())).test_client()
    for path in ("/", "/app/sign-in"):
        assert "Sandbox console" not in real.get(path).get_data(as_text=True), path
    assert real.get("/sandbox/clock").status_code == 404


def test_the_clock_renders_for_a_signed_in_artist(
    seeded: FlaskClient, demo: Demo, signed_in: SignIn
) -> None:
    signed_in(seeded, names.TEAM, names.OWNER_EMAIL)
    for path in ("/sandbox/clock", "/sandbox/clock/live?market=NZ"):
        answer = seeded.get(path)
        assert answer.status_code == 200 and "Night Bloom" in answer.get_data(as_text=True), path
