"""In real headless Chromium: the Discord page with servers asking to bind the campaign
passes axe at phone and desktop sizes, fits the screen, and an artist dismisses one request
and allows another by keyboard."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.db import transaction
from core.services import accounts, discord_requests, tenancy
from core.settings import Settings
from tests.e2e.artist_browser import (
    accessible_at_both_sizes,
    csp_complaints,
    set_password_from_link,
)
from tests.e2e.conftest import LiveServer
from tests.factories import make_campaign

pytestmark = pytest.mark.browser
ASKING = "123456789012345678"
DISMISSING = "223456789012345678"
ADMIN = "444444444444444444"


def test_servers_asking_are_allowed_or_dismissed(
    settings: Settings, db: Session, live_server: LiveServer, page: Any
) -> None:
    from web import create_app

    live_server.bind(create_app(settings.with_overrides(public_url=live_server.base_url)))
    with transaction(settings.database_url) as session:
        user, raw = accounts.create_user(session, "mira@label.example", "Mira Vale crew")
        team_id = accounts.memberships(session, user.id)[0].team_id
    campaign = make_campaign(db, "BLOOM")
    tenancy.assign_artist(db, campaign.artist_id, team_id)
    long_name = "The Night Bloom Listening Party Server For Everyone Who Loves Very Long Names"
    for guild, name in ((ASKING, long_name), (DISMISSING, None)):
        asker = discord_requests.Asker(guild, ADMIN, name, "moderator_with_a_long_name_32ch")
        discord_requests.record(db, campaign.id, asker)
    db.commit()
    csp_errors = csp_complaints(page)
    base = live_server.base_url
    set_password_from_link(page, f"{base}/app/sign-in/{raw}", f"{base}/app/campaigns")
    discord = f"{base}/app/campaigns/{campaign.id}/discord"
    accessible_at_both_sizes(page, discord)

    dismiss = page.get_by_role("button", name=f"Dismiss server {DISMISSING}")
    dismiss.focus()
    page.keyboard.press("Enter")  # back to the same address: wait for what it says
    page.locator("[role=status]").filter(has_text="request is dismissed").wait_for()
    page.get_by_text("Dismissed requests (1)").click()  # the details open
    accessible_at_both_sizes(page, discord)

    page.get_by_role("button", name=f"Allow {long_name} ({ASKING})").click()
    page.locator("[role=status]").filter(has_text=f"Server {ASKING} is allowed").wait_for()
    main = page.locator("#main").inner_text()
    assert "No server is asking" in main and "Allowed, not set up yet" in main
    accessible_at_both_sizes(page, discord)
    assert csp_errors == [] and live_server.outside_requests == []
