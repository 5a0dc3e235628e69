"""Team API tokens: stored as sha256 only, shown once, revoked at once, scoped read or
write; made and revoked by owners on /app/team/tokens, in the audit log."""

from __future__ import annotations

import hashlib
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import ApiToken, AuditEntry
from core.services import api_tokens
from core.timeutil import utcnow
from tests.integration.api_helpers import ApiTeam, call, is_problem
from tests.integration.artist_helpers import SignIn, csrf_of

TOKEN_RE = re.compile(r"psv_[A-Za-z0-9_-]{43}")


def test_only_the_sha256_is_stored(db: Session, api_team: ApiTeam) -> None:
    rows = db.scalars(select(ApiToken).where(ApiToken.team_id == api_team.team_id)).all()
    stored = {row.token_hash for row in rows}
    assert stored == {
        hashlib.sha256(t.encode()).hexdigest() for t in (api_team.read, api_team.write)
    }
    for row in rows:
        values = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
        assert api_team.read not in values and api_team.write not in values
        assert row.hint == (api_team.read if row.scope == "read" else api_team.write)[:12]


def test_a_token_reads_its_team_and_notes_when_it_was_used(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    response = call(api, "GET", "/api/v1/campaigns", api_team.read)
    assert response.status_code == 200
    assert [c["id"] for c in response.get_json()["data"]] == [api_team.campaign_id]
    used = db.scalar(select(ApiToken.last_used_at).where(ApiToken.scope == "read"))
    assert used is not None


def test_missing_malformed_and_unknown_tokens_get_401_with_a_challenge(
    api: FlaskClient, api_team: ApiTeam
) -> None:
    missing = call(api, "GET", "/api/v1/campaigns", None)
    is_problem(missing, 401)
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="presave API"'
    for token in ("nope", "psv_" + "A" * 43, api_team.read + "x", "Basic abc"):
        bad = call(api, "GET", "/api/v1/campaigns", token)
        is_problem(bad, 401)
        assert 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    basic = api.get("/api/v1/campaigns", headers={"Authorization": "Basic " + api_team.read})
    is_problem(basic, 401)


def test_a_revoked_token_stops_working_at_once(
    api: FlaskClient, db: Session, api_team: ApiTeam
) -> None:
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.scope == "read"))
    assert token_id is not None
    assert call(api, "GET", "/api/v1/campaigns", api_team.read).status_code == 200
    api_tokens.revoke(db, api_team.team_id, api_team.owner_id, token_id, utcnow())
    db.commit()
    is_problem(call(api, "GET", "/api/v1/campaigns", api_team.read), 401)
    assert call(api, "GET", "/api/v1/campaigns", api_team.write).status_code == 200


def test_a_read_token_is_refused_every_change_with_403(api: FlaskClient, api_team: ApiTeam) -> None:
    base = f"/api/v1/campaigns/{api_team.campaign_id}"
    for method, path in (
        ("POST", "/api/v1/campaigns"),
        ("PATCH", base),
        ("POST", base + "/close"),
        ("POST", base + "/messages"),
        ("POST", base + "/messages/1/cancel"),
    ):
        found = is_problem(call(api, method, path, api_team.read, body={}), 403)
        assert "read-only" in str(found["detail"])
    assert call(api, "GET", base, api_team.read).status_code == 200


def test_an_owner_makes_a_token_shown_once_and_revokes_it(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    owner = app.test_client()
    _, team_id = signed_in(owner, "Team T")
    made = owner.post(
        "/app/team/tokens",
        data={
            "name": "CRM sync",
            "scope": "write",
            "csrf_token": csrf_of(owner, "/app/team/tokens"),
        },
    )
    assert made.status_code == 200
    raw = TOKEN_RE.findall(made.get_data(as_text=True))
    assert len(raw) == 1
    assert made.headers["Cache-Control"] == "no-store"
    again = owner.get("/app/team/tokens").get_data(as_text=True)
    assert raw[0] not in again and "CRM sync" in again and raw[0][:12] in again
    assert (
        app.test_client()
        .get("/api/v1/campaigns", headers={"Authorization": f"Bearer {raw[0]}"})
        .status_code
        == 200
    )

    token_id = db.scalar(select(ApiToken.id).where(ApiToken.team_id == team_id))
    revoked = owner.post(
        f"/app/team/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_of(owner, "/app/team/tokens")},
    )
    assert revoked.status_code == 302
    assert (
        app.test_client()
        .get("/api/v1/campaigns", headers={"Authorization": f"Bearer {raw[0]}"})
        .status_code
        == 401
    )
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.team_id == team_id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["api_token_created", "api_token_revoked"]


def test_a_refused_name_is_shown_next_to_its_field(app: Flask, signed_in: SignIn) -> None:
    owner = app.test_client()
    signed_in(owner, "Team N")
    token = csrf_of(owner, "/app/team/tokens")
    refused = owner.post(
        "/app/team/tokens", data={"name": " ", "scope": "read", "csrf_token": token}
    )
    assert refused.status_code == 400
    assert "psv_" not in refused.get_data(as_text=True).replace("psv_...", "")
    odd = owner.post("/app/team/tokens", data={"name": "x", "scope": "admin", "csrf_token": token})
    assert odd.status_code == 400 and "read or write" in odd.get_data(as_text=True)


def test_members_see_the_list_but_cannot_make_or_revoke(
    app: Flask, db: Session, signed_in: SignIn, api_team: ApiTeam
) -> None:
    member = app.test_client()
    signed_in(member, "Team A", email="member@team-a.example.com", role="member")
    page = member.get("/app/team/tokens")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "reader" in body and "writer" in body and "Make a token" not in body
    token = csrf_of(member, "/app/team/tokens")
    made = member.post(
        "/app/team/tokens", data={"name": "mine", "scope": "write", "csrf_token": token}
    )
    assert made.status_code == 403
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.scope == "write"))
    refused = member.post(f"/app/team/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert refused.status_code == 403
    assert call(app.test_client(), "GET", "/api/v1/campaigns", api_team.write).status_code == 200


def test_another_teams_token_cannot_be_revoked(
    app: Flask, db: Session, signed_in: SignIn, api_team: ApiTeam
) -> None:
    stranger = app.test_client()
    signed_in(stranger, "Team B")
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.scope == "write"))
    token = csrf_of(stranger, "/app/team/tokens")
    assert (
        stranger.post(f"/app/team/tokens/{token_id}/revoke", data={"csrf_token": token}).status_code
        == 404
    )
    assert "writer" not in stranger.get("/app/team/tokens").get_data(as_text=True)
