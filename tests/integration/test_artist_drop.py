"""The drop page: figures, the JSON the page polls, and mark live as the CLI does it."""

from __future__ import annotations

import html
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEntry, Campaign, PreSave, ReleaseMarket
from core.services import drop_mark
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, csrf_of, put_in_team
from tests.integration.dashboard_helpers import add_fan


def world(app: Flask, db: Session, signed_in: SignIn) -> tuple[FlaskClient, FlaskClient, int]:
    """(our client, another team's client, a campaign released an hour ago with fans in FR
    (two) and GB (one) waiting)."""
    ours, theirs = app.test_client(), app.test_client()
    _, team = signed_in(ours, "Team A")
    signed_in(theirs, "Team B")
    release = (utcnow() - timedelta(hours=1)).isoformat()
    campaign = make_campaign(db, "BLOOM", release_at=release, timezone="Europe/Paris")
    put_in_team(db, campaign.artist_id, team)
    for market in ("FR", "FR", "GB"):
        add_fan(db, campaign.id, presave="pending", market=market)
    db.commit()
    return ours, theirs, campaign.id


def text(response: object) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())  # type: ignore[attr-defined]


def audit_lines(db: Session, cid: int) -> list[tuple[str, str]]:
    db.expire_all()
    rows = db.execute(
        select(AuditEntry.action, AuditEntry.detail).where(AuditEntry.campaign_id == cid)
    )
    return [(a, d) for a, d in rows]


def test_the_drop_page_and_its_json(app: Flask, db: Session, signed_in: SignIn) -> None:
    ours, theirs, cid = world(app, db, signed_in)

    page = ours.get(f"/app/campaigns/{cid}/drop")
    body = text(page)
    assert page.status_code == 200
    assert "Not yet found" in body and "0 saved, 3 waiting, 0 not saved." in body
    assert 'aria-live="polite"' in body and "artist-drop.js" in body and "Refresh" in body
    assert '<th scope="row">FR</th>' in body and "Saves per minute" in body
    data = ours.get(f"/app/campaigns/{cid}/drop.json")
    assert data.status_code == 200 and data.headers["Cache-Control"] == "no-store"
    assert data.json is not None
    assert data.json["presaves"]["pending"] == 3 and len(data.json["saves_per_minute"]) == 30
    assert {m["market"] for m in data.json["markets"]} == {"FR", "GB"}
    for path in ("drop", "drop.json", "drop/mark-live?market=FR"):
        assert theirs.get(f"/app/campaigns/{cid}/{path}").status_code == 404, path


def test_mark_live_asks_first_then_does_what_the_cli_does(
    app: Flask, db: Session, signed_in: SignIn, redis_conn: redis.Redis
) -> None:
    ours, theirs, cid = world(app, db, signed_in)

    confirm = ours.get(f"/app/campaigns/{cid}/drop/mark-live?market=fr")
    assert confirm.status_code == 200
    assert "Mark live in FR: 2 fans will have the release saved now" in text(confirm)
    everywhere = text(ours.get(f"/app/campaigns/{cid}/drop/mark-live?market="))
    assert (
        "Mark live in FR, GB: 3 fans" in everywhere or "Mark live in GB, FR: 3 fans" in everywhere
    )

    token = csrf_of(ours, f"/app/campaigns/{cid}/drop/mark-live?market=FR")
    assert (
        ours.post(f"/app/campaigns/{cid}/drop/mark-live", data={"market": "FR"}).status_code == 400
    )
    stolen = theirs.post(
        f"/app/campaigns/{cid}/drop/mark-live",
        data={"market": "FR", "csrf_token": csrf_of(theirs, "/app/team")},
    )
    assert stolen.status_code == 404
    assert db.scalars(select(ReleaseMarket).where(ReleaseMarket.campaign_id == cid)).all() == []
    assert audit_lines(db, cid) == []

    done = ours.post(
        f"/app/campaigns/{cid}/drop/mark-live", data={"market": "FR", "csrf_token": token}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/campaigns/{cid}/drop")
    assert "Marked live in FR" in text(ours.get(done.headers["Location"]))
    markets = db.scalars(select(ReleaseMarket).where(ReleaseMarket.campaign_id == cid)).all()
    assert [(m.market, m.method) for m in markets] == [("FR", "manual")]
    assert db.get(Campaign, cid).detected_market == "FR"  # type: ignore[union-attr]
    assert audit_lines(db, cid) == [("marked_live", "FR: 2 fans; newly live: FR")]
    queued = Queue("default", connection=redis_conn).jobs
    assert [(j.func_name, j.args) for j in queued] == [("workers.entry.start_live", (cid, ["FR"]))]


def test_a_bad_market_is_named_next_to_the_field(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    ours, _, cid = world(app, db, signed_in)
    token = csrf_of(ours, f"/app/campaigns/{cid}/drop/mark-live?market=FR")

    for market in ("XX", "France"):
        shown = ours.get(f"/app/campaigns/{cid}/drop/mark-live?market={market}")
        body = shown.get_data(as_text=True)
        assert shown.status_code == 400 and 'class="field-error"' in body, market
        assert f'value="{market}"' in body and 'aria-invalid="true"' in body
    posted = ours.post(
        f"/app/campaigns/{cid}/drop/mark-live", data={"market": "ZZ", "csrf_token": token}
    )
    assert posted.status_code == 400 and 'class="field-error"' in posted.get_data(as_text=True)
    assert db.scalars(select(ReleaseMarket).where(ReleaseMarket.campaign_id == cid)).all() == []
    assert audit_lines(db, cid) == []


def test_the_queued_start_saves_the_marked_markets_fans_as_the_cli_start_does(
    app: Flask,
    db: Session,
    signed_in: SignIn,
    redis_conn: redis.Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    ours, _, cid = world(app, db, signed_in)
    settings = app.config["PRESAVE_SETTINGS"]
    monkeypatch.chdir(tmp_path)  # the job reads its settings from the environment, as workers do
    for name, value in {
        "PRESAVE_ENV": "test",
        "INSTANCE_PATH": str(settings.instance_path),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis_url,
    }.items():
        monkeypatch.setenv(name, value)
    token = csrf_of(ours, f"/app/campaigns/{cid}/drop/mark-live?market=FR")
    ours.post(f"/app/campaigns/{cid}/drop/mark-live", data={"market": "FR", "csrf_token": token})

    (job,) = Queue("default", connection=redis_conn).jobs
    assert job.perform() == ["FR"]

    french = set(
        db.scalars(select(PreSave.id).where(PreSave.campaign_id == cid, PreSave.market == "FR"))
    )
    saves = Queue("saves", connection=redis_conn).jobs
    assert [j.func_name for j in saves] == ["workers.entry.save_chunk"] * len(saves)
    assert {i for j in saves for i in j.args[1]} == french, "FR's fans, not GB's"


def test_marking_live_days_early_is_left_to_the_cli(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client = app.test_client()
    _, team = signed_in(client, "Team A")
    campaign = make_campaign(db, "EARLY")  # releases in a week
    put_in_team(db, campaign.artist_id, team)
    add_fan(db, campaign.id, presave="pending", market="FR")
    db.commit()
    path = f"/app/campaigns/{campaign.id}/drop/mark-live"
    token = csrf_of(client, f"{path}?market=FR")

    refused = client.post(path, data={"market": "FR", "csrf_token": token})

    body = text(refused)
    assert refused.status_code == 400 and "more than 26 hours away" in body and "--force" in body
    assert audit_lines(db, campaign.id) == []
    assert (
        db.scalars(select(ReleaseMarket).where(ReleaseMarket.campaign_id == campaign.id)).all()
        == []
    )


def test_with_the_queue_down_nothing_is_marked_and_the_page_says_what_to_run(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    ours, _, cid = world(app, db, signed_in)
    token = csrf_of(ours, f"/app/campaigns/{cid}/drop/mark-live?market=FR")
    app.config["PRESAVE_SETTINGS"] = app.config["PRESAVE_SETTINGS"].with_overrides(
        redis_url=f"redis://127.0.0.1:{refusing_port()}/0"
    )
    for market, where in (("FR", "--market FR"), ("", "--all-markets")):
        down = ours.post(
            f"/app/campaigns/{cid}/drop/mark-live", data={"market": market, "csrf_token": token}
        )
        body = text(down)
        assert down.status_code == 503, body
        assert "The release was not marked live and nothing was changed" in body
        assert "job queue (Redis) can't be reached" in body
        assert f"presave release mark-live {slug_of(db, cid)} {where}" in body
    assert db.scalars(select(ReleaseMarket).where(ReleaseMarket.campaign_id == cid)).all() == []
    assert db.get(Campaign, cid).detected_at is None  # type: ignore[union-attr]
    assert audit_lines(db, cid) == []


def test_a_queue_lost_after_marking_is_said_plainly(
    app: Flask, db: Session, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, _, cid = world(app, db, signed_in)
    token = csrf_of(ours, f"/app/campaigns/{cid}/drop/mark-live?market=FR")
    app.config["PRESAVE_SETTINGS"] = app.config["PRESAVE_SETTINGS"].with_overrides(
        redis_url=f"redis://127.0.0.1:{refusing_port()}/0"
    )
    # the queue answered the check, then went away before the start was queued
    monkeypatch.setattr(drop_mark, "queue_reachable", lambda _settings: True)
    done = ours.post(
        f"/app/campaigns/{cid}/drop/mark-live", data={"market": "FR", "csrf_token": token}
    )
    assert done.status_code == 302
    shown = text(ours.get(done.headers["Location"]))
    assert "Marked live in FR, but the drop could not be started" in shown
    assert "start the drop on their own within a minute of the queue coming back" in shown
    assert "saving the release for" not in shown
    assert audit_lines(db, cid) == [("marked_live", "FR: 2 fans; newly live: FR")]


def slug_of(db: Session, cid: int) -> str:
    campaign = db.get(Campaign, cid)
    assert campaign is not None
    return campaign.slug


def refusing_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
