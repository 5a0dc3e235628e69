"""The sandbox phone in real headless Chromium against `presave up`: a fan texts the keyword
and our reply, with its personal link, appears without a reload; the page passes axe and
fits at phone and desktop sizes."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.timeutil import utcnow
from tests.e2e.artist_browser import SIZES, csp_complaints, fits, no_axe_violations
from tests.integration.story_helpers import ALBUM
from tests.integration.up_helpers import presave_up

pytestmark = pytest.mark.browser

FAN = "+12125550101"  # the New York ready number


def test_a_fan_texts_the_keyword_and_reads_the_reply(
    tmp_path: Path, redis_url: str, page: Any
) -> None:
    csp_errors = csp_complaints(page)
    with presave_up(tmp_path, REDIS_URL=redis_url) as up:
        up.wait_for("presave is up")
        release = (utcnow() + timedelta(days=2)).isoformat(timespec="seconds")
        made = up.presave(
            "campaign", "create", "--artist", "Mira Vale", "--title", "Night Bloom",
            "--keyword", "BLOOM", "--release-at", release, "--timezone", "UTC",
            "--spotify-album-id", ALBUM, "--json",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert json.loads(made.stdout)["slug"]

        page.goto(f"{up.url}/sandbox/phone")
        page.get_by_label("A ready number").select_option(FAN)
        page.get_by_role("button", name="Use this phone").click()
        page.wait_for_url(re.compile(r"/sandbox/phone\?number=%2B12125550101$"))
        assert "Messages with +15005550006" in page.locator("main").inner_text()

        page.evaluate("window.stillHere = true")  # gone if the page reloads
        page.get_by_label("Message", exact=True).fill("BLOOM")
        page.get_by_role("button", name="Send").click()
        reply = page.locator(".bubble-ours").first
        reply.wait_for(timeout=15_000)
        link = reply.get_by_role("link")
        assert re.fullmatch(rf"{re.escape(up.url)}/p/[\w-]+", link.get_attribute("href") or "")
        assert link.get_attribute("target") == "_blank"
        assert "BLOOM" in page.locator(".bubble-mine").inner_text()
        assert page.evaluate("window.stillHere === true")
        assert page.get_by_label("Message", exact=True).input_value() == ""

        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{up.url}/sandbox/phone?number=%2B12125550101")
            page.locator(".bubble-ours").first.wait_for()
            no_axe_violations(page)
            fits(page)
        page.goto(f"{up.url}/sandbox/phone?number=12345")
        no_axe_violations(page)
    assert csp_errors == []
