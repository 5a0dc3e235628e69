"""The analytics as the artist and an API client get them: Flask test-client GETs of the
analytics pages (signed in as a member of the campaign's team) and of the /api/v1 stats
endpoints (with a read token of that team). Server time only, no network."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from bench.dashboard_pages import signed_in_client
from core.db import transaction
from core.services import accounts, api_tokens
from core.timeutil import utcnow

Measurement = tuple[str, Callable[[], object]]
# The bench asks more often than a token may (600 reads a minute by default).
UNLIMITED = "1000000/minute"
TEAM = "Bench crew"  # the team bench.analytics_seed puts the artist in


def _getter(
    client: FlaskClient, headers: dict[str, str] | None = None
) -> Callable[[str], Callable[[], object]]:
    def get(path: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return call

    return get


def _read_token(url: str) -> str:
    """A read token of the seeded team (bench.analytics_seed's), made by a new owner."""
    with transaction(url) as session:
        team = accounts.team_by_name(session, TEAM)
        assert team is not None
        owner, _ = accounts.create_user(session, "owner@label.example", TEAM, "owner")
        _, raw = api_tokens.create(session, team.id, owner.id, "bench", "read")
    return raw


def http_measurements(url: str, campaign_id: int, artist_id: int) -> list[Measurement]:
    """GETs of the three analytics pages (with and without filters), the releases page, and
    every stats endpoint of the API (with and without filters)."""
    client = signed_in_client(url, artist_id, TEAM)
    client.application.config["API_READ_LIMIT"] = UNLIMITED
    page = _getter(client)
    api = _getter(client, {"Authorization": f"Bearer {_read_token(url)}"})
    base = f"/app/campaigns/{campaign_id}/analytics"
    stats = f"/api/v1/campaigns/{campaign_id}/stats"
    since = (utcnow() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    narrow = "channel=sms&country=US"
    rows: list[Measurement] = [
        ("page: analytics", page(base)),
        (f"page: analytics ?{narrow}", page(f"{base}?{narrow}")),
        ("page: analytics, sorted by country", page(f"{base}?sort=country.conversion.desc")),
        ("page: analytics, over time", page(f"{base}/time")),
        ("page: analytics, over time ?channel=sms", page(f"{base}/time?channel=sms")),
        ("page: analytics, messages", page(f"{base}/messages")),
        ("page: releases compared", page("/app/releases")),
        ("api: funnel", api(f"{stats}/funnel")),
        (f"api: funnel ?{narrow}&since=", api(f"{stats}/funnel?{narrow}&since={since}")),
    ]
    rows += [
        (f"api: breakdown/{d}", api(f"{stats}/breakdown/{d}"))
        for d in ("source", "channel", "country", "region")
    ]
    rows += [
        ("api: breakdown/country ?channel=sms", api(f"{stats}/breakdown/country?channel=sms")),
        ("api: series/optins-daily", api(f"{stats}/series/optins-daily")),
        ("api: series/optins-hourly", api(f"{stats}/series/optins-hourly")),
        ("api: series/saves-by-minute", api(f"{stats}/series/saves-by-minute")),
        ("api: messages", api(f"{stats}/messages")),
        ("api: releases", api("/api/v1/stats/releases")),
    ]
    return rows
