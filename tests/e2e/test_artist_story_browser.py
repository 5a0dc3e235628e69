"""The artist's whole story in real headless Chromium against `presave up` (every role, the
sandbox stand-ins): sign in from the CLI's link, create a campaign, schedule a countdown
after its preview, see it sent to a sandbox fan, then mark the release live and watch the
drop page count the save without a reload."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.timeutil import utcnow
from tests.e2e.artist_browser import csp_complaints, set_password_from_link
from tests.integration.story_helpers import (
    ALBUM,
    awake_phone,
    connect_spotify,
    sandbox_base,
    text_keyword,
    texts_to,
    until,
)
from tests.integration.up_helpers import Up, presave_up

pytestmark = pytest.mark.browser


def sign_in_link(up: Up) -> str:
    made = up.presave("user", "create", "--email", "mira@label.example", "--team", "Mira crew")
    assert made.returncode == 0, made.stderr
    found = re.search(rf"{re.escape(up.url)}/app/sign-in/\S+", made.stdout)
    assert found is not None, made.stdout
    return found.group(0)


def create_campaign(page: Any, up: Up) -> int:
    """Through the New campaign form; the release an hour and a minute or two from now."""
    release = (utcnow() + timedelta(minutes=62)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Artist name").fill("Mira Vale")
    page.get_by_label("Title", exact=True).fill("Night Bloom")
    page.get_by_label("Keyword", exact=True).fill("BLOOM")
    page.get_by_label("Release time").fill(release)
    page.get_by_label("Time zone").fill("UTC")
    page.get_by_label("Spotify album id").fill(ALBUM)
    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_url(re.compile(rf"{re.escape(up.url)}/app/campaigns/\d+$"))
    assert page.locator("h1").inner_text() == "Night Bloom"
    return int(page.url.rsplit("/", 1)[1])


def schedule_countdown(page: Any, up: Up, campaign_id: int) -> None:
    """The one-hour countdown by SMS, previewed first, due a minute or two from now."""
    page.goto(f"{up.url}/app/campaigns/{campaign_id}/messages/new")
    page.get_by_label("Template").select_option("countdown-1h")
    page.get_by_label("SMS", exact=True).check()
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".preview-section")
    shown = " ".join(preview.inner_text().split())
    assert "GSM-7" in shown and "Night Bloom" in shown, shown
    assert "SMS: 1 fan (1 at the send time, 0 held for quiet hours)" in shown, shown
    page.get_by_role("button", name="Schedule").click()
    page.wait_for_url(f"{up.url}/app/campaigns/{campaign_id}/messages")
    assert "countdown-1h" in page.locator("main").inner_text()


def test_artist_runs_a_release_from_the_browser(tmp_path: Path, redis_url: str, page: Any) -> None:
    csp_errors = csp_complaints(page)
    with presave_up(tmp_path, REDIS_URL=redis_url) as up:
        up.wait_for("presave is up")
        set_password_from_link(page, sign_in_link(up), f"{up.url}/app/campaigns")

        campaign_id = create_campaign(page, up)
        phone = awake_phone(minutes=5)
        http = connect_spotify(up, text_keyword(up, phone, "BLOOM"), "fan-1")
        schedule_countdown(page, up, campaign_id)

        [countdown] = until(up, "the countdown at the Twilio stand-in",
                            lambda: texts_to(up, phone), seconds=240)  # fmt: skip
        assert "Night Bloom" in countdown["body"]

        def timeline_counts_it() -> bool:
            page.goto(f"{up.url}/app/campaigns/{campaign_id}/messages")
            return "1 sent" in page.locator("main").inner_text()

        until(up, "the messages timeline to count the send", timeline_counts_it, seconds=30)

        page.goto(f"{up.url}/app/campaigns/{campaign_id}/drop")
        saved = page.locator("[data-drop='presaves.saved']")
        assert saved.inner_text() == "0"
        page.get_by_role("button", name="Review before marking live").click()
        confirm = page.get_by_role("button", name=re.compile(r"^Mark live in "))
        assert "US: 1 fan will have the release saved now" in page.locator("main").inner_text()
        confirm.click()
        page.wait_for_url(f"{up.url}/app/campaigns/{campaign_id}/drop")
        # The page polls drop.json: the save shows up without a reload.
        from playwright.sync_api import expect  # imported here: the module loads without it

        expect(saved).to_have_text("1", timeout=60_000)
        user = http.get(f"{sandbox_base(up)}/_sandbox/users/fan-1", timeout=5).json()
        assert f"spotify:album:{ALBUM}" in user["saved"]

        page.goto(f"{up.url}/app/campaigns/{campaign_id}")
        history = " ".join(page.locator("main").inner_text().split())
        for action in ("created", "scheduled", "marked_live"):
            assert action.replace("_", " ") in history or action in history, history
    assert csp_errors == []
