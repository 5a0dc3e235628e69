"""The Discord simulator's test world: a sandbox, and our app served on loopback with the
sandbox's public key (its interactions URL given to the sandbox), in sandbox mode."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from core.services import discord_bindings
from core.settings import Settings
from sandbox import SANDBOX_DISCORD_APPLICATION_ID, SANDBOX_DISCORD_BOT_TOKEN
from sandbox.discord_demo import (
    DEMO_ANNOUNCEMENTS_ID,
    DEMO_GUILD_ID,
    DEMO_MODERATOR_ID,
    DEMO_PRESAVER_ROLE_ID,
)
from sandbox.discord_signing import public_key_hex
from tests.factories import make_campaign
from tests.integration.sandbox_fixtures import Running, start
from web import create_app

FAN = "1300000000000000102"  # luna_petal, no roles
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    """A sandbox, our app served on loopback (its interactions URL given to the sandbox),
    and a test client of the same app for the console."""

    sandbox: Running
    server: BaseWSGIServer
    client: FlaskClient
    settings: Settings

    def interact(self, body: dict[str, Any], status: int = 200) -> Any:
        answer = self.sandbox.http.post(f"{self.sandbox.base}/_sandbox/discord/interact", json=body)
        assert answer.status_code == status, answer.text
        return answer.json()

    def console(self, **form: str) -> tuple[int, str]:
        page = self.client.get("/sandbox/discord").get_data(as_text=True)
        found = CSRF.search(page)
        assert found, "the form carries a CSRF token"
        answer = self.client.post("/sandbox/discord", data={"csrf_token": found[1], **form})
        return answer.status_code, answer.get_data(as_text=True)


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    sandbox = start()
    sandboxed = settings.with_overrides(
        discord_public_key=public_key_hex(),
        discord_api_base=f"{sandbox.base}/discord/api/v10",
        discord_bot_token=SANDBOX_DISCORD_BOT_TOKEN,
        discord_application_id=SANDBOX_DISCORD_APPLICATION_ID,
        sandboxed=("discord", "spotify", "twilio"),
        sandbox_url=sandbox.base,
    )
    app = create_app(sandboxed)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.port}/webhooks/discord/interactions"
    sandbox.configure(discord_interactions_url=url)
    yield World(sandbox, server, app.test_client(), sandboxed)
    server.shutdown()
    sandbox.http.close()
    sandbox.server.shutdown()


def bound_to_demo(db: Session, keyword: str = "BLOOM") -> Any:
    campaign = make_campaign(db, keyword)
    discord_bindings.allow(db, campaign, DEMO_GUILD_ID)
    discord_bindings.bind(
        db, campaign.slug, DEMO_GUILD_ID, DEMO_ANNOUNCEMENTS_ID, DEMO_PRESAVER_ROLE_ID,
        DEMO_MODERATOR_ID,
    )  # fmt: skip
    db.commit()
    return campaign
