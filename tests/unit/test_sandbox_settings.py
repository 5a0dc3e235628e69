"""Which providers `presave up` sends to its sandbox, and the notice fan pages show."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import SettingsError, load_settings
from tests.conftest import base_env

TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t" * 32}


def load(instance: Path, **env: str):  # type: ignore[no-untyped-def]
    return load_settings(base_env(instance, **env), dotenv_path=instance / "absent.env")


def test_no_credentials_sandbox_every_provider(instance: Path) -> None:
    assert load(instance).needs_sandbox() == ("spotify", "twilio", "discord")


def test_real_credentials_turn_the_sandbox_off_for_that_provider_only(instance: Path) -> None:
    assert load(instance, **TWILIO).needs_sandbox() == ("spotify", "discord")
    spotify = load(instance, SPOTIFY_CLIENT_ID="abc", SPOTIFY_CLIENT_SECRET="def")
    assert spotify.needs_sandbox() == ("twilio", "discord")


def test_credentials_pointed_at_loopback_are_a_sandbox_and_no_gateway_bot(instance: Path) -> None:
    local = load(
        instance,
        **TWILIO,
        TWILIO_API_BASE="http://127.0.0.1:5055/twilio",
        DISCORD_BOT_TOKEN="token",
        DISCORD_API_BASE="http://127.0.0.1:5055/discord/api/v10",
    )
    assert local.needs_sandbox() == ("spotify", "twilio", "discord")
    assert not local.gateway_bot
    assert load(instance, DISCORD_BOT_TOKEN="token").gateway_bot


def test_the_notice_names_what_is_not_real(instance: Path) -> None:
    assert load(instance).sandbox_notice is None
    every = load(instance, PRESAVE_SANDBOX="spotify,twilio,discord")
    assert every.sandbox_notice == "Sandbox mode: no real texts, Discord messages or Spotify saves"
    assert load(instance, PRESAVE_SANDBOX="spotify").sandbox_notice == (
        "Sandbox mode: no real Spotify saves"
    )


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"PRESAVE_SANDBOX": "spotify,sms"}, "PRESAVE_SANDBOX: expected some of"),
        ({"PRESAVE_SANDBOX_URL": "http://example.com:5055"}, "expected a loopback URL"),
    ],
)
def test_bad_sandbox_settings_are_named(instance: Path, env: dict[str, str], problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        load(instance, **env)
