"""The demo campaign `presave up` seeds on its first start in sandbox mode: team "Mira Vale
team" (owner demo-artist@example.com), artist Mira Vale, "Night Bloom" (keyword BLOOM) out
10 minutes later, two countdowns (3 and 6 minutes in, on SMS and Discord), the demo Discord
server allowed and bound. A second start changes nothing; production or any real provider
credentials: nothing at all.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import transaction
from core.models import Artist, Campaign
from core.sandbox_admin import SandboxAdminError, post
from core.services import (
    accounts,
    artwork,
    campaigns,
    discord_bindings,
    schedule,
    team_discord,
    tenancy,
)
from core.services import demo_album as demo
from core.settings import PROVIDERS, Settings
from core.validation import ValidationError

DEMO_FILE = "demo.json"
RELEASE_AFTER = timedelta(minutes=10)
COUNTDOWNS = (timedelta(minutes=3), timedelta(minutes=6))  # after the first start
COUNTDOWN_TEMPLATE = "countdown-1h"  # "{time_left} to go: ..." fits any moment


@dataclass(frozen=True)
class Seeded:
    """The demo campaign, and the owner's password when it was made just now."""

    campaign_id: int
    slug: str
    release_at: datetime
    password: str | None


def wanted(settings: Settings) -> bool:
    """Only when every provider is the local stand-in, and never in production."""
    return not settings.is_production and set(settings.needs_sandbox()) == set(PROVIDERS)


def find(session: Session) -> Campaign | None:
    """The demo campaign, if it was seeded."""
    return session.scalar(
        select(Campaign)
        .join(Artist, Artist.id == Campaign.artist_id)
        .where(Artist.name == demo.ARTIST, Campaign.title == demo.TITLE)
        .order_by(Campaign.id)
        .limit(1)
    )


def seed(session: Session, settings: Settings, now: datetime) -> Seeded:
    """The demo campaign, made unless it exists (the caller commits). ValidationError when a
    check refuses it (the keyword BLOOM is another open campaign's)."""
    found = find(session)
    if found is not None:
        return Seeded(found.id, found.slug, found.release_at, None)
    user, _ = accounts.create_user(session, demo.OWNER_EMAIL, demo.TEAM, "owner")
    password = secrets.token_urlsafe(12)
    accounts.set_password(session, user.id, password)
    team_id = tenancy.team_id_named(session, demo.TEAM)
    release_at = (now + RELEASE_AFTER).replace(microsecond=0)
    draft = campaigns.CampaignDraft(
        artist=demo.ARTIST, title=demo.TITLE, keyword=demo.KEYWORD,
        release_at=release_at.isoformat(), timezone=demo.TIMEZONE,
        spotify_album_id=demo.ALBUM_ID, spotify_artist_id=demo.ARTIST_ID,
    )  # fmt: skip
    campaign = campaigns.create_campaign(session, draft, now)
    tenancy.adopt_campaign(session, team_id, campaign)
    name = artwork.store(settings.instance_path, demo.cover_png(), "png")
    campaign.artwork_url = artwork.ROUTE + name
    for after_start in COUNTDOWNS:
        at = (now + after_start).replace(microsecond=0).isoformat()
        request = schedule.Request(campaign.slug, COUNTDOWN_TEMPLATE, at=at, channels="sms,discord")
        schedule.add(session, settings.public_url, settings.program_name, request, now)
    team_discord.allow(session, (team_id, user.id), campaign, demo.GUILD_ID)
    discord_bindings.bind(
        session, campaign.slug, demo.GUILD_ID, demo.CHANNEL_ID, demo.ROLE_ID, by=demo.OWNER_EMAIL
    )
    return Seeded(campaign.id, campaign.slug, campaign.release_at, password)


def demo_file(settings: Settings) -> Path:
    """Where the demo artist's sign-in is kept (mode 600)."""
    return settings.instance_path / DEMO_FILE


def _keep(path: Path, data: dict[str, str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out)
    os.chmod(path, 0o600)


def _kept_password(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    password = data.get("password") if isinstance(data, dict) else None
    return password if isinstance(password, str) else None


def start(settings: Settings, sandbox_url: str, local_url: str, now: datetime) -> list[str]:
    """Seed (first start) and put the album in the sandbox's catalogue (every start: the
    sandbox forgets it); the lines `presave up` prints."""
    if not wanted(settings):
        return []
    try:
        with transaction(settings.database_url) as session:
            seeded = seed(session, settings, now)
            link = None
            if seeded.password is None and _kept_password(demo_file(settings)) is None:
                link = accounts.reset_token(session, demo.OWNER_EMAIL)
        if seeded.password is not None:
            _keep(demo_file(settings), {"email": demo.OWNER_EMAIL, "password": seeded.password})
        post(sandbox_url, "albums", demo.album_body(seeded.release_at))
    except (ValidationError, SandboxAdminError, accounts.UnknownUser) as exc:
        return [f"demo: not set up: {exc}"]
    password = seeded.password or _kept_password(demo_file(settings))
    sign_in = (
        f"demo: sign in at {local_url}/app/sign-in as {demo.OWNER_EMAIL}, password {password}"
        if password
        else f"demo: set the demo artist's password at {local_url}/app/reset/{link}"
    )
    return [
        f"demo: open {local_url}/sandbox/ to try the whole story "
        f"({demo.ARTIST} - {demo.TITLE}, keyword {demo.KEYWORD})",
        sign_in,
    ]
