"""Local stand-ins of Spotify (accounts + Web API) and Twilio (Messages), loopback only."""

from sandbox.config import (
    SANDBOX_ACCOUNT_SID,
    SANDBOX_AUTH_TOKEN,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SandboxConfig,
)
from sandbox.server import Sandbox, SandboxServer, make_app, serve

__all__ = [
    "SANDBOX_ACCOUNT_SID",
    "SANDBOX_AUTH_TOKEN",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "Sandbox",
    "SandboxConfig",
    "SandboxServer",
    "make_app",
    "serve",
]
