"""A running sandbox and settings wired to it as `presave up` wires them (every provider
the stand-in), for the demo seed and the sandbox clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli import migrate
from core.db import dispose_all
from core.settings import PROVIDERS, Settings, load_settings
from core.timeutil import utcnow
from sandbox.wiring import provider_env
from tests.conftest import base_env
from tests.integration.sandbox_fixtures import Running, start

LOCAL = "http://127.0.0.1:5000"
# A fixed first start, for what does not depend on the sandbox's clock.
STARTED = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


@dataclass
class Demo:
    """The sandbox and the settings pointed at it."""

    running: Running
    settings: Settings
    started: datetime  # now, when the test began: the sandbox's clock was set to it


@pytest.fixture
def demo(instance: Path, redis_url: str) -> Iterator[Demo]:
    """A fresh sandbox (its clock set to now) and migrated SQLite settings in full sandbox
    mode."""
    running = start()
    started = utcnow().replace(microsecond=0)
    running.admin("clock", {"now": started.isoformat()})
    env = base_env(
        instance, REDIS_URL=redis_url, PUBLIC_URL=LOCAL, **provider_env(running.base, PROVIDERS),
        PRESAVE_SANDBOX=",".join(PROVIDERS), PRESAVE_SANDBOX_URL=running.base,
    )  # fmt: skip
    settings = load_settings(env, dotenv_path=instance / "no.env")
    migrate.upgrade(settings.database_url)
    yield Demo(running, settings, started)
    dispose_all()
    running.http.close()
    running.server.shutdown()
