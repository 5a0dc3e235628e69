"""The demo campaign `presave up` seeds in sandbox mode: made once, checked like any
campaign, never in production or with real credentials."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import transaction
from core.models import (
    AuditEntry,
    Campaign,
    DiscordAllowance,
    DiscordBinding,
    ScheduledMessage,
    Team,
    User,
)
from core.services import accounts, artwork, demo_seed
from core.services import demo_album as names
from tests.factories import make_campaign
from tests.integration.demo_fixtures import LOCAL, STARTED, Demo, demo

__all__ = ["demo"]
TABLES = (Campaign, ScheduledMessage, Team, User, DiscordAllowance, DiscordBinding, AuditEntry)


def counts(db: Session) -> dict[str, int]:
    return {t.__name__: int(db.scalar(select(func.count()).select_from(t)) or 0) for t in TABLES}


def test_first_start_seeds_the_demo_and_a_second_changes_nothing(demo: Demo, db: Session) -> None:
    lines = demo_seed.start(demo.settings, demo.running.base, LOCAL, STARTED)
    assert lines[0].startswith(f"demo: open {LOCAL}/sandbox/ ")
    kept = json.loads((demo.settings.instance_path / "demo.json").read_text())
    mode = stat.S_IMODE((demo.settings.instance_path / "demo.json").stat().st_mode)
    assert mode == 0o600 and kept["email"] == names.OWNER_EMAIL
    assert lines[1] == (
        f"demo: sign in at {LOCAL}/app/sign-in as {names.OWNER_EMAIL}, password {kept['password']}"
    )
    with transaction(demo.settings.database_url) as session:
        assert accounts.authenticate(session, names.OWNER_EMAIL, kept["password"]) is not None
    campaign = db.scalars(select(Campaign)).one()
    assert (campaign.artist.name, campaign.title, campaign.keyword) == (
        "Mira Vale",
        "Night Bloom",
        "BLOOM",
    )
    assert campaign.release_at == STARTED + timedelta(minutes=10)
    assert db.get(Team, campaign.artist.team_id).name == "Mira Vale team"  # type: ignore[union-attr]
    cover = campaign.artwork_url or ""
    assert artwork.stored_file(demo.settings.instance_path, cover.removeprefix(artwork.ROUTE))
    messages = db.scalars(select(ScheduledMessage).order_by(ScheduledMessage.send_at)).all()
    assert [(m.send_at - STARTED, m.channels, m.kind) for m in messages] == [
        (timedelta(minutes=3), "sms,discord", "countdown"),
        (timedelta(minutes=6), "sms,discord", "countdown"),
    ]
    binding = db.scalars(select(DiscordBinding)).one()
    assert (binding.guild_id, binding.campaign_id) == (names.GUILD_ID, campaign.id)
    assert db.scalars(select(DiscordAllowance.guild_id)).all() == [names.GUILD_ID]
    # The album is in the sandbox's catalogue, live nowhere before the release.
    album = demo.running.server.app.state.catalog.album(names.ALBUM_ID)
    assert album is not None and album.live_at == {}
    assert album.everywhere_at == campaign.release_at
    assert not album.live_anywhere(STARTED + timedelta(minutes=9))
    before = counts(db)
    db.rollback()

    again = demo_seed.start(demo.settings, demo.running.base, LOCAL, STARTED + timedelta(hours=1))
    assert again == lines  # the same password, read back from demo.json
    assert counts(db) == before


def test_the_demo_is_checked_like_any_campaign_and_nothing_is_half_written(
    demo: Demo, db: Session
) -> None:
    make_campaign(db, "BLOOM", artist="Someone Else", title="Other")  # BLOOM is taken
    before = counts(db)
    db.rollback()
    lines = demo_seed.start(demo.settings, demo.running.base, LOCAL, STARTED)
    assert len(lines) == 1 and lines[0].startswith("demo: not set up: keyword: ")
    assert counts(db) == before
    assert not (demo.settings.instance_path / "demo.json").exists()


def test_no_demo_in_production_or_with_real_credentials(demo: Demo, db: Session) -> None:
    real_spotify = demo.settings.with_overrides(
        spotify_api_base="https://api.spotify.com/v1",
        spotify_accounts_base="https://accounts.spotify.com",
    )
    production = demo.settings.with_overrides(env="production")
    for settings in (real_spotify, production):
        assert demo_seed.start(settings, demo.running.base, LOCAL, STARTED) == []
    assert counts(db)["Campaign"] == 0
    assert demo.running.server.app.state.catalog.album(names.ALBUM_ID) is None
