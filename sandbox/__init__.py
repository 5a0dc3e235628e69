"""Local stand-ins of Spotify (accounts + Web API), Twilio (Messages) and Discord (REST),
loopback only."""

from sandbox.config import (
    SANDBOX_ACCOUNT_SID,
    SANDBOX_AUTH_TOKEN,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_DISCORD_APPLICATION_ID,
    SANDBOX_DISCORD_BOT_TOKEN,
    SANDBOX_DISCORD_BOT_USER_ID,
    SandboxConfig,
)
from sandbox.server import Sandbox, SandboxServer, make_app, serve

__all__ = [
    "SANDBOX_ACCOUNT_SID",
    "SANDBOX_AUTH_TOKEN",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_DISCORD_APPLICATION_ID",
    "SANDBOX_DISCORD_BOT_TOKEN",
    "SANDBOX_DISCORD_BOT_USER_ID",
    "Sandbox",
    "SandboxConfig",
    "SandboxServer",
    "make_app",
    "serve",
]
