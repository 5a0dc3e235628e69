"""POST /webhooks/discord/interactions: slash commands received over HTTP, signature checked."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, jsonify, request

from bot import discord_http
from core.db import connection_transaction
from core.services import discord_interactions
from core.settings import Settings
from core.timeutil import utcnow

bp = Blueprint("discord", __name__)
MAX_REQUEST_BYTES = 64 * 1024


def _settings() -> Settings:
    settings: Settings = current_app.config["PRESAVE_SETTINGS"]
    return settings


def _refused(reason: str, status: int = 401) -> Response:
    return Response(reason + "\n", status=status, mimetype="text/plain")


def _verified_body(settings: Settings) -> bytes:
    """The raw body, once Discord's Ed25519 signature over timestamp + body checks out."""
    if (request.content_length or 0) > MAX_REQUEST_BYTES:
        abort(413)
    request.max_content_length = MAX_REQUEST_BYTES
    body = request.get_data()
    signature = request.headers.get("X-Signature-Ed25519", "")
    timestamp = request.headers.get("X-Signature-Timestamp", "")
    assert settings.discord_public_key is not None
    if not discord_http.verify(settings.discord_public_key, signature, timestamp, body):
        abort(_refused("invalid request signature"))
    return body


def _payload(body: bytes) -> dict[str, object]:
    try:
        payload = json.loads(body)
    except ValueError:
        abort(_refused("body is not JSON", 400))
    except RecursionError:
        abort(_refused("body is nested too deep", 400))
    problem = discord_http.problem(payload)
    if problem:
        abort(_refused(problem, 400))
    assert isinstance(payload, dict)
    return payload


@bp.post("/webhooks/discord/interactions")
def interactions() -> Response:
    """Check the signature and freshness, then answer the interaction."""
    settings = _settings()
    if not settings.discord_public_key:
        return _refused("DISCORD_PUBLIC_KEY is not set", 503)
    payload = _payload(_verified_body(settings))
    signed = discord_http.signed_at(request.headers.get("X-Signature-Timestamp", ""))
    if signed is None:
        return _refused("X-Signature-Timestamp is not a Unix time")
    with connection_transaction(settings.database_url) as connection:
        refused = discord_interactions.accept(connection, str(payload["id"]), signed, utcnow())
    if refused:
        return _refused(refused)
    return jsonify(discord_http.answer(settings, payload))
