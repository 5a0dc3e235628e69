"""In real headless Chromium: the campaign pages (list, new, edit, close confirmation,
overview, Discord) pass axe at phone and desktop sizes with no CSP violation and no
sideways scrolling, and an artist creates, edits, allows a server and closes by keyboard
and clicks, the keyword checked as they type."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.db import transaction
from core.services import accounts
from core.settings import Settings
from tests.e2e.artist_browser import (
    accessible_at_both_sizes,
    csp_complaints,
    no_axe_violations,
    set_password_from_link,
)
from tests.e2e.conftest import LiveServer
from tests.factories import make_campaign

pytestmark = pytest.mark.browser
GUILD = "123456789012345678"


def test_create_edit_allow_and_close_a_campaign(
    settings: Settings, db: Session, live_server: LiveServer, page: Any
) -> None:
    from web import create_app

    live_server.bind(create_app(settings.with_overrides(public_url=live_server.base_url)))
    with transaction(settings.database_url) as session:
        _, raw = accounts.create_user(session, "mira@label.example", "Mira Vale crew")
    make_campaign(db, "TAKEN", artist="Someone Else")  # another team's keyword
    csp_errors = csp_complaints(page)
    base = live_server.base_url
    set_password_from_link(page, f"{base}/app/sign-in/{raw}", f"{base}/app/campaigns")
    accessible_at_both_sizes(page, f"{base}/app/campaigns")

    page.get_by_role("link", name="New campaign").click()
    page.wait_for_url(f"{base}/app/campaigns/new")
    no_axe_violations(page)
    page.get_by_label("Artist name").fill("Lio Hart")
    page.get_by_label("Title").fill("Paper Moons")
    keyword = page.get_by_label("Keyword")
    keyword.press_sequentially("taken")
    status = page.locator("#keyword-check")
    status.filter(has_text="Not available").wait_for()  # the live region answers as you type
    assert "already used by an open campaign" in status.inner_text()
    keyword.fill("")
    keyword.press_sequentially("moons")
    status.filter(has_text="MOONS is available").wait_for()
    page.get_by_label("Release time").fill("2030-03-05T00:00")
    page.get_by_label("Time zone").fill("America/New_York")
    page.get_by_label("Spotify album id").fill("4aawyAB9vmqN3uQ7FjRGTy")
    page.get_by_label("Spotify artist id").focus()
    page.keyboard.press("Tab")  # to the follow checkbox, then the force one, then submit
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Create campaign"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/app/campaigns/[0-9]+$"))
    overview = page.url
    assert "Paper Moons is created." in page.locator("[role=status]").inner_text()
    assert "created (Paper Moons)" in page.locator("#main").inner_text()
    accessible_at_both_sizes(page, overview)
    accessible_at_both_sizes(page, f"{base}/app/campaigns")  # now with a row (a card on the phone)
    accessible_at_both_sizes(page, f"{base}/app/campaigns/new")

    page.goto(overview)
    page.get_by_role("link", name="Edit the campaign").click()
    accessible_at_both_sizes(page, page.url)
    page.get_by_label("Title").fill("Paper Moons (deluxe)")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(overview)
    assert "Saved: title." in page.locator("[role=status]").inner_text()

    page.get_by_role("navigation", name="Campaign").get_by_role("link", name="Discord").click()
    accessible_at_both_sizes(page, page.url)
    page.get_by_label("Server id").fill("12")
    page.get_by_role("button", name="Allow this server").click()
    assert "17-20 digits" in page.locator("#guild_id-error").inner_text()
    no_axe_violations(page)
    page.get_by_label("Server id").fill(GUILD)
    page.get_by_role("button", name="Allow this server").click()
    assert "Allowed, not set up yet" in page.locator("#main").inner_text()
    accessible_at_both_sizes(page, page.url)

    page.goto(overview)
    page.get_by_role("link", name="Close the campaign").click()
    accessible_at_both_sizes(page, page.url)
    assert "keyword MOONS is freed" in page.locator("#main").inner_text()
    page.get_by_role("button", name="Close the campaign").click()
    page.wait_for_url(overview)
    assert "Closed: its keyword is free" in page.locator("[role=status]").inner_text()
    accessible_at_both_sizes(page, overview)
    assert csp_errors == [] and live_server.outside_requests == []
