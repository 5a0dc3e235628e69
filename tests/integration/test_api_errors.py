"""Errors under /api/v1 are RFC 9457 problem+json, Flask's own included; per-token rate
limits answer 429 with Retry-After, and fail open (one warning) when Redis is down."""

from __future__ import annotations

import logging

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from core.services import api_campaigns
from tests.integration.api_helpers import ApiTeam, auth, call, is_problem
from web.api.auth import LIMITS_KEY
from web.api.ratelimit import TokenLimits


def test_flasks_own_errors_are_problems(api: FlaskClient, api_team: ApiTeam) -> None:
    assert (
        is_problem(call(api, "GET", "/api/v1/nothing-here", api_team.read), 404)["type"]
        == "about:blank"
    )
    wrong = call(api, "DELETE", "/api/v1/campaigns", api_team.write)
    is_problem(wrong, 405)
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    is_problem(call(api, "GET", "/api/v1/campaigns/99999999999", api_team.read), 404)


def test_bodies_must_be_json_objects(api: FlaskClient, api_team: ApiTeam) -> None:
    form = api.post("/api/v1/campaigns", data={"title": "x"}, headers=auth(api_team.write))
    is_problem(form, 415)
    broken = api.post(
        "/api/v1/campaigns",
        data="{not json",
        content_type="application/json",
        headers=auth(api_team.write),
    )
    is_problem(broken, 400)
    listed = call(api, "POST", "/api/v1/campaigns", api_team.write, ["a list"])
    is_problem(listed, 400)


def test_a_validation_problem_has_a_type_and_errors(api: FlaskClient, api_team: ApiTeam) -> None:
    found = is_problem(call(api, "POST", "/api/v1/campaigns", api_team.write, {}), 422)
    assert str(found["type"]).endswith("/api/v1/docs#problem-validation")
    assert found["instance"] == "/api/v1/campaigns"
    assert set(found["errors"]) == {"artist", "title", "keyword", "release_at"}


def test_a_crash_is_a_500_problem(
    app: Flask, api: FlaskClient, api_team: ApiTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(api_campaigns, "listing", broken)
    found = is_problem(call(api, "GET", "/api/v1/campaigns", api_team.read), 500)
    assert "boom" not in str(found)


def test_pages_outside_the_api_keep_their_own_errors(api: FlaskClient) -> None:
    for path in ("/app/campaigns/999999", "/no-such-page"):
        response = api.get(path)
        assert response.status_code in (302, 404) and response.mimetype == "text/html", path


def test_each_token_has_its_own_read_and_write_limits(
    app: Flask, api: FlaskClient, api_team: ApiTeam, redis_conn: redis.Redis
) -> None:
    app.config.update(API_READ_LIMIT="2/minute", API_WRITE_LIMIT="1/minute")
    for _ in range(2):
        assert call(api, "GET", "/api/v1/campaigns", api_team.read).status_code == 200
    over = call(api, "GET", "/api/v1/campaigns", api_team.read)
    is_problem(over, 429)
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert call(api, "GET", "/api/v1/campaigns", api_team.write).status_code == 200
    close = f"/api/v1/campaigns/{api_team.campaign_id}/close"
    assert call(api, "POST", close, api_team.write).status_code == 200
    is_problem(call(api, "POST", close, api_team.write), 429)


def test_limits_fail_open_with_one_warning_when_redis_is_down(
    app: Flask, api: FlaskClient, api_team: ApiTeam, caplog: pytest.LogCaptureFixture
) -> None:
    app.config.update(API_READ_LIMIT="1/minute")
    app.extensions[LIMITS_KEY] = TokenLimits("redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="web.api.ratelimit"):
        for _ in range(3):
            assert call(api, "GET", "/api/v1/campaigns", api_team.read).status_code == 200
    warnings = [r for r in caplog.records if r.name == "web.api.ratelimit"]
    assert len(warnings) == 1 and "rate limits are off" in warnings[0].getMessage()


def test_the_document_and_its_page_need_no_token(api: FlaskClient) -> None:
    document = api.get("/api/v1/openapi.json")
    assert document.status_code == 200 and document.get_json()["openapi"] == "3.1.0"
    page = api.get("/api/v1/docs")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "/api/v1/campaigns/{campaign_id}/fans" in body
    assert "https://" not in body.replace(api.application.config["PRESAVE_SETTINGS"].public_url, "")


def test_the_document_says_which_operations_need_a_write_token(api: FlaskClient) -> None:
    """Writes are enforced by method (not GET): the document must say the same."""
    document = api.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            needs_write = "403" in operation["responses"]
            assert needs_write == (method != "get"), (method, path)
            public = operation["security"] == []
            assert public == path.startswith(("/api/v1/openapi.json", "/api/v1/docs")), path
