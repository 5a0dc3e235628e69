"""GET /healthz: 200 with every dependency up, 503 naming the one that is down."""

from __future__ import annotations

from flask.testing import FlaskClient

from core.settings import Settings
from web import create_app


def test_healthz_up(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_redis_down(settings: Settings) -> None:
    app = create_app(settings.with_overrides(redis_url="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body is not None
    assert body["status"] == "down"
    assert body["database"] == "ok"
    assert body["redis"].startswith("down: ")


def test_healthz_database_down(settings: Settings) -> None:
    broken = settings.with_overrides(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    )
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body is not None
    assert body["database"].startswith("down: OperationalError")
    assert body["redis"] == "ok"
