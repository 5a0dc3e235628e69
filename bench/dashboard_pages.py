"""The artist app's pages over the dashboard's seeded campaign: Flask test-client GETs,
signed in as a member of the team that owns the campaign (server time, no network)."""

from __future__ import annotations

import html
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from core.db import transaction
from core.services import accounts, tenancy
from core.settings import load_settings
from web import create_app

Measurement = tuple[str, Callable[[], object]]


def signed_in_client(url: str, artist_id: int, team_name: str = "Bench crew") -> FlaskClient:
    """A test client of the real app on `url`, signed in to a team holding the artist (the
    team named `team_name`, made and given the artist when it does not hold it yet)."""
    instance = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    env = {"PRESAVE_ENV": "test", "INSTANCE_PATH": str(instance), "DATABASE_URL": url}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    app = create_app(load_settings(env, dotenv_path=instance / "no.env"))
    with transaction(url) as session:
        user, _ = accounts.create_user(session, "bench@label.example", team_name, "member")
        team = accounts.team_by_name(session, team_name)
        account = accounts.load_account(session, user.id)
        assert team is not None and account is not None
        tenancy.assign_artist(session, artist_id, team.id)
        user_id, team_id, stamp = user.id, team.id, account.stamp
    client = app.test_client()
    with client.session_transaction() as browser:
        browser["_user_id"] = f"{user_id}:{stamp}"  # what the app's SignedIn.get_id() gives
        browser["_fresh"] = True
        browser["team_id"] = team_id
    return client


def page_measurements(
    url: str, campaign_id: int, artist_id: int, fan_id: int, deep: str
) -> list[Measurement]:
    """GETs of every artist page of the campaign (fans list first, deep and filtered, a
    timeline, drop page and JSON, campaigns, overview, edit, close, Discord, messages, new
    message, mark-live confirmation) and the POST of a message's live preview."""
    client = signed_in_client(url, artist_id)
    base = f"/app/campaigns/{campaign_id}"

    def get(path: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return call

    token = csrf_token(client, f"{base}/messages/new")
    preview = {"csrf_token": token, "template": "countdown-1h", "when": "before",
               "channels": ["sms", "discord"]}  # fmt: skip

    def post_preview() -> object:
        response = client.post(f"{base}/messages/preview", data=preview)
        assert response.status_code == 200, response.status_code
        return response

    return [
        ("page: campaigns", get("/app/campaigns")),
        ("page: overview", get(base)),
        ("page: edit", get(f"{base}/edit")),
        ("page: close (confirm)", get(f"{base}/close")),
        ("page: discord", get(f"{base}/discord")),
        ("page: messages", get(f"{base}/messages")),
        ("page: new message", get(f"{base}/messages/new")),
        ("page: message preview (POST)", post_preview),
        ("page: mark live (confirm GB)", get(f"{base}/drop/mark-live?market=GB")),
        ("page: fans, first", get(f"{base}/fans")),
        ("page: fans, deep cursor", get(f"{base}/fans?after={deep}")),
        ("page: fans, status=saved", get(f"{base}/fans?status=saved")),
        ("page: fans, channel=discord", get(f"{base}/fans?channel=discord")),
        ("page: fan timeline", get(f"{base}/fans/{fan_id}")),
        ("page: drop", get(f"{base}/drop")),
        ("page: drop.json", get(f"{base}/drop.json")),
    ]


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on `path` for this client's session."""
    body = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
    assert found is not None, f"no CSRF token on {path}"
    return html.unescape(found.group(1))
