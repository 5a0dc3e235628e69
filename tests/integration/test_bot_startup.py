"""`presave bot` refuses, in one line, a token aimed at a stand-in (no gateway there)."""

from __future__ import annotations

import pytest

from core.settings import Settings
from tests.integration.cli_helpers import env, run

__all__ = ["env"]


def test_bot_aimed_at_a_stand_in_is_one_error_line(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "sandbox-discord-bot-token")
    monkeypatch.setenv("DISCORD_API_BASE", "http://127.0.0.1:9/discord/api/v10")
    code, _out, err = run(capsys, "bot")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: DISCORD_API_BASE: the real Discord's (a stand-in has no gateway for the bot)"
    ]
