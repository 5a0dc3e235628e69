"""The demo in real headless Chromium against `presave up` (every role, the sandbox): sign in
with the printed password, a fan texts BLOOM and connects Spotify, then the clock sends the
next countdown now and makes the release live in the US (after its confirmation); the live
log shows the text and the save without a reload. The clock's pages pass axe at both sizes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.artist_browser import accessible_at_both_sizes, csp_complaints
from tests.integration.story_helpers import awake_phone, connect_spotify, text_keyword
from tests.integration.up_helpers import Up, presave_up_with_demo

pytestmark = pytest.mark.browser
SIGN_IN = re.compile(r"demo: sign in at (\S+) as (\S+), password (\S+)")


def sign_in_as_the_demo_artist(page: Any, up: Up) -> None:
    found = SIGN_IN.search(up.log())
    assert found is not None, up.log()[-3000:]
    url, email, password = found.groups()
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"{re.escape(up.url)}/app/campaigns.*"))
    assert "Night Bloom" in page.locator("main").inner_text()
    page.get_by_role("link", name="Sandbox console").click()
    page.wait_for_url(f"{up.url}/sandbox/")


def test_the_clock_runs_the_demo_drop(tmp_path: Path, redis_url: str, page: Any) -> None:
    from playwright.sync_api import expect  # imported here: the module loads without it

    csp_errors = csp_complaints(page)
    with presave_up_with_demo(tmp_path, REDIS_URL=redis_url) as up:
        up.wait_for("presave is up")
        up.wait_for("demo: sign in at")
        sign_in_as_the_demo_artist(page, up)
        phone = awake_phone(minutes=5)
        connect_spotify(up, text_keyword(up, phone, "BLOOM"), "fan-1")
        masked = phone[:3] + "*" * (len(phone) - 5) + phone[-2:]

        accessible_at_both_sizes(page, f"{up.url}/sandbox/clock")
        log = page.locator("[data-log='entries']")
        expect(log).to_contain_text(f"{masked} connected Spotify")
        page.get_by_role("button", name="Send the next scheduled message now").click()
        page.wait_for_url(re.compile(rf"{re.escape(up.url)}/sandbox/clock\?campaign=\d+"))
        expect(page.locator(".flash")).to_contain_text("goes out now")
        # The page polls log.json: the text shows up without a reload.
        sent = rf"text (sent|delivered): countdown countdown-1h to {re.escape(masked)}"
        expect(log).to_contain_text(re.compile(sent), timeout=120_000)

        page.get_by_label("Market").select_option("US")
        page.get_by_role("button", name="Make the release live now…").click()
        assert page.locator("h1").inner_text() == "Make Night Bloom live in US now?"
        accessible_at_both_sizes(page, page.url)
        page.get_by_role("button", name="Make it live in US").click()
        expect(page.locator(".flash")).to_contain_text("Live in US now: detected")
        expect(log).to_contain_text("release found live in US")
        expect(log).to_contain_text(f"{masked} saved the release", timeout=120_000)
        accessible_at_both_sizes(page, page.url)
    assert csp_errors == []
