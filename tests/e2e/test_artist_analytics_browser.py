"""In real headless Chromium: the analytics page and the releases comparison pass axe and fit
the screen at phone and desktop sizes, and a breakdown table sorts from the keyboard alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.db import transaction
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
from tests.integration.rollup_helpers import make_fans, record_at

pytestmark = pytest.mark.browser
MAX_TABS = 120  # more than the focusable elements before the source table's headings


def member_with_fans(settings: Settings, db: Session) -> tuple[str, int]:
    """A team member's one-time sign-in token, and a campaign of their team released an
    hour ago, with fans from tiktok (three) and ig (one) who opted in, authorized, saved."""
    with transaction(settings.database_url) as session:
        user, raw = accounts.create_user(session, "mira@label.example", "Mira Vale crew")
        (membership,) = accounts.memberships(session, user.id)
    release = utcnow() - timedelta(hours=1)
    campaign = make_campaign(db, "BLOOM", release_at=release.isoformat(), timezone="Europe/Paris")
    tenancy.assign_artist(db, campaign.artist_id, membership.team_id)
    fans = make_fans(db, 4)
    for n, (fan, source) in enumerate(zip(fans, ("tiktok", "tiktok", "tiktok", "ig"), strict=True)):
        at = release - timedelta(days=4, hours=n)
        record_at(db, at, "page_view", campaign_id=campaign.id, source=source)
        record_at(db, at, "optin", campaign_id=campaign.id, fan_id=fan, channel="sms",
                  source=source, country="US", region="CA")  # fmt: skip
        record_at(db, at + timedelta(hours=1), "spotify_authorized", campaign_id=campaign.id,
                  fan_id=fan)  # fmt: skip
        record_at(db, release + timedelta(minutes=n), "saved", campaign_id=campaign.id, fan_id=fan)
    db.commit()
    return raw, campaign.id


def source_rows(page: Any) -> list[str]:
    return page.locator("#by-source + .table-scroll tbody th").all_inner_texts()  # type: ignore[no-any-return]


def test_analytics_pages_are_accessible_and_sort_by_keyboard(
    settings: Settings, db: Session, live_server: LiveServer, page: Any
) -> None:
    from playwright.sync_api import expect

    from web import create_app

    raw, campaign_id = member_with_fans(settings, db)
    live_server.bind(create_app(settings.with_overrides(public_url=live_server.base_url)))
    csp_errors = csp_complaints(page)
    base = live_server.base_url
    set_password_from_link(page, f"{base}/app/sign-in/{raw}", f"{base}/app/campaigns")
    analytics = f"{base}/app/campaigns/{campaign_id}/analytics"

    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        pages = (
            analytics,
            f"{analytics}?country=USA",
            f"{analytics}/messages",
            f"{base}/app/releases",
        )
        for url in pages:
            page.goto(url)
            no_axe_violations(page)
            fits(page)
        page.goto(f"{analytics}/time")
        for details in page.locator("details").all():  # the long tables, opened
            details.locator("summary").click()
        no_axe_violations(page)
        fits(page)

    page.goto(analytics)
    assert source_rows(page) == ["tiktok", "ig"]
    sort_link = page.locator("#by-source + .table-scroll thead a", has_text="Source")
    for _ in range(MAX_TABS):  # Tab through the page, as a keyboard user does
        page.keyboard.press("Tab")
        if sort_link.evaluate("link => link === document.activeElement"):
            break
    else:
        pytest.fail("the source table's Source heading was never reached with Tab")
    outline = sort_link.evaluate("link => getComputedStyle(link).outlineStyle")
    assert outline != "none", "the focused sort link shows where the focus is"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{analytics}?sort=source.value.asc#by-source")
    heading = page.locator("#by-source + .table-scroll thead th", has_text="Source")
    expect(heading).to_have_attribute("aria-sort", "ascending")
    assert source_rows(page) == ["ig", "tiktok"]

    page.get_by_role("textbox", name="Country", exact=True).fill("USA")
    page.get_by_role("button", name="Show numbers").click()
    expect(page.locator("#country-error")).to_contain_text("two-letter country code")
    expect(page.get_by_role("textbox", name="Country", exact=True)).to_have_value("USA")
    assert csp_errors == [] and live_server.outside_requests == []
