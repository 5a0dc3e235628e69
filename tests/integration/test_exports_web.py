"""The artist's downloads: fans.csv and events.csv streamed in chunks, phone numbers in full
for owners only, `since` refused with a 400 that names it, every download audited, and
another team's campaign a 404."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from core.models import AuditEntry, Consent, Event, Fan, FanLink
from core.services.csv_export import CHUNK
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, put_in_team
from tests.integration.dashboard_helpers import add_fan


def world(app: Flask, db: Session, signed_in: SignIn) -> tuple[FlaskClient, FlaskClient, int]:
    """(an owner's client, a client of another team, the owner's campaign id)."""
    ours, theirs = app.test_client(), app.test_client()
    _, team = signed_in(ours, "Team A")
    signed_in(theirs, "Team B")
    campaign = make_campaign(db, "BLOOM")
    put_in_team(db, campaign.artist_id, team)
    return ours, theirs, campaign.id


def rows_of(response: TestResponse) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def audited(db: Session, campaign_id: int) -> list[tuple[str, str]]:
    db.expire_all()
    found = db.execute(
        select(AuditEntry.action, AuditEntry.detail)
        .where(AuditEntry.campaign_id == campaign_id)
        .order_by(AuditEntry.id)
    )
    return [(action, detail) for action, detail in found]


def test_owners_get_full_numbers_members_masked_both_audited(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    ours, theirs, cid = world(app, db, signed_in)
    member = app.test_client()
    signed_in(member, "Team A", role="member")
    fan_id = add_fan(db, cid)
    add_fan(db, cid, channel="discord", presave="saved")
    add_fan(db, cid, consent="opted_out")
    db.commit()
    phone = db.get(Fan, fan_id).phone_e164  # type: ignore[union-attr]

    assert theirs.get(f"/app/campaigns/{cid}/fans.csv").status_code == 404
    owner_file = ours.get(f"/app/campaigns/{cid}/fans.csv")
    member_file = member.get(f"/app/campaigns/{cid}/fans.csv")
    for response in (owner_file, member_file):
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"] == f'attachment; filename="fans-{cid}.csv"'
        assert response.headers["Cache-Control"] == "no-store"
    owner_rows, member_rows = rows_of(owner_file), rows_of(member_file)
    assert len(owner_rows) == len(member_rows) == 3, "header, the SMS fan, the Discord fan"
    assert owner_rows[1][2] == phone and phone not in member_file.get_data(as_text=True)
    assert member_rows[1][2].endswith(phone[-2:]) and "*" in member_rows[1][2]
    assert owner_rows[2][3] == member_rows[2][3] != "", "Discord ids for everyone"
    entries = audited(db, cid)
    assert [a for a, _ in entries] == ["exported", "exported"], "none for the refused try"
    assert "fans.csv" in entries[0][1] and "in full (owner)" in entries[0][1]
    assert "masked" in entries[1][1]


def test_the_fans_file_streams_in_chunks(app: Flask, db: Session, signed_in: SignIn) -> None:
    ours, _, cid = world(app, db, signed_in)
    count = 2 * CHUNK + 5
    first = (db.scalar(select(Fan.id).order_by(Fan.id.desc()).limit(1)) or 0) + 1
    now = utcnow()
    ids = range(first, first + count)
    db.execute(insert(Fan), [{"id": i, "phone_e164": f"+1415{5_000_000 + i:07d}"} for i in ids])
    db.execute(insert(FanLink), [
        {"code": f"code{i}", "fan_id": i, "campaign_id": cid, "source": "sms", "created_at": now}
        for i in ids
    ])  # fmt: skip
    db.execute(insert(Consent), [
        {"fan_id": i, "campaign_id": cid, "channel": "sms", "sender": "+15005550006",
         "status": "opted_in", "source": "sms", "at": now}
        for i in ids
    ])  # fmt: skip
    db.commit()

    response = ours.get(f"/app/campaigns/{cid}/fans.csv")
    assert response.is_streamed and not isinstance(response.response, list | tuple)
    pieces = list(response.iter_encoded())
    assert len(pieces) == 3, "one piece per chunk of rows"
    text = b"".join(pieces).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + count and len({r[0] for r in rows[1:]}) == count


def test_events_file_since_and_audit(app: Flask, db: Session, signed_in: SignIn) -> None:
    ours, theirs, cid = world(app, db, signed_in)
    now = utcnow()
    db.add_all([
        Event(kind="page_view", campaign_id=cid, source="tiktok", at=now - timedelta(days=2)),
        Event(kind="optin", campaign_id=cid, channel="sms", country="US", region="CA", at=now),
    ])  # fmt: skip
    db.commit()

    assert theirs.get(f"/app/campaigns/{cid}/events.csv").status_code == 404
    everything = ours.get(f"/app/campaigns/{cid}/events.csv")
    assert everything.status_code == 200 and everything.is_streamed
    assert everything.headers["Cache-Control"] == "no-store"
    assert everything.headers["Content-Disposition"] == f'attachment; filename="events-{cid}.csv"'
    rows = rows_of(everything)
    assert rows[0] == ["event_id", "kind", "at_utc", "fan_id", "channel", "source", "country",
                       "region"]  # fmt: skip
    assert [r[1] for r in rows[1:]] == ["page_view", "optin"] and rows[1][5] == "tiktok"
    day = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = rows_of(ours.get(f"/app/campaigns/{cid}/events.csv?since={day}"))
    assert [r[1:2] + r[4:] for r in recent[1:]] == [["optin", "sms", "", "US", "CA"]]
    assert audited(db, cid) == [
        ("exported", "events.csv: all events"),
        ("exported", f"events.csv: events since {day}"),
    ]


def test_a_bad_since_is_a_400_naming_it(app: Flask, db: Session, signed_in: SignIn) -> None:
    ours, _, cid = world(app, db, signed_in)
    for bad in ("yesterday", "2026-12-01T00:00:00", "2026-02-30"):
        response = ours.get(f"/app/campaigns/{cid}/events.csv", query_string={"since": bad})
        assert response.status_code == 400, bad
        body = response.get_data(as_text=True)
        assert "since" in body and "ISO 8601" in body and response.mimetype == "text/html"
    assert audited(db, cid) == [], "a refused download is not one"


def test_the_fans_page_links_both_downloads(app: Flask, db: Session, signed_in: SignIn) -> None:
    ours, _, cid = world(app, db, signed_in)
    body = ours.get(f"/app/campaigns/{cid}/fans").get_data(as_text=True)
    assert f"/app/campaigns/{cid}/fans.csv" in body and f"/app/campaigns/{cid}/events.csv" in body
    assert "masked for members" in body
