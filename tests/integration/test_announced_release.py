"""A drop announcement posted in a Discord channel links the release through `/r/c/<slug>`
(a post has no single fan): the click is recorded for the campaign, then sent to Spotify."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from bench.seed import seed_discord
from core.db import transaction
from core.models import Campaign
from core.services import discord_announce, drop
from tests.factories import make_campaign
from tests.integration.discord_helpers import CHANNEL, GUILD, ROLE
from tests.integration.drop_fixtures import DropWorld
from tests.integration.funnel_helpers import events_of

ALBUM = "4aawyAB9vmqN3uQ7FjRGTy"  # the factory's spotify_album_id
PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


def test_the_post_links_the_counted_release_redirect(drop_world: DropWorld) -> None:
    world = drop_world
    seeded = seed_discord(world.settings, 1, guild=GUILD, channel=CHANNEL, role=ROLE)
    with transaction(world.settings.database_url) as session:
        message_id = drop.drop_message_id(session, seeded.campaign_id)
        [post_id] = discord_announce.create(session, message_id, seeded.campaign_id)
        slug = session.get(Campaign, seeded.campaign_id).slug  # type: ignore[union-attr]
        [post] = discord_announce.claim(session, [post_id], world.settings.public_url)
    assert f"{world.settings.public_url}/r/c/{slug}?via=discord" in post.body
    assert "open.spotify.com" not in post.body


def test_a_click_on_the_post_is_recorded_without_a_fan(client: FlaskClient, db: Session) -> None:
    campaign = make_campaign(db)
    answer = client.get(f"/r/c/{campaign.slug}?via=discord", headers={"User-Agent": PHONE_UA})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"https://open.spotify.com/album/{ALBUM}"
    assert answer.headers["Cache-Control"] == "no-store"
    preview = client.get(
        f"/r/c/{campaign.slug}?via=discord", headers={"User-Agent": "Discordbot/2.0"}
    )
    assert preview.status_code == 302
    assert events_of(db, "release_click") == [
        (campaign.id, None, "discord", "announcement", None, None)
    ]
    db.execute(update(Campaign).values(spotify_album_id=None, release_album_id=None))
    db.commit()
    unknown = client.get(f"/r/c/{campaign.slug}", headers={"User-Agent": PHONE_UA})
    assert unknown.headers["Location"].endswith(f"/c/{campaign.slug}")
    assert client.get("/r/c/no-such-campaign").status_code == 404
