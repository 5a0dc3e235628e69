"""A fan who connects after the drop is saved at once by a save job, not at a later recheck."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from flask.testing import FlaskClient
from sqlalchemy import select

from bench.seed import ALBUM_ID, mark_detected, sandbox_album, seed
from core.db import transaction
from core.models import PreSave, PreSaveStatus
from core.services import fans, links
from core.timeutil import utcnow
from tests.integration.drop_fixtures import DropWorld, drop_world

__all__ = ["drop_world"]  # fixture used below


def connect_through_the_sandbox(world: DropWorld, client: FlaskClient, code: str, user: str) -> str:
    """Press the button, sign in to the Spotify stand-in as `user`, come back; the page's text."""
    start = client.get(f"/p/{code}/authorize")
    assert start.status_code == 302, start.get_data(as_text=True)
    authorize_url = start.headers["Location"]
    assert authorize_url.startswith(world.sandbox_url)
    form = {"user_id": user, "country": "US", "product": "premium"}
    answer = requests.post(
        authorize_url, data={**form, "decision": "approve"}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/oauth/spotify/callback" and "code=" in back.query
    page = client.get(f"{back.path}?{back.query}")
    assert page.status_code == 200, page.get_data(as_text=True)
    return page.get_data(as_text=True)


def presave_status(world: DropWorld, fan_id: int) -> str | None:
    with transaction(world.settings.database_url) as session:
        return session.scalar(select(PreSave.status).where(PreSave.fan_id == fan_id))


def test_a_fan_who_connects_after_the_drop_is_saved_by_the_next_save_job(
    drop_world: DropWorld,
) -> None:
    from web import create_app

    world = drop_world
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat()})
    campaign_id = seed(world.settings, []).campaign_id
    mark_detected(world.settings, campaign_id, ["US"])  # the drop happened, nobody to save
    with transaction(world.settings.database_url) as session:
        fan, _ = fans.by_phone(session, "+14155550177")
        link, _ = links.issue(session, fan.id, campaign_id, "sms")
        fan_id, code = fan.id, link.code

    client = create_app(world.settings).test_client()
    text = connect_through_the_sandbox(world, client, code, "late-fan")
    assert "You're set" in text and "saving it to your Spotify library now" in text
    assert presave_status(world, fan_id) == PreSaveStatus.PENDING

    # No clock runs (no reconcile, no release watch): only the job the callback queued can
    # save this fan.
    assert world.redis.llen("rq:queue:saves") == 1
    world.start_worker()
    world.wait_until(
        lambda: presave_status(world, fan_id) == PreSaveStatus.SAVED, timeout=30, what="the save"
    )
    saved = world.sandbox("GET", "users/late-fan")["saved"]
    assert f"spotify:album:{ALBUM_ID}" in saved
    page = client.get(f"/p/{code}").get_data(as_text=True)
    assert "Saved to your library" in page and f"open.spotify.com/album/{ALBUM_ID}" in page


def test_a_fan_whose_market_is_not_live_yet_waits_for_it(drop_world: DropWorld) -> None:
    from web import create_app

    world = drop_world
    sandbox_album(world.sandbox_url, {"US": utcnow().isoformat()})
    campaign_id = seed(world.settings, []).campaign_id
    mark_detected(world.settings, campaign_id, ["JP"])  # live in Japan only, the fan is in US
    with transaction(world.settings.database_url) as session:
        fan, _ = fans.by_phone(session, "+14155550178")
        link, _ = links.issue(session, fan.id, campaign_id, "sms")
        fan_id, code = fan.id, link.code
    client = create_app(world.settings).test_client()
    text = connect_through_the_sandbox(world, client, code, "us-fan")
    assert "not yet in your country" in text and "saving it to your Spotify library now" not in text
    assert presave_status(world, fan_id) == PreSaveStatus.QUEUED_FOR_MARKET
    assert world.redis.llen("rq:queue:saves") == 0  # nothing queued that could not save
    page = client.get(f"/p/{code}").get_data(as_text=True)
    assert "Not out in your country yet" in page
