"""SPOTIFY_QUOTA_MODE and SPOTIFY_ALLOWED_USERS: defaults, and a clear error naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import SettingsError, load_settings


def loaded(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    base = {"PRESAVE_ENV": "test", "INSTANCE_PATH": str(tmp_path)}
    return load_settings(base | env, dotenv_path=tmp_path / "no.env")


def test_development_mode_is_the_default(tmp_path: Path) -> None:
    settings = loaded(tmp_path)
    assert settings.spotify_quota_mode == "development"
    assert settings.spotify_allowed_users == ()


def test_modes_and_allow_list_are_read(tmp_path: Path) -> None:
    settings = loaded(
        tmp_path,
        SPOTIFY_QUOTA_MODE=" Extended ",
        SPOTIFY_ALLOWED_USERS="+14155550101, 123456789012345678,+14155550101",
    )
    assert settings.spotify_quota_mode == "extended"
    assert settings.spotify_allowed_users == ("+14155550101", "123456789012345678")


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"SPOTIFY_QUOTA_MODE": "dev"}, "SPOTIFY_QUOTA_MODE: expected development or extended"),
        ({"SPOTIFY_ALLOWED_USERS": "fan@example.com"}, "SPOTIFY_ALLOWED_USERS: expected E.164"),
        (
            {"SPOTIFY_ALLOWED_USERS": ",".join(f"+1415555010{i}" for i in range(6))},
            "SPOTIFY_ALLOWED_USERS: Spotify's development mode allows at most 5 users, got 6",
        ),
    ],
)
def test_a_bad_value_names_the_variable(tmp_path: Path, env: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError) as caught:
        loaded(tmp_path, **env)
    assert words in str(caught.value)
