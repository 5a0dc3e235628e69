"""In real headless Chromium: the API tokens page (an owner makes a token, sees it once,
revokes it) and the API's docs page pass axe at phone and desktop sizes, with no CSP
complaint and no sideways scrolling."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.db import transaction
from core.services import accounts
from core.settings import Settings
from tests.e2e.artist_browser import (
    SIZES,
    accessible_at_both_sizes,
    csp_complaints,
    fits,
    no_axe_violations,
    set_password_from_link,
)
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_tokens_and_docs_pages_are_accessible(
    settings: Settings, live_server: LiveServer, page: Any
) -> None:
    from web import create_app

    live_server.bind(create_app(settings.with_overrides(public_url=live_server.base_url)))
    with transaction(settings.database_url) as session:
        _, raw = accounts.create_user(session, "mira@label.example", "Mira Vale crew")
    csp_errors = csp_complaints(page)
    base = live_server.base_url
    set_password_from_link(page, f"{base}/app/sign-in/{raw}", f"{base}/app/campaigns")

    accessible_at_both_sizes(page, f"{base}/app/team/tokens")
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("Scope").select_option("write")
    page.get_by_role("button", name="Make a token").click()
    token = page.get_by_label("New API token").input_value()
    assert re.fullmatch(r"psv_[A-Za-z0-9_-]{43}", token)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        no_axe_violations(page)
        fits(page)
    page.get_by_role("button", name="Revoke CRM sync").click()
    page.wait_for_url(f"{base}/app/team/tokens")
    assert "Revoked CRM sync" in page.locator("[role=status]").first.inner_text()
    assert token not in page.content()

    accessible_at_both_sizes(page, f"{base}/api/v1/docs")
    assert "/api/v1/campaigns/{campaign_id}/messages" in page.content()
    assert csp_errors == [] and live_server.outside_requests == []
