"""The Discord simulator in real headless Chromium against `presave up` (the sandbox
signs the slash commands and posts them to our interactions endpoint): a moderator binds
the release to the demo server, a fan runs /presave and gets their link, and the role the
worker gives once they connect Spotify shows up without a reload. Axe-clean at phone and
desktop sizes."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.timeutil import utcnow
from tests.e2e.artist_browser import SIZES, csp_complaints, fits, no_axe_violations
from tests.integration.story_helpers import ALBUM, connect_spotify
from tests.integration.up_helpers import Up, presave_up

pytestmark = pytest.mark.browser
DEMO_GUILD = "1300000000000000001"


def demo_campaign(up: Up) -> str:
    """Mira Vale's Night Bloom, which the demo server is allowed to bind; its slug."""
    release = (utcnow() + timedelta(days=3)).replace(microsecond=0).isoformat()
    made = up.presave(
        "campaign", "create", "--artist", "Mira Vale", "--title", "Night Bloom",
        "--keyword", "BLOOM", "--release-at", release, "--timezone", "UTC",
        "--spotify-album-id", ALBUM, "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    slug = str(json.loads(made.stdout)["slug"])
    allowed = up.presave("discord", "allow", slug, DEMO_GUILD)
    assert allowed.returncode == 0, allowed.stderr
    return slug


def run_as(page: Any, member: str, command: str, **options: str) -> Any:
    page.get_by_label(member).check()
    page.get_by_label("Command", exact=True).select_option(command)
    for name, value in options.items():
        field = page.get_by_label(re.compile(rf"^{name}\b"))
        if name == "campaign":
            field.fill(value)
        else:
            field.select_option(label=value)
    page.get_by_role("button", name="Send the command").click()
    answer = page.locator(".dsim-answer")
    answer.wait_for()
    return answer


def test_members_run_slash_commands_from_the_browser(
    tmp_path: Path, redis_url: str, page: Any
) -> None:
    from playwright.sync_api import expect  # imported here: the module loads without it

    csp_errors = csp_complaints(page)
    with presave_up(tmp_path, REDIS_URL=redis_url) as up:
        up.wait_for("presave is up")
        assert f"{up.url}/sandbox/discord" in up.log()
        slug = demo_campaign(up)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{up.url}/sandbox/discord")
            assert "Night Bloom Fans" in page.locator("h1").inner_text()
            no_axe_violations(page)
            fits(page)

        page.goto(f"{up.url}/sandbox/discord")
        answer = run_as(page, "nightowl_mod", "presave-setup", campaign=slug,
                        channel="#announcements", role="@Pre-saver")  # fmt: skip
        expect(answer).to_contain_text("Night Bloom")
        assert "Only nightowl_mod can see this" in answer.inner_text()

        answer = run_as(page, "luna_petal", "presave")
        link = answer.get_by_role("link", name="Pre-save on Spotify")
        assert link.get_attribute("href").startswith(f"{up.url}/p/")
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            no_axe_violations(page)
            fits(page)

        # Once the fan connects Spotify, the worker gives the Pre-saver role: the page polls
        # its feed and shows it without a reload.
        roles = page.locator("[data-member='1300000000000000102'] [data-part='roles']")
        assert roles.inner_text() == "none"
        connect_spotify(up, str(link.get_attribute("href")), "luna-petal")
        expect(roles).to_have_text("Pre-saver", timeout=60_000)
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{up.url}/p/**")
    assert csp_errors == []
