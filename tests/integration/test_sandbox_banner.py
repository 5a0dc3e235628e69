"""Every fan page says so when the service runs on the sandbox."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.settings import Settings
from tests.factories import make_campaign
from web import create_app

NOTICE = "Sandbox mode: no real texts, Discord messages or Spotify saves"


def test_fan_pages_carry_the_sandbox_banner_only_in_sandbox_mode(
    settings: Settings, db: Session
) -> None:
    campaign = make_campaign(db)
    sandboxed = create_app(settings.with_overrides(sandboxed=("spotify", "twilio", "discord")))
    for path in (f"/c/{campaign.slug}", "/p/not-a-code"):
        page = sandboxed.test_client().get(path).get_data(as_text=True)
        assert NOTICE in page, path
    real = create_app(settings).test_client().get(f"/c/{campaign.slug}")
    assert real.status_code == 200
    assert "Sandbox mode" not in real.get_data(as_text=True)
