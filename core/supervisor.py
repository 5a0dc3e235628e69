"""`presave up`: every role as a child process in the foreground. A role that dies is
started again with backoff (the others keep running); Ctrl-C or SIGTERM stops them all."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType

from dotenv import dotenv_values

from core.redis_conn import die_with_parent, ensure_redis, env_with_redis
from core.settings import Settings, is_loopback_url

STOP_GRACE_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
HEALTHY_AFTER_SECONDS = 60.0  # a role that ran this long starts again from the first backoff
SANDBOX_READY_SECONDS = 15.0
SANDBOX_FILE = "sandbox.json"
NAMES = {"spotify": "Spotify", "twilio": "Twilio", "discord": "Discord"}

# (sandbox base URL, providers) -> the variables pointing those providers at it.
SandboxEnv = Callable[[str, tuple[str, ...]], dict[str, str]]
# Access lines with personal link codes and OAuth code/state redacted (web/access_log.py).
ACCESS_LOGGER = "web.access_log.RedactingLogger"


def gunicorn_argv(port: int, workers: int = 2) -> list[str]:
    """The command line of the web role."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}" if port else "127.0.0.1:0",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--graceful-timeout",
        "5",
        "--access-logfile",
        "-",
        "--logger-class",
        ACCESS_LOGGER,
        "web:create_app()",
    ]


def _role(name: str) -> list[str]:
    return [sys.executable, "-m", "cli", name]


def _say(line: str) -> None:
    print(f"presave up: {line}", file=sys.stderr, flush=True)


@dataclass
class Role:
    """One child process and what it takes to start it again."""

    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Starts children, restarts the ones that die, and stops them all on a signal."""

    env: dict[str, str]
    roles: dict[str, Role] = field(default_factory=dict)
    stopping: bool = False

    def spawn(self, name: str, argv: list[str]) -> None:
        """Start one role (again)."""
        role = self.roles.setdefault(name, Role(name, argv))
        role.process = subprocess.Popen(
            role.argv, env=self.env, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent
        )
        role.started, role.restart_at = time.monotonic(), None

    def request_stop(self, signum: int, _frame: FrameType | None) -> None:
        """Signal handler: stop on the next loop turn."""
        self.stopping = True

    def tend(self) -> None:
        """Notice roles that exited and start them again once their backoff is over."""
        now = time.monotonic()
        for role in self.roles.values():
            if role.restart_at is not None:
                if now >= role.restart_at and not self.stopping:
                    _say(f"starting {role.name} again")
                    self.spawn(role.name, role.argv)
                continue
            code = role.process.poll() if role.process is not None else None
            if code is None:
                continue
            if now - role.started >= HEALTHY_AFTER_SECONDS:
                role.failures = 0
            delay = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**role.failures)
            role.failures += 1
            role.restart_at = now + delay
            at = datetime.now().astimezone().strftime("%H:%M:%S")
            _say(f"{role.name} exited with code {code} at {at}; starting it again in {delay:.0f}s")

    def stop_all(self) -> None:
        """SIGTERM every child, then SIGKILL what is left after the grace period."""
        children = [r.process for r in self.roles.values() if r.process is not None]
        for child in children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, supervisor: Supervisor) -> bool:
    deadline = time.monotonic() + SANDBOX_READY_SECONDS
    while time.monotonic() < deadline and not supervisor.stopping:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return True
        time.sleep(0.1)
    return False


def sandbox_file(settings: Settings) -> Path:
    """Where a running `presave up` says where its sandbox is (for `presave sandbox`)."""
    return settings.instance_path / SANDBOX_FILE


def _configured(name: str, env: dict[str, str]) -> bool:
    """Whether the operator set `name` (environment or `.env`)."""
    return bool(env.get(name) or dotenv_values(Path.cwd() / ".env").get(name))


def _start_sandbox(
    settings: Settings, supervisor: Supervisor, providers: tuple[str, ...], wiring: SandboxEnv
) -> str:
    """The sandbox role on a free loopback port; the environment of the others points
    `providers` at it. Returns its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "sandbox", "--port", str(port)]
    argv += ["--app-name", settings.program_name]  # named on the Spotify consent page
    sms_url = f"{settings.public_url}/webhooks/twilio/sms"
    if is_loopback_url(sms_url):
        argv += ["--sms-url", sms_url]
    interactions_url = f"{settings.public_url}/webhooks/discord/interactions"
    if "discord" in providers and is_loopback_url(interactions_url):
        argv += ["--interactions-url", interactions_url]
    supervisor.spawn("sandbox", argv)
    if not _wait_listening(port, supervisor):
        _say(f"the sandbox is not answering on {base} yet")
    supervisor.env |= wiring(base, providers)
    supervisor.env |= {"PRESAVE_SANDBOX": ",".join(providers), "PRESAVE_SANDBOX_URL": base}
    if "spotify" in providers and not _configured("SPOTIFY_QUOTA_MODE", supervisor.env):
        # The stand-in has no user cap: let every sandbox fan connect unless asked otherwise.
        supervisor.env["SPOTIFY_QUOTA_MODE"] = "extended"
        print("  Spotify stand-in: SPOTIFY_QUOTA_MODE=extended (set development to try "
              "alert-first)", flush=True)  # fmt: skip
    path = sandbox_file(settings)
    path.write_text(json.dumps({"url": base, "providers": list(providers), "pid": os.getpid()}))
    shown = [NAMES[p] for p in providers]
    names = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    print(f"sandbox: {names} go to the local stand-ins at {base}", flush=True)
    print("  (no real texts, Discord messages or Spotify saves for those)", flush=True)
    if "twilio" in providers:
        print('  text a keyword: presave sandbox text +14155550101 "KEYWORD"', flush=True)
        if not is_loopback_url(sms_url):
            print(f"  (texts cannot reach {sms_url}: PUBLIC_URL is not on loopback)", flush=True)
    if "discord" in providers:
        print(f"  Discord slash commands as a demo member: {settings.public_url}/sandbox/discord",
              flush=True)  # fmt: skip
    real = [NAMES[p] for p in NAMES if p not in providers]
    if real:
        print(f"  real: {', '.join(real)} (credentials set)", flush=True)
    return base


def _seed_demo(settings: Settings, sandbox_url: str, local_url: str) -> list[str]:
    """The demo campaign (first start in full sandbox mode); what to print about it."""
    from core.services import demo_seed
    from core.timeutil import utcnow

    try:
        return demo_seed.start(settings, sandbox_url, local_url, utcnow())
    except Exception as exc:  # the demo is a convenience: presave up runs without it
        return [f"demo: not set up: {exc}"]


def run_all(
    settings: Settings,
    *,
    port: int,
    migrate: Callable[[str], None],
    sandbox: SandboxEnv | None = None,
    demo: bool = True,
) -> int:
    """Migrate (`migrate(database_url)`, the CLI's Alembic run), start Redis if needed (and
    the sandbox for providers without real credentials), run every role until Ctrl-C or
    SIGTERM. With the sandbox for every provider, `demo` seeds the demo campaign."""
    migrate(settings.database_url)
    redis_url, embedded = ensure_redis(settings.redis_url, settings.instance_path)
    supervisor = Supervisor(env=env_with_redis(redis_url))
    previous = {
        sig: signal.signal(sig, supervisor.request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    local_url = f"http://127.0.0.1:{port}"
    providers = settings.needs_sandbox()
    started_sandbox = bool(providers) and sandbox is not None and not settings.is_production
    demo_lines: list[str] = []
    try:
        if started_sandbox:
            assert sandbox is not None
            base = _start_sandbox(settings, supervisor, providers, sandbox)
            demo_lines = _seed_demo(settings, base, local_url) if demo else []
        supervisor.spawn("web", gunicorn_argv(port))
        supervisor.spawn("worker", _role("worker"))
        supervisor.spawn("clock", _role("clock"))
        if settings.gateway_bot:
            supervisor.spawn("bot", _role("bot"))
        elif settings.discord_bot_token:
            print("Discord: no gateway bot (the stand-in has no gateway); HTTP interactions only")
        announced = False
        while not supervisor.stopping:
            supervisor.tend()
            if not announced and _healthy(local_url):
                print(f"presave is up: {local_url}  (public URL {settings.public_url})", flush=True)
                for line in demo_lines:
                    print(line, flush=True)
                print("Press Ctrl-C to stop.", flush=True)
                announced = True
            time.sleep(0.2)
    finally:
        supervisor.stop_all()
        if started_sandbox:
            sandbox_file(settings).unlink(missing_ok=True)
        if embedded is not None:
            embedded.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
