"""In real headless Chromium: write a message, watch the live preview follow the typing,
schedule it, find it on the timeline and cancel it; the messages pages pass axe at phone
and desktop sizes with no CSP violation and no sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import transaction
from core.models import MessageStatus, ScheduledMessage
from core.services import accounts, tenancy
from core.services.one_time_links import SIGN_IN
from core.settings import Settings
from tests.e2e.artist_browser import (
    PASSWORD,
    accessible_at_both_sizes,
    csp_complaints,
    no_axe_violations,
)
from tests.e2e.conftest import LiveServer
from tests.factories import make_campaign

pytestmark = pytest.mark.browser
EMAIL = "mira@messages.example"


def test_schedule_a_message_with_its_live_preview_then_cancel_it(
    settings: Settings, db: Session, live_server: LiveServer, page: Any
) -> None:
    from web import create_app

    with transaction(settings.database_url) as session:  # an account whose password is set
        user, raw = accounts.create_user(session, EMAIL, "Messages crew")
        accounts.use_sign_in_link(session, raw, PASSWORD, SIGN_IN)
        crew = accounts.memberships(session, user.id)[0].team_id
    campaign = make_campaign(db, "BLOOM")
    tenancy.assign_artist(db, campaign.artist_id, crew)
    db.commit()
    live_server.bind(create_app(settings.with_overrides(public_url=live_server.base_url)))
    csp_errors = csp_complaints(page)
    base = live_server.base_url
    page.goto(f"{base}/app/sign-in")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{base}/app/campaigns")

    messages = f"{base}/app/campaigns/{campaign.id}/messages"
    accessible_at_both_sizes(page, messages)
    accessible_at_both_sizes(page, messages + "/new")
    region = page.locator("#preview-region")
    assert region.get_attribute("aria-live") == "polite"

    page.get_by_label("Template").select_option("countdown-1d")
    page.get_by_label("How long before the release").fill("2d")
    page.get_by_label("Your own text (optional)").fill("Two days to go {{ link }}")
    region.get_by_text("1 segment, GSM-7").wait_for()
    assert "Two days to go" in region.locator(".sms-bubble").inner_text()
    page.get_by_label("Your own text (optional)").press_sequentially(" 🌙 see you there")
    region.get_by_text("UCS-2 (emoji or special characters)").wait_for()
    assert "segments" in region.locator(".segments").inner_text()
    no_axe_violations(page)  # with the preview filled in
    page.get_by_label("Your own text (optional)").fill("{{ secret }}")
    region.get_by_text("unknown variable secret").wait_for()
    page.get_by_label("Your own text (optional)").fill("Two days to go {{ link }}")
    region.get_by_text("every check passed").wait_for()

    page.get_by_role("button", name="Schedule").click()
    page.wait_for_url(messages)
    assert "Message scheduled for" in page.locator("[role=status]").inner_text()
    item = page.locator(".timeline-item", has_text="countdown-1d")
    assert "scheduled" in item.inner_text()
    accessible_at_both_sizes(page, messages)

    page.locator(".timeline-item").get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Yes, cancel this message").wait_for()
    no_axe_violations(page)
    page.get_by_role("button", name="Yes, cancel this message").click()
    page.wait_for_url(messages)
    assert "cancelled" in page.locator(".timeline-item").inner_text()
    assert page.locator(".timeline-item").get_by_role("button", name="Cancel").count() == 0
    db.expire_all()
    [saved] = db.scalars(select(ScheduledMessage)).all()
    assert saved.status == MessageStatus.CANCELLED

    # The SMS sender, by keyboard: a refusal next to its field, then a toll-free number.
    page.get_by_role("link", name="Change the SMS sender").click()
    page.wait_for_url(messages + "/sender")
    accessible_at_both_sizes(page, messages + "/sender")
    page.get_by_label("Sender").select_option("toll_free")
    page.get_by_label("Texts a day at most").fill("lots")
    page.get_by_label("Texts a day at most").press("Enter")
    page.locator("#daily_cap-error").wait_for()
    no_axe_violations(page)
    page.get_by_label("Texts a day at most").fill("")
    page.get_by_label("Texts a day at most").press("Enter")
    page.wait_for_url(messages)
    assert "SMS sender: toll-free (3 texts/s), no daily cap." in page.content()
    assert csp_errors == [] and live_server.outside_requests == []
