"""Schemathesis against the API's own OpenAPI document, loaded from the app (WSGI, no
network), with a seeded team and its write token: no 5xx, and every answer's status,
content type and body as the document says. Examples are bounded (seconds on SQLite;
PostgreSQL too when it is reachable)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from cli import migrate
from core.services import events
from core.settings import Settings
from core.timeutil import utcnow
from tests.integration.api_helpers import ApiTeam, auth, make_team
from tests.integration.dashboard_helpers import add_fan
from tests.integration.funnel_helpers import delivery, message
from web import create_app

STATS_PATHS = [
    "/api/v1/campaigns/{campaign_id}/stats/" + part
    for part in ("funnel", "breakdown/{dimension}", "series/{name}", "messages")
] + ["/api/v1/stats/releases"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def seeded(app: Flask, db: Session, team: ApiTeam) -> schemathesis.BaseSchema:
    """The document as the app serves it, over a team with fans and events, with limits
    high enough for the run."""
    app.config.update(API_READ_LIMIT="100000/minute", API_WRITE_LIMIT="100000/minute")
    for status in (None, "saved", "pending"):
        fan = add_fan(db, team.campaign_id, presave=status)
        events.record(db, "optin", campaign_id=team.campaign_id, fan_id=fan, channel="sms",
                      source="tiktok", country="US", region="CA")  # fmt: skip
    events.record(db, "page_view", campaign_id=team.campaign_id, source="tiktok")
    sent = message(db, team.campaign_id, "countdown")
    delivery(db, sent, fan, status="delivered", sent_at=utcnow())
    db.commit()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


EXAMPLES = 40


def run_operation(
    operation: object, mode: GenerationMode, token: str, campaign_id: int | None = None
) -> None:
    """Bounded examples of one operation in one mode, every check on each answer (on the
    campaign `campaign_id` when given, instead of a drawn one)."""

    @given(case=operation.as_strategy(generation_mode=mode))  # type: ignore[attr-defined]
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def examples(case: Any) -> None:
        if campaign_id is not None:
            case.path_parameters = {**(case.path_parameters or {}), "campaign_id": campaign_id}
        case.call_and_validate(headers=auth(token), checks=CHECKS)

    examples()


def run_all(schema: schemathesis.BaseSchema, mode: GenerationMode, token: str) -> None:
    """Every operation of the document; in negative mode those with nothing to get wrong
    (no parameter, no body) are left out."""
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 16
    paths = {operation.path for operation in operations}
    assert set(STATS_PATHS) <= paths, sorted(paths)
    tried = 0
    for operation in operations:
        try:
            run_operation(operation, mode, token)
        except Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE, operation
            continue
        tried += 1
    assert tried >= 7, tried


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_document(
    app: Flask, db: Session, api_team: ApiTeam, mode: GenerationMode
) -> None:
    run_all(seeded(app, db, api_team), mode, api_team.write)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_stats_keep_to_their_document_on_a_campaign_with_numbers(
    app: Flask, db: Session, api_team: ApiTeam, mode: GenerationMode
) -> None:
    """Drawn campaign ids are mostly no team's (404): here the stats run on the seeded
    campaign, so the numbers themselves are checked against the document."""
    schema = seeded(app, db, api_team)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    ours = [op for op in operations if "{campaign_id}/stats/" in op.path]
    assert {op.path for op in ours} == set(STATS_PATHS[:-1])
    for operation in ours:
        try:
            run_operation(operation, mode, api_team.read, api_team.campaign_id)
        except Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE and operation.path.endswith("/messages")


@pytest.mark.postgres
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_document_on_postgres(
    pg_url: str, settings: Settings, mode: GenerationMode
) -> None:
    migrate.upgrade(pg_url)
    pg_settings = settings.with_overrides(database_url=pg_url)
    engine = create_engine(pg_url)
    with Session(bind=engine, expire_on_commit=False) as db:
        team = make_team(pg_settings, db, "Team P", "SECRETP")
        app = create_app(pg_settings)
        app.config["TESTING"] = True
        run_all(seeded(app, db, team), mode, team.write)
    engine.dispose()
