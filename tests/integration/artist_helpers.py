"""Signing a test client in to the artist app, and reading its forms' CSRF tokens."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.db import transaction
from core.services import accounts, tenancy
from core.settings import Settings

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SignIn = Callable[..., tuple[int, int]]


def csrf_of(client: FlaskClient, path: str) -> str:
    """The CSRF token the form on `path` carries for this client's session."""
    body = client.get(path).get_data(as_text=True)
    found = CSRF_RE.search(body)
    assert found is not None, body
    return html.unescape(found.group(1))


def put_in_team(db: Session, artist_id: int, team_id: int) -> None:
    """Give an artist (and so its campaigns) to a team; `db` is committed."""
    tenancy.assign_artist(db, artist_id, team_id)
    db.commit()


@pytest.fixture
def signed_in(settings: Settings) -> SignIn:
    """`signed_in(client, team_name, email=None, role="owner") -> (user_id, team_id)`: the
    account (and team) is created and the client's session signed in to it, working in that
    team, without the sign-in form (no password, no rate limit)."""

    def sign(
        client: FlaskClient, team_name: str, email: str | None = None, role: str = "owner"
    ) -> tuple[int, int]:
        address = email or f"{role}@{team_name.lower().replace(' ', '-')}.example.com"
        with transaction(settings.database_url) as session:
            user, _ = accounts.create_user(session, address, team_name, role)
            team = accounts.team_by_name(session, team_name)
            account = accounts.load_account(session, user.id)
            assert team is not None and account is not None
            user_id, team_id = user.id, team.id
        with client.session_transaction() as browser:
            browser["_user_id"] = f"{user_id}:{account.stamp}"  # what SignedIn.get_id() gives
            browser["_fresh"] = True
            browser["team_id"] = team_id
        return user_id, team_id

    return sign
