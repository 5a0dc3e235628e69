"""SMTP_URL and MAIL_FROM: optional, read as given, refused by name when malformed."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import SettingsError, load_settings
from tests.conftest import base_env


def load(instance: Path, **env: str):  # type: ignore[no-untyped-def]
    return load_settings(base_env(instance, **env), dotenv_path=instance / "absent.env")


def test_no_mail_by_default(instance: Path) -> None:
    settings = load(instance)
    assert settings.smtp_url is None and settings.mail_from is None


@pytest.mark.parametrize(
    "url",
    [
        "smtp://mailer:s3cret@smtp.example.com:587",
        "smtp+ssl://mailer:p%40ss@smtp.example.com",
        "smtp://127.0.0.1:2525",
    ],
)
def test_smtp_urls_are_taken(instance: Path, url: str) -> None:
    settings = load(instance, SMTP_URL=url, MAIL_FROM="Presave <presave@example.com>")
    assert settings.smtp_url == url and settings.mail_from == "Presave <presave@example.com>"
    assert "s3cret" not in repr(settings), "the password is not in the settings' repr"


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SMTP_URL": "http://smtp.example.com"}, "SMTP_URL: expected smtp://"),
        ({"SMTP_URL": "smtp://"}, "SMTP_URL: expected smtp://"),
        ({"SMTP_URL": "smtp://host:99999"}, "SMTP_URL: the port is not a number"),
        ({"SMTP_URL": "smtp://host:abc"}, "SMTP_URL: the port is not a number"),
        ({"SMTP_URL": "smtp://host:587/x"}, "SMTP_URL: expected smtp://"),
        ({"SMTP_URL": "smtp://user@host:587"}, "SMTP_URL: give both the user and the password"),
        ({"SMTP_URL": "smtp://host:587"}, "MAIL_FROM: required when SMTP_URL is set"),
        ({"SMTP_URL": "smtp://host", "MAIL_FROM": "nobody"}, "MAIL_FROM: expected an address"),
        ({"MAIL_FROM": "a@b.example\r\nBcc: x@y.example"}, "MAIL_FROM: expected an address"),
    ],
)
def test_malformed_mail_settings_are_named(instance: Path, env: dict[str, str], said: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load(instance, **env)
    assert str(refused.value).startswith(said), str(refused.value)
