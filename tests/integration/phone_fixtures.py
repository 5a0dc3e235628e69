"""The phone simulator's world: a sandbox on 127.0.0.1:0 and our app served on another
loopback port (the sandbox posts the fan's texts to its real, signed SMS webhook)."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

from core.settings import Settings
from sandbox import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN
from sandbox.config import SANDBOX_TWILIO_NUMBER
from tests.integration.sandbox_fixtures import Running, start
from web import create_app

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FAN = "+12125550101"  # the New York ready number


@dataclass
class PhoneWorld:
    """The sandbox, our app served on loopback, and a test client of that same app."""

    sandbox: Running
    app: Flask
    client: FlaskClient
    server: BaseWSGIServer

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def token(self, number: str = FAN) -> str:
        """The CSRF token of the phone page's text form, for this client's session."""
        page = self.client.get("/sandbox/phone", query_string={"number": number})
        found = CSRF_RE.search(page.get_data(as_text=True))
        assert found is not None, page.get_data(as_text=True)
        return html.unescape(found.group(1))

    def text(self, body: str, number: str = FAN, **headers: str) -> Any:
        """POST the phone's text form as the page's user would."""
        form = {"csrf_token": self.token(), "number": number, "text": body}
        return self.client.post("/sandbox/phone/text", data=form, headers=headers)

    def thread(self, number: str = FAN) -> Any:
        """The thread.json answer."""
        return self.client.get("/sandbox/phone/thread.json", query_string={"number": number})

    def stored_messages(self) -> int:
        return int(self.sandbox.admin("stats")["stored"]["messages"])


def sandboxed_settings(settings: Settings, sandbox_base: str, public_url: str) -> Settings:
    """`settings` as `presave up` would make them: Twilio is the sandbox at `sandbox_base`."""
    return settings.with_overrides(
        sandboxed=("spotify", "twilio", "discord"),
        sandbox_url=sandbox_base,
        public_url=public_url,
        twilio_account_sid=SANDBOX_ACCOUNT_SID,
        twilio_auth_token=SANDBOX_AUTH_TOKEN,
        twilio_from_number=SANDBOX_TWILIO_NUMBER,
        twilio_api_base=f"{sandbox_base}/twilio",
    )


@pytest.fixture
def phone_world(settings: Settings) -> Iterator[PhoneWorld]:
    """A sandbox and our app, both on 127.0.0.1, stopped after the test."""
    sandbox = start()
    apps: list[Flask] = []
    server = make_server("127.0.0.1", 0, lambda env, reply: apps[0](env, reply), threaded=True)
    public_url = f"http://127.0.0.1:{server.port}"
    app = create_app(sandboxed_settings(settings, sandbox.base, public_url))
    apps.append(app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield PhoneWorld(sandbox, app, app.test_client(), server)
    finally:
        server.shutdown()
        sandbox.http.close()
        sandbox.server.shutdown()
