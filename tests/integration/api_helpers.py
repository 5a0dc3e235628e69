"""A team with a campaign and two API tokens (read, write), for the /api/v1 tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from core.db import transaction
from core.services import accounts, api_tokens
from core.settings import Settings
from tests.factories import make_campaign
from tests.integration.artist_helpers import put_in_team

PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class ApiTeam:
    """A team, its owner, one campaign and a token of each scope."""

    team_id: int
    owner_id: int
    campaign_id: int
    read: str
    write: str


def make_team(settings: Settings, db: Session, name: str, keyword: str) -> ApiTeam:
    """A team `name` whose owner has a campaign with `keyword` and a read and a write token."""
    email = f"owner@{name.lower().replace(' ', '-')}.example.com"
    with transaction(settings.database_url) as session:
        user, _ = accounts.create_user(session, email, name, "owner")
        team = accounts.team_by_name(session, name)
        assert team is not None
        team_id, owner_id = team.id, user.id
        _, read = api_tokens.create(session, team_id, owner_id, "reader", "read")
        _, write = api_tokens.create(session, team_id, owner_id, "writer", "write")
    campaign = make_campaign(db, keyword, artist=f"Artist of {name}", title=f"Single {keyword}")
    put_in_team(db, campaign.artist_id, team_id)
    return ApiTeam(team_id, owner_id, campaign.id, read, write)


@pytest.fixture
def api_team(settings: Settings, db: Session) -> ApiTeam:
    """Team A with its campaign SECRETA and its tokens."""
    return make_team(settings, db, "Team A", "SECRETA")


def auth(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def call(
    client: FlaskClient, method: str, path: str, token: str | None, body: object = None
) -> TestResponse:
    """One API request with the token (and a JSON body when given)."""
    headers = auth(token) if token else {}
    return client.open(path, method=method, headers=headers, json=body)


def is_problem(response: TestResponse, status: int) -> dict[str, Any]:
    """The problem+json body of a response that must be one, with its status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM, response.mimetype
    found = response.get_json(force=True)
    assert isinstance(found, dict)
    assert found["status"] == status
    assert {"type", "title", "status", "detail"} <= set(found), found
    return found


@pytest.fixture
def api(app: Flask) -> FlaskClient:
    """A client for the API (no cookies needed)."""
    return app.test_client()
