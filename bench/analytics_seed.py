"""Seed for bench.analytics: the dashboard's big campaign (bench.dashboard_seed) plus the
events that make its funnel varied: one opt-in per fan with a source, a country and a region
(earlier than the fan's other events, so they carry the attribution), and a `saved` event in
the drop hour for three fans in five. The rollups are then filled by a rebuild (timed)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bench.dashboard_seed import Seeded, _bulk, seed
from core.db import transaction
from core.models import Artist, Event, Fan, Team

SOURCES = ("tiktok", "ig", "web", "sms", "discord", "yt", "newsletter", "qr")
COUNTRIES = ("US",) * 6 + ("GB", "SE", "DE", "BR", "MX", "CA", "AU", "FR")
REGIONS = ("CA", "NY", "TX", "FL", "IL", "WA", "GA", "MA")
SAVED_SHARE = 0.6


def extra_events(fans: int) -> int:
    """How many events `seed_analytics` adds to the dashboard seed's for `fans` fans."""
    return fans + int(fans * SAVED_SHARE)


def seed_analytics(url: str, fans: int, events: int, now: datetime) -> tuple[Seeded, int]:
    """Seed `fans` fans and `events` events in all (at least `extra_events(fans)`); put the
    artist in a team. Returns the seed and the team's id."""
    seeded = seed(url, fans, events - extra_events(fans), now, extra_campaigns=4)
    rng = random.Random(19)
    with transaction(url) as session:
        rows = session.execute(
            select(Fan.id, Fan.created_at, Fan.discord_user_id).order_by(Fan.id.desc()).limit(fans)
        ).all()
        _bulk(session, Event.__table__, (
            {"kind": "optin", "campaign_id": seeded.campaign_id, "fan_id": fan_id,
             "channel": "discord" if discord else "sms", "source": rng.choice(SOURCES),
             "country": None if discord else rng.choice(COUNTRIES),
             "region": None if discord else rng.choice(REGIONS),
             "at": joined - timedelta(seconds=1)}
            for fan_id, joined, discord in rows
        ))  # fmt: skip
        drop = now - timedelta(minutes=45)
        saved = rows[: int(fans * SAVED_SHARE)]
        _bulk(session, Event.__table__, (
            {"kind": "saved", "campaign_id": seeded.campaign_id, "fan_id": fan_id,
             "country": rng.choice(COUNTRIES), "at": drop + timedelta(seconds=rng.randrange(2400))}
            for fan_id, _, _ in saved
        ))  # fmt: skip
        team = Team(name="Bench crew")  # the team bench.dashboard_pages signs in to
        session.add(team)
        session.flush()
        session.execute(update(Artist).where(Artist.id == seeded.artist_id).values(team_id=team.id))
        team_id = team.id
    return seeded, team_id
