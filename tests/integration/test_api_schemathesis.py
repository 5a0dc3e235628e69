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
from tests.integration.api_helpers import ApiTeam, auth, make_team
from tests.integration.dashboard_helpers import add_fan
from web import create_app

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
        events.record(db, "optin", campaign_id=team.campaign_id, fan_id=fan, channel="sms")
    db.commit()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


EXAMPLES = 40


def run_operation(operation: object, mode: GenerationMode, token: str) -> None:
    """Bounded examples of one operation in one mode, every check on each answer."""

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
        case.call_and_validate(headers=auth(token), checks=CHECKS)

    examples()


def run_all(schema: schemathesis.BaseSchema, mode: GenerationMode, token: str) -> None:
    """Every operation of the document; in negative mode those with nothing to get wrong
    (no parameter, no body) are left out."""
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 11
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
