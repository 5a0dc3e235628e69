"""GET /healthz: 200 when database and Redis answer, 503 naming what is down."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from core import health, runtime
from core.redis_conn import RedisStartError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Report the state of each dependency."""
    settings = current_app.config["PRESAVE_SETTINGS"]
    try:
        redis_url: str | None = runtime.redis_url(settings)
    except RedisStartError:
        redis_url = None
    state = health.check(settings.database_url, redis_url)
    response = jsonify(state.as_dict())
    response.status_code = 200 if state.ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
