"""One WSGI app for every stand-in, and a threaded loopback server to run it."""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.accounts import Accounts
from sandbox.admin import Admin
from sandbox.callbacks import StatusDispatcher
from sandbox.config import SandboxConfig
from sandbox.discord import DiscordApi
from sandbox.discord_admin import DiscordAdmin
from sandbox.discord_demo import seed_demo
from sandbox.discord_interact import DiscordInteract
from sandbox.http import (
    DISCORD_STATUS_TEXT,
    SandboxRequest,
    json_response,
    oauth_error,
    spotify_error,
    twilio_error,
)
from sandbox.httpd import LeanServer
from sandbox.spotify import WebApi
from sandbox.state import ARRIVED, SandboxState
from sandbox.twilio import TwilioApi
from sandbox.twilio_inbound import TwilioInbound

log = logging.getLogger("sandbox")

# (mount prefix, service); the unprefixed mounts let a base URL without a prefix work too.
MOUNTS = (
    ("/accounts", "accounts"),
    ("", "accounts"),
    ("", "spotify"),
    ("/twilio", "twilio"),
    ("", "twilio"),
    ("/discord", "discord"),
    ("", "discord"),
    ("", "admin"),
    ("", "discord_admin"),
    ("", "discord_interact"),
    ("", "twilio_admin"),
)
ADMIN_SERVICES = frozenset({"admin", "discord_admin", "discord_interact", "twilio_admin"})
ROUTE_CACHE = 4096
LATENCY_KNOB = {
    "spotify": "spotify_latency_ms",
    "accounts": "accounts_latency_ms",
    "twilio": "twilio_latency_ms",
    "discord": "discord_latency_ms",
}


class Sandbox:
    """The combined WSGI app: Spotify accounts + Web API, Twilio, Discord, and the admin API."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.state = SandboxState(config)
        seed_demo(self.state)
        self.dispatcher = StatusDispatcher(self.state)
        self.admin = Admin(self.state)
        self.services: dict[str, Any] = {
            "accounts": Accounts(self.state),
            "spotify": WebApi(self.state),
            "twilio": TwilioApi(self.state, self.dispatcher),
            "discord": DiscordApi(self.state),
            "admin": self.admin,
            "discord_admin": DiscordAdmin(self.state),
            "discord_interact": DiscordInteract(self.state),
            "twilio_admin": TwilioInbound(self.state, self.dispatcher),
        }
        rules = [
            Rule(prefix + path, endpoint=f"{name}.{endpoint}", methods=list(methods))
            for prefix, name in MOUNTS
            for path, endpoint, methods in self.services[name].routes
        ]
        self.url_map = Map(rules, strict_slashes=False)
        # (method, path) -> (endpoint, arguments): matching is a pure function of the two.
        self._routes: dict[tuple[str, str], tuple[Any, Mapping[str, Any]]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """WSGI entry point."""
        response = self.handle(SandboxRequest(environ))
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Route, add latency, call the service, count."""
        route = (request.method, request.path)
        matched = self._routes.get(route)
        if matched is None:
            try:
                matched = self.url_map.bind_to_environ(request.environ).match()
            except HTTPException as exc:
                return unmatched(request.path, exc.code or 404)
            if len(self._routes) >= ROUTE_CACHE:
                self._routes.clear()
            self._routes[route] = matched
        endpoint, args = matched
        service, name = str(endpoint).split(".")
        if service in ADMIN_SERVICES:
            admin: Admin = self.services[service]
            return admin.dispatch(name, request, args)
        # Rate caps count a request when it arrived, not after the added latency: that
        # stands for the network and the provider's work, and counting after it would add
        # this process's own thread scheduling to the arrival times.
        request.environ[ARRIVED] = time.monotonic()
        stats = self.state.stats
        stats.begin(service)
        status = 500
        try:
            self.state.sleep(getattr(self.state.config, LATENCY_KNOB[service]) / 1000)
            response: Response = getattr(self.services[service], f"on_{name}")(request, **args)
            status = response.status_code
            return response
        except Exception:
            log.exception("sandbox %s.%s failed", service, name)
            return unmatched(request.path, 500)
        finally:
            stats.end(service, name, status)

    def close(self) -> None:
        """Stop background work and cut short any sleeping request."""
        self.state.stopping.set()
        self.dispatcher.close()


def unmatched(path: str, code: int) -> Response:
    """A 404/405/500 in the shape of the provider the path belongs to."""
    text = {404: "Service not found", 405: "Method not allowed"}.get(code, "Server error")
    if path.startswith("/v1"):
        return spotify_error(code, text)
    if path.startswith(("/twilio", "/2010-04-01")):
        message = f"The requested resource {path} was not found" if code == 404 else text
        return twilio_error(code, 20000 + code, message)
    if path.startswith(("/discord", "/api/v")):
        message = DISCORD_STATUS_TEXT.get(code, f"{code}: Error")
        return json_response({"message": message, "code": 0}, code)
    if path.startswith(("/accounts", "/api/token", "/authorize")):
        return oauth_error("invalid_request", text, code)
    return json_response({"error": text}, code)


def make_app(config: SandboxConfig | None = None, **knobs: Any) -> Sandbox:
    """A sandbox app; knobs are SandboxConfig field names (spotify_latency_ms=100, ...)."""
    base = config or SandboxConfig()
    return Sandbox(base.changed(knobs) if knobs else base)


class SandboxServer(LeanServer):
    """The threaded loopback server running one Sandbox app."""

    app: Sandbox

    def shutdown(self) -> None:
        """Stop serving, wake sleeping requests and stop the status dispatcher."""
        self.app.state.stopping.set()
        super().shutdown()
        self.app.close()
        self.server_close()


def is_loopback(host: str) -> bool:
    """True for localhost or a loopback IP address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    host: str = "127.0.0.1", port: int = 0, config: SandboxConfig | None = None, **knobs: Any
) -> tuple[SandboxServer, threading.Thread, str]:
    """Run a sandbox in a background thread; returns (server, thread, base_url)."""
    if not is_loopback(host):
        raise ValueError(f"the sandbox only listens on loopback, not {host!r}")
    app = make_app(config, **knobs)
    server = SandboxServer(host.strip("[]"), port, app)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox", daemon=True
    )
    thread.start()
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return server, thread, f"http://{shown}:{server.port}"
