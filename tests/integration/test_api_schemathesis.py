"""Schemathesis against the API's own OpenAPI document, loaded from the app (WSGI, no
network), with a seeded team and its write token: no 5xx, and every answer's status,
content type and body as the document says. Examples are bounded (about a minute)."""

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
from sqlalchemy.orm import Session

from core.services import events
from tests.integration.api_helpers import ApiTeam, auth
from tests.integration.dashboard_helpers import add_fan

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(app: Flask, db: Session, api_team: ApiTeam) -> schemathesis.BaseSchema:
    """The document as the app serves it, over a team with fans, events and limits high
    enough for the run."""
    app.config.update(API_READ_LIMIT="100000/minute", API_WRITE_LIMIT="100000/minute")
    for status in (None, "saved", "pending"):
        fan = add_fan(db, api_team.campaign_id, presave=status)
        events.record(db, "optin", campaign_id=api_team.campaign_id, fan_id=fan, channel="sms")
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


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_document(
    api_schema: schemathesis.BaseSchema, api_team: ApiTeam, mode: GenerationMode
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 11
    tried = 0
    for operation in operations:
        try:
            run_operation(operation, mode, api_team.write)
        except Unsatisfiable:  # nothing to get wrong: no parameter, no body
            assert mode == GenerationMode.NEGATIVE, operation
            continue
        tried += 1
    assert tried >= 7, tried
