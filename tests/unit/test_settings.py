"""Settings: environment, .env, generated development secrets, production refusal."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from core.settings import SettingsError, load_settings
from tests.conftest import base_env


def load(instance: Path, **env: str):  # type: ignore[no-untyped-def]
    return load_settings(base_env(instance, **env), dotenv_path=instance / "absent.env")


def test_development_generates_secrets_once_and_reuses_them(instance: Path) -> None:
    first = load(instance)
    second = load(instance)
    assert first.secret_key and first.secret_key == second.secret_key
    assert first.token_encryption_keys == second.token_encryption_keys
    Fernet(first.token_encryption_keys[0].encode())  # a usable key
    for name in ("secret_key", "token_encryption_key"):
        mode = stat.S_IMODE((instance / name).stat().st_mode)
        assert mode == 0o600, name


def _secret_of_a_new_process(instance: str) -> str:
    secret: str = load(Path(instance)).secret_key
    return secret


def test_processes_starting_together_share_one_secret(tmp_path: Path) -> None:
    """Two gunicorn workers booting at once could read the secret file before it was written."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        instance = tmp_path / f"race{attempt}"
        with context.Pool(6) as pool:
            secrets = pool.map(_secret_of_a_new_process, [str(instance)] * 24)
        assert len(set(secrets)) == 1, secrets
        assert [p.name for p in instance.iterdir() if p.name.startswith(".")] == []


def test_explicit_secrets_win_and_nothing_is_written(instance: Path) -> None:
    key = Fernet.generate_key().decode()
    settings = load(instance, SECRET_KEY="s3cret", TOKEN_ENCRYPTION_KEY=key)
    assert settings.secret_key == "s3cret"
    assert settings.token_encryption_keys == (key,)
    assert not (instance / "secret_key").exists()


def test_production_refuses_to_start_without_secrets_naming_them(instance: Path) -> None:
    with pytest.raises(SettingsError) as both:
        load(instance, PRESAVE_ENV="production")
    assert "SECRET_KEY" in str(both.value) and "TOKEN_ENCRYPTION_KEY" in str(both.value)
    with pytest.raises(SettingsError) as one:
        load(instance, PRESAVE_ENV="production", SECRET_KEY="x")
    assert "TOKEN_ENCRYPTION_KEY" in str(one.value) and "SECRET_KEY," not in str(one.value)
    assert not (instance / "secret_key").exists()


def test_production_starts_with_real_secrets(instance: Path) -> None:
    key = Fernet.generate_key().decode()
    settings = load(
        instance, PRESAVE_ENV="production", SECRET_KEY="x" * 40, TOKEN_ENCRYPTION_KEY=key
    )
    assert settings.is_production


def test_key_rotation_list_newest_first(instance: Path) -> None:
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = load(instance, TOKEN_ENCRYPTION_KEY=f" {new} , {old} ")
    assert settings.token_encryption_keys == (new, old)


def test_malformed_encryption_key_is_named(instance: Path) -> None:
    good = Fernet.generate_key().decode()
    with pytest.raises(SettingsError, match=r"TOKEN_ENCRYPTION_KEY: key 2 is not a Fernet key"):
        load(instance, TOKEN_ENCRYPTION_KEY=f"{good},not-a-key")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TWILIO_MPS", "fast"),
        ("TWILIO_MPS", "0"),
        ("SPOTIFY_MAX_RPS", "-3"),
        ("TWILIO_OPT_OUT_HANDLED_BY_TWILIO", "maybe"),
        ("PUBLIC_URL", "example.com"),
        ("SPOTIFY_API_BASE", "ftp://x"),
        ("PRESAVE_ENV", "staging"),
        ("TRUSTED_PROXIES", "one"),
        ("TRUSTED_PROXIES", "-1"),
        ("TRUSTED_PROXIES", "9"),
    ],
)
def test_malformed_values_are_refused_by_name(instance: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"^{name}:"):
        load(instance, **{name: value})


def test_dotenv_is_read_and_the_environment_wins(instance: Path, tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "PROGRAM_NAME=Mira Vale Alerts\nPROGRAM_CONTACT=team@mira.test\nTWILIO_MPS=3\n"
    )
    settings = load_settings(base_env(instance, TWILIO_MPS="10"), dotenv_path=dotenv)
    assert settings.program_name == "Mira Vale Alerts"
    assert settings.program_contact == "team@mira.test"
    assert settings.twilio_mps == 10.0


def test_defaults_need_no_environment(instance: Path) -> None:
    settings = load(instance)
    assert settings.database_url == f"sqlite:///{instance / 'presave.db'}"
    assert settings.redis_url is None
    assert settings.public_url == "http://127.0.0.1:5000"
    assert settings.spotify_redirect_uri == "http://127.0.0.1:5000/oauth/spotify/callback"
    assert settings.twilio_opt_out_handled_by_twilio is False
    assert settings.discord_bot_token is None


def test_heroku_style_postgres_url_uses_psycopg(instance: Path) -> None:
    settings = load(instance, DATABASE_URL="postgres://u:p@db.internal:5432/app")
    assert settings.database_url == "postgresql+psycopg://u:p@db.internal:5432/app"


def test_public_url_trailing_slash_is_dropped(instance: Path) -> None:
    settings = load(instance, PUBLIC_URL="https://fans.example.com/")
    assert settings.public_url == "https://fans.example.com"
    assert settings.spotify_redirect_uri == "https://fans.example.com/oauth/spotify/callback"


def test_trusted_proxies_default_to_none_and_are_read(instance: Path) -> None:
    assert load(instance).trusted_proxies == 0
    assert load(instance, TRUSTED_PROXIES="1").trusted_proxies == 1
