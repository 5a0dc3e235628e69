"""One typed settings object, read from the environment (and `.env`) once."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from dotenv import dotenv_values

from core import env_values as read
from core.env_values import SettingsError as SettingsError

DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"
SECRET_FILES = {"SECRET_KEY": "secret_key", "TOKEN_ENCRYPTION_KEY": "token_encryption_key"}
PROVIDERS = ("spotify", "twilio", "discord")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# What a sandboxed provider does not do, for the notice on every fan page.
NOT_REAL = {"twilio": "texts", "discord": "Discord messages", "spotify": "Spotify saves"}


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one running service."""

    env: str = "development"
    instance_path: Path = field(default_factory=lambda: Path.cwd() / "instance")
    database_url: str = ""
    redis_url: str | None = None
    public_url: str = DEFAULT_PUBLIC_URL
    secret_key: str = ""
    token_encryption_keys: tuple[str, ...] = ()
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_mps: float = 1.0
    twilio_mps_override: float | None = None  # TWILIO_MPS when set: beats the sender's kind
    twilio_api_base: str = "https://api.twilio.com"
    twilio_opt_out_handled_by_twilio: bool = False
    spotify_client_id: str | None = None
    spotify_client_secret: str | None = None
    spotify_redirect_uri: str = ""
    spotify_api_base: str = "https://api.spotify.com/v1"
    spotify_accounts_base: str = "https://accounts.spotify.com"
    spotify_max_rps: float = 20.0
    # development: only the allow-listed fans (SPOTIFY_ALLOWED_USERS) are saved for, every
    # other fan is alerted on drop day with the release link; extended: no cap.
    spotify_quota_mode: str = "development"
    spotify_allowed_users: tuple[str, ...] = ()
    discord_bot_token: str | None = None
    discord_application_id: str | None = None
    discord_public_key: str | None = None
    discord_api_base: str = "https://discord.com/api/v10"
    discord_max_rps: float = 50.0
    program_name: str = "Presave alerts"
    program_contact: str = ""
    fanout_threads: int = 32
    claim_lease_seconds: float = 120.0
    sending_lease_seconds: float = 300.0
    retry_backoff_seconds: float = 15.0
    # Reverse proxies in front of the web app that append X-Forwarded-For (Heroku's router:
    # 1). 0 trusts no such header: the peer address is the client's.
    trusted_proxies: int = 0
    # Providers `presave up` pointed at its local stand-ins (PRESAVE_SANDBOX), and where.
    sandboxed: tuple[str, ...] = ()
    sandbox_url: str | None = None
    # Outgoing mail (password reset links); without SMTP_URL the server sends no mail.
    smtp_url: str | None = field(default=None, repr=False)  # may carry a password
    mail_from: str | None = None

    @property
    def is_production(self) -> bool:
        """True when running with PRESAVE_ENV=production."""
        return self.env == "production"

    def needs_sandbox(self) -> tuple[str, ...]:
        """Providers without real credentials: unset, or pointed at a loopback address."""
        real = {
            "spotify": bool(self.spotify_client_id)
            and not is_loopback_url(self.spotify_accounts_base)
            and not is_loopback_url(self.spotify_api_base),
            "twilio": bool(self.twilio_account_sid and self.twilio_auth_token)
            and not is_loopback_url(self.twilio_api_base),
            "discord": bool(self.discord_bot_token) and not is_loopback_url(self.discord_api_base),
        }
        return tuple(name for name in PROVIDERS if not real[name])

    @property
    def gateway_bot(self) -> bool:
        """True when the Discord gateway bot can run: a token for the real Discord (no
        stand-in emulates the gateway)."""
        return bool(self.discord_bot_token) and not is_loopback_url(self.discord_api_base)

    @property
    def sandbox_notice(self) -> str | None:
        """The notice every fan page shows in sandbox mode, naming what is not real."""
        if not self.sandboxed:
            return None
        words = [
            NOT_REAL[name] for name in ("twilio", "discord", "spotify") if name in self.sandboxed
        ]
        shown = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
        return f"Sandbox mode: no real {shown}"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields replaced (tests, CLI flags)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def is_loopback_url(url: str) -> bool:
    """True for an http(s) URL on 127.0.0.1, localhost or ::1."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname in LOOPBACK_HOSTS


def _providers(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = read.text(env, name) or ""
    names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    wrong = [n for n in names if n not in PROVIDERS]
    if wrong:
        raise SettingsError(f"{name}: expected some of {', '.join(PROVIDERS)}, got {wrong[0]!r}")
    return names


def _sandbox_url(env: Mapping[str, str]) -> str | None:
    if read.text(env, "PRESAVE_SANDBOX_URL") is None:
        return None
    url = read.url(env, "PRESAVE_SANDBOX_URL", "")
    if not is_loopback_url(url):
        raise SettingsError(f"PRESAVE_SANDBOX_URL: expected a loopback URL, got {url!r}")
    return url


def _instance_secret(instance: Path, name: str) -> str:
    """Read the generated secret for `name`, creating it once (mode 0600).

    The file appears with its content already in it (written aside, then hard-linked into
    place), so a second process starting at the same moment never reads it half-written.
    """
    path = instance / SECRET_FILES[name]
    instance.mkdir(parents=True, exist_ok=True)
    value = Fernet.generate_key().decode()
    fd, aside = tempfile.mkstemp(dir=instance, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:  # mkstemp creates it with mode 0600
            handle.write(value + "\n")
        os.link(aside, path)
    except FileExistsError:
        stored = path.read_text().strip()
        if stored:
            return stored
        raise SettingsError(
            f"{name}: {path} exists but is empty; delete it to regenerate"
        ) from None
    finally:
        os.unlink(aside)
    return value


def load_settings(
    environ: Mapping[str, str] | None = None, *, dotenv_path: Path | None = None
) -> Settings:
    """Build Settings from the environment, with `.env` values where the env is silent."""
    env: dict[str, str] = {}
    dotenv_file = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    if dotenv_file.is_file():
        env.update({k: v for k, v in dotenv_values(dotenv_file).items() if v is not None})
    env.update(os.environ if environ is None else environ)

    mode = (read.text(env, "PRESAVE_ENV") or "development").lower()
    if mode not in ("development", "production", "test"):
        raise SettingsError(f"PRESAVE_ENV: expected development, production or test, got {mode!r}")
    instance = Path(read.text(env, "INSTANCE_PATH") or Path.cwd() / "instance").resolve()

    missing = [name for name in SECRET_FILES if not read.text(env, name)]
    if missing and mode == "production":
        raise SettingsError("production needs real secrets; missing: " + ", ".join(missing))
    secret_key = read.text(env, "SECRET_KEY") or _instance_secret(instance, "SECRET_KEY")
    key_text = read.text(env, "TOKEN_ENCRYPTION_KEY") or _instance_secret(
        instance, "TOKEN_ENCRYPTION_KEY"
    )
    public_url = read.url(env, "PUBLIC_URL", DEFAULT_PUBLIC_URL)
    database_url = read.text(env, "DATABASE_URL") or f"sqlite:///{instance / 'presave.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    smtp = read.smtp_url(env, "SMTP_URL")
    mail_from = read.mail_address(env, "MAIL_FROM")
    if smtp and not mail_from:
        raise SettingsError("MAIL_FROM: required when SMTP_URL is set (the sender's address)")

    return Settings(
        env=mode,
        instance_path=instance,
        database_url=database_url,
        redis_url=read.text(env, "REDIS_URL"),
        public_url=public_url,
        secret_key=secret_key,
        token_encryption_keys=read.fernet_keys(key_text, "TOKEN_ENCRYPTION_KEY"),
        twilio_account_sid=read.text(env, "TWILIO_ACCOUNT_SID"),
        twilio_auth_token=read.text(env, "TWILIO_AUTH_TOKEN"),
        twilio_from_number=read.text(env, "TWILIO_FROM_NUMBER"),
        twilio_messaging_service_sid=read.text(env, "TWILIO_MESSAGING_SERVICE_SID"),
        twilio_mps=read.positive(env, "TWILIO_MPS", 1.0),
        twilio_mps_override=(
            read.positive(env, "TWILIO_MPS", 1.0) if read.text(env, "TWILIO_MPS") else None
        ),
        twilio_api_base=read.url(env, "TWILIO_API_BASE", "https://api.twilio.com"),
        twilio_opt_out_handled_by_twilio=read.boolean(
            env, "TWILIO_OPT_OUT_HANDLED_BY_TWILIO", False
        ),
        spotify_client_id=read.text(env, "SPOTIFY_CLIENT_ID"),
        spotify_client_secret=read.text(env, "SPOTIFY_CLIENT_SECRET"),
        spotify_redirect_uri=read.url(
            env, "SPOTIFY_REDIRECT_URI", f"{public_url}/oauth/spotify/callback"
        ),
        spotify_api_base=read.url(env, "SPOTIFY_API_BASE", "https://api.spotify.com/v1"),
        spotify_accounts_base=read.url(
            env, "SPOTIFY_ACCOUNTS_BASE", "https://accounts.spotify.com"
        ),
        spotify_max_rps=read.positive(env, "SPOTIFY_MAX_RPS", 20.0),
        spotify_quota_mode=read.quota_mode(env, "SPOTIFY_QUOTA_MODE"),
        spotify_allowed_users=read.allowed_users(env, "SPOTIFY_ALLOWED_USERS"),
        discord_bot_token=read.text(env, "DISCORD_BOT_TOKEN"),
        discord_application_id=read.snowflake(env, "DISCORD_APPLICATION_ID"),
        discord_public_key=read.hex_key(env, "DISCORD_PUBLIC_KEY"),
        discord_api_base=read.url(env, "DISCORD_API_BASE", "https://discord.com/api/v10"),
        discord_max_rps=read.positive(env, "DISCORD_MAX_RPS", 50.0),
        program_name=read.text(env, "PROGRAM_NAME") or "Presave alerts",
        program_contact=read.text(env, "PROGRAM_CONTACT") or f"{public_url}/help",
        fanout_threads=int(read.positive(env, "PRESAVE_FANOUT_THREADS", 32)),
        claim_lease_seconds=read.positive(env, "PRESAVE_CLAIM_LEASE_SECONDS", 120.0),
        sending_lease_seconds=read.positive(env, "PRESAVE_SENDING_LEASE_SECONDS", 300.0),
        retry_backoff_seconds=read.positive(env, "PRESAVE_RETRY_BACKOFF_SECONDS", 15.0),
        trusted_proxies=read.count(env, "TRUSTED_PROXIES", 0, 5),
        sandboxed=_providers(env, "PRESAVE_SANDBOX"),
        sandbox_url=_sandbox_url(env),
        smtp_url=smtp,
        mail_from=mail_from,
    )
