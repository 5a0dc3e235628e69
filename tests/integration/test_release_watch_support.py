"""Helpers for the release-watch tests (no tests here): Spotify's catalog at the wire, fans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
import responses
from requests import PreparedRequest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Campaign, Event, Fan, PreSave, ReleaseMarket, SpotifyGrant
from core.providers import spotify_catalog
from tests.integration.spotify_stubs import API, TOKEN_URL

ALBUM_ID = "4aawyAB9vmqN3uQ7FjRGTy"
TRACK_ALBUM_ID = "1DFixLWuPkv3KT3TnV35m3"
UPC = "602445790128"
ISRC = "USUM72600001"
# Midnight in New York on Friday 4 December 2026, and the same day's midnight in Auckland.
RELEASE = datetime(2026, 12, 4, 5, 0, tzinfo=UTC)
NZ_MIDNIGHT = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
RELEASE_AT = "2026-12-04T00:00:00-05:00"

Reply = tuple[int, dict[str, str], str]


@pytest.fixture(autouse=True)
def fresh_app_tokens() -> Iterator[None]:
    """Every test fetches its own app token."""
    spotify_catalog.forget_tokens()
    yield
    spotify_catalog.forget_tokens()


@dataclass
class FakeCatalog:
    """Spotify's token endpoint, GET /albums/{id} and GET /search, live per market."""

    live: set[str] = field(default_factory=set)
    retry_after: str | None = None
    fail_status: int | None = None
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    tokens: int = 0

    def install(self, rsps: responses.RequestsMock) -> FakeCatalog:
        """Answer through `rsps`."""
        rsps.add_callback(responses.POST, TOKEN_URL, callback=self._token)
        rsps.add_callback(responses.GET, f"{API}/albums/{ALBUM_ID}", callback=self._album)
        rsps.add_callback(responses.GET, f"{API}/search", callback=self._search)
        return self

    def visible(self, market: str | None) -> bool:
        """Live in that market (None: anywhere)."""
        return market in self.live if market else bool(self.live)

    def _token(self, _request: PreparedRequest) -> Reply:
        self.tokens += 1
        body = {"access_token": f"app-token-{self.tokens}", "token_type": "Bearer"}
        return 200, {}, json.dumps({**body, "expires_in": 3600})

    def _refused(self) -> Reply | None:
        if self.retry_after is not None:
            error = {"error": {"status": 429, "message": "API rate limit exceeded"}}
            return 429, {"Retry-After": self.retry_after}, json.dumps(error)
        if self.fail_status is not None:
            return self.fail_status, {}, json.dumps({"error": {"status": self.fail_status}})
        return None

    def _album_json(self, market: str | None, album_id: str = ALBUM_ID) -> dict[str, Any]:
        body: dict[str, Any] = {"id": album_id, "name": "Night Bloom", "release_date": "2026-12-04"}
        if market is None:
            body["available_markets"] = sorted(self.live)
        return body

    def _album(self, request: PreparedRequest) -> Reply:
        query = parse_qs(urlsplit(request.url or "").query)
        market = query.get("market", [None])[0]
        self.calls.append(("album", market))
        refused = self._refused()
        if refused:
            return refused
        if not self.visible(market):
            return 404, {}, json.dumps({"error": {"status": 404, "message": "Resource not found"}})
        body = self._album_json(market)
        body["tracks"] = {"items": [{"id": "7ouMYWpwJ422jRcDASZB7P", "name": "Night Bloom"}]}
        return 200, {}, json.dumps(body)

    def _search(self, request: PreparedRequest) -> Reply:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url or "").query).items()}
        market = query.get("market")
        self.calls.append((query["q"], market))
        refused = self._refused()
        if refused:
            return refused
        assert int(query.get("limit", "20")) <= 10, "development mode allows at most 10"
        items: list[dict[str, Any]] = []
        if query["type"] == "album" and query["q"] == f"upc:{UPC}" and self.visible(market):
            items = [self._album_json(market)]
        if query["type"] == "track" and query["q"] == f"isrc:{ISRC}" and self.visible(market):
            album = self._album_json(market, TRACK_ALBUM_ID)
            items = [{"id": "7ouMYWpwJ422jRcDASZB7P", "name": "Night Bloom", "album": album}]
        return 200, {}, json.dumps({query["type"] + "s": {"items": items, "total": len(items)}})


def add_fan(session: Session, campaign: Campaign, country: str | None) -> Fan:
    """A fan with a Spotify grant in `country` and a pending pre-save (committed)."""
    number = session.scalar(select(func.count()).select_from(Fan)) or 0
    fan = Fan(spotify_user_id=f"fan-{number + 1}")
    session.add(fan)
    session.flush()
    session.add(
        SpotifyGrant(fan_id=fan.id, spotify_user_id=str(fan.spotify_user_id), country=country)
    )
    session.add(PreSave(campaign_id=campaign.id, fan_id=fan.id, market=country))
    session.commit()
    return fan


class Starts:
    """A fake drop starter that remembers which campaigns it was asked to start."""

    def __init__(self) -> None:
        self.campaigns: list[int] = []

    def __call__(self, connection: redis.Redis, campaign_id: int) -> None:
        assert isinstance(connection, redis.Redis)
        self.campaigns.append(campaign_id)


def live_markets(session: Session, campaign_id: int) -> dict[str, tuple[str, str]]:
    """market -> (album id, method) of every recorded market."""
    session.expire_all()
    rows = session.scalars(select(ReleaseMarket).where(ReleaseMarket.campaign_id == campaign_id))
    return {r.market: (r.album_id, r.method) for r in rows}


def detections(session: Session, campaign_id: int) -> list[str | None]:
    """The countries of the campaign's release_detected events, in order."""
    rows = session.scalars(
        select(Event.country)
        .where(Event.campaign_id == campaign_id, Event.kind == "release_detected")
        .order_by(Event.id)
    )
    return list(rows)


def reload(session: Session, campaign_id: int) -> Campaign:
    """The campaign as the database has it now."""
    session.expire_all()
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    return campaign
