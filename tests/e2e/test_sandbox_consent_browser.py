"""The sandbox's Spotify consent page in real headless Chromium against `presave up`: from a
fan's link page, Approve connects, Deny saves nothing, and the page passes axe at both sizes."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.timeutil import utcnow
from tests.e2e.artist_browser import accessible_at_both_sizes, csp_complaints
from tests.integration.story_helpers import ALBUM, sandbox_base, text_keyword
from tests.integration.up_helpers import Up, presave_up

pytestmark = pytest.mark.browser

PROGRAM = "Night Bloom alerts"
FANS = ("+14155550101", "+442079460123", "+81312345678")


def create_campaign(up: Up) -> None:
    release = (utcnow() + timedelta(hours=2)).isoformat(timespec="seconds")
    made = up.presave(
        "campaign", "create", "--artist", "Mira Vale", "--title", "Night Bloom",
        "--keyword", "BLOOM", "--release-at", release, "--timezone", "UTC",
        "--spotify-album-id", ALBUM, "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["slug"]


def to_consent(page: Any, up: Up, link: str) -> None:
    """From the fan's link page to the sandbox's consent page."""
    page.goto(link)
    page.get_by_role("link", name="Pre-save on Spotify").click()
    page.wait_for_url(re.compile(rf"^{re.escape(sandbox_base(up))}/accounts/authorize\?"))


def test_approve_deny_and_outsider_from_link_pages(
    tmp_path: Path, redis_url: str, page: Any
) -> None:
    csp_errors = csp_complaints(page)
    with presave_up(tmp_path, REDIS_URL=redis_url, PROGRAM_NAME=PROGRAM) as up:
        up.wait_for("presave is up")
        create_campaign(up)
        links = [text_keyword(up, phone, "BLOOM") for phone in FANS]

        to_consent(page, up, links[0])
        heading = page.get_by_role("heading", level=1).inner_text()
        assert PROGRAM in heading, heading
        main = page.locator("main").inner_text()
        assert "Add and remove items in your Library" in main, main
        assert "Signed in as fan-" in main, main
        consent_url = page.url
        accessible_at_both_sizes(page, consent_url)
        page.get_by_role("button", name="Approve").focus()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", "the focused button shows no outline"
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"^{re.escape(up.url)}/"))
        assert page.get_by_role("heading", level=1).inner_text() == "You're set"

        to_consent(page, up, links[1])
        page.get_by_role("button", name="Deny").click()
        page.wait_for_url(re.compile(rf"^{re.escape(up.url)}/"))
        assert page.get_by_role("heading", level=1).inner_text() == "No problem: nothing was saved"

        to_consent(page, up, links[2])
        page.get_by_role("button", name="Not on the app's allow-list (development mode)").click()
        page.wait_for_url(re.compile(rf"^{re.escape(up.url)}/"))
        shown = page.get_by_role("heading", level=1).inner_text()
        assert shown == "The artist's Spotify app can't take more fans yet"
    assert csp_errors == []
