"""In real headless Chromium: sign in from a one-time link, and the artist pages (the forgotten
password page too) pass axe at
phone and desktop sizes with no CSP violation and no sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.db import transaction
from core.services import accounts, audit, tenancy
from core.settings import Settings
from tests.e2e.artist_browser import (
    SIZES,
    csp_complaints,
    fits,
    no_axe_violations,
    set_password_from_link,
)
from tests.e2e.conftest import LiveServer
from tests.factories import make_campaign

pytestmark = pytest.mark.browser


def test_sign_in_from_the_link_and_the_pages_are_accessible(
    settings: Settings, db: Session, live_server: LiveServer, page: Any
) -> None:
    from web import create_app

    live_server.bind(create_app(settings.with_overrides(public_url=live_server.base_url)))
    with transaction(settings.database_url) as session:
        user, raw = accounts.create_user(session, "mira@label.example", "Mira Vale crew")
        team_id = accounts.memberships(session, user.id)[0].team_id
    campaign = make_campaign(db, "BLOOM")
    tenancy.assign_artist(db, campaign.artist_id, team_id)
    audit.record(db, team_id, None, "created", campaign.id, "from the CLI")
    db.commit()
    csp_errors = csp_complaints(page)

    base = live_server.base_url
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for path in ("/app/sign-in", "/app/forgot"):
            page.goto(base + path)
            no_axe_violations(page)
            fits(page)
    assert "sends no email" in page.content()  # no SMTP_URL here: the page says who can help
    page.goto(f"{base}/app/sign-in/{raw}")
    no_axe_violations(page)
    set_password_from_link(page, f"{base}/app/sign-in/{raw}", f"{base}/app/campaigns")
    assert "Your password is set" in page.locator("[role=status]").inner_text()
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for path in ("/app/campaigns", f"/app/campaigns/{campaign.id}", "/app/team"):
            page.goto(base + path)
            no_axe_violations(page)
            fits(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/app/sign-in")
    page.keyboard.press("Tab")  # the skip link comes first and is visible when focused
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert csp_errors == [] and live_server.outside_requests == []
