"""In real headless Chromium: the fans list, a fan's timeline and the drop page pass axe at
phone and desktop sizes, and the drop page's figures follow the database without a reload."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.db import transaction
from core.models import PreSave
from core.services import accounts, tenancy
from core.settings import Settings
from core.timeutil import utcnow
from tests.e2e.artist_browser import (
    SIZES,
    csp_complaints,
    fits,
    no_axe_violations,
    set_password_from_link,
)
from tests.e2e.conftest import LiveServer
from tests.factories import make_campaign
from tests.integration.dashboard_helpers import add_fan

pytestmark = pytest.mark.browser


def member(settings: Settings, db: Session) -> tuple[str, int]:
    """A new team member's one-time sign-in link token, and a campaign of their team."""
    with transaction(settings.database_url) as session:
        user, raw = accounts.create_user(session, "mira@label.example", "Mira Vale crew")
        (membership,) = accounts.memberships(session, user.id)
    release = (utcnow() - timedelta(hours=1)).isoformat()
    campaign = make_campaign(db, "BLOOM", release_at=release, timezone="Europe/Paris")
    tenancy.assign_artist(db, campaign.artist_id, membership.team_id)
    db.commit()
    return raw, campaign.id


def test_fans_and_drop_pages_are_accessible_and_the_drop_page_stays_live(
    settings: Settings, db: Session, live_server: LiveServer, page: Any
) -> None:
    from web import create_app

    raw, campaign_id = member(settings, db)
    fan = add_fan(db, campaign_id, presave="pending", market="FR")
    add_fan(db, campaign_id, channel="discord")
    db.commit()
    live_server.bind(create_app(settings.with_overrides(public_url=live_server.base_url)))
    csp_errors = csp_complaints(page)

    base = live_server.base_url
    set_password_from_link(page, f"{base}/app/sign-in/{raw}", f"{base}/app/campaigns")
    paths = ("fans", f"fans/{fan}", "fans?status=authorized", "drop", "drop/mark-live?market=FR")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for path in paths:
            page.goto(f"{base}/app/campaigns/{campaign_id}/{path}")
            no_axe_violations(page)
            fits(page)

    page.goto(f"{base}/app/campaigns/{campaign_id}/fans")
    page.get_by_label("Status").select_option("authorized")
    page.get_by_role("button", name="Show fans").click()
    page.get_by_role("link", name="+14").first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("+14")
    assert "Pre-save recorded" in page.inner_text("main")

    page.goto(f"{base}/app/campaigns/{campaign_id}/drop")
    summary = page.locator('[aria-live="polite"][data-drop="summary"]')
    page.evaluate("window.stillTheSamePage = true")
    assert summary.inner_text() == "0 saved, 1 waiting, 0 not saved."
    with transaction(settings.database_url) as session:
        session.execute(
            update(PreSave)
            .where(PreSave.campaign_id == campaign_id)
            .values(status="saved", saved_at=utcnow())
        )
    from playwright.sync_api import expect

    # The script polls every 5 s: the figure changes on the page without a reload.
    expect(page.locator('[data-drop="presaves.saved"]')).to_have_text("1", timeout=15000)
    assert summary.inner_text() == "1 saved, 0 waiting, 0 not saved."
    assert page.evaluate("window.stillTheSamePage === true"), "updated in place, not reloaded"

    page.get_by_label("Market").fill("fr")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Mark live in FR").click()
    page.wait_for_url(f"{base}/app/campaigns/{campaign_id}/drop")
    assert "Marked live in FR" in page.locator(".flash").inner_text()
    assert csp_errors == [] and live_server.outside_requests == []
