"""Reading what a client sent: the JSON body checked against its published schema, and
whole-number query arguments; every refusal names its field (422) or the format (400, 415)."""

from __future__ import annotations

from typing import Any

from flask import request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from web.api import schemas
from web.api.problems import Problem, invalid

TYPE_WORDS = {
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "integer": "a number",
}


def _field_errors(error: SchemaError, given: dict[str, Any]) -> dict[str, str]:
    """One schema error as field -> what is accepted."""
    if error.validator == "required":
        return {name: "required" for name in error.validator_value if name not in given}
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        return {name: "not a field of this request" for name in given if name not in known}
    where = ".".join(str(part) for part in error.absolute_path) or "body"
    if error.validator == "type":
        value = error.validator_value
        kinds = [str(k) for k in (value if isinstance(value, list) else [value])]
        return {where: " or ".join(TYPE_WORDS.get(k, k) for k in kinds)}
    if error.validator == "maxLength":
        return {where: f"at most {error.validator_value} characters"}
    if error.validator == "enum":
        return {where: "one of " + ", ".join(str(v) for v in error.validator_value)}
    return {where: error.message}


def json_body(component: str) -> dict[str, Any]:
    """The request's JSON object, checked against schemas.COMPONENTS[component]: 415 when
    it is not JSON, 400 when it cannot be read, 422 naming every refused field."""
    if not request.is_json:
        raise Problem(415, "Send the body as JSON with `Content-Type: application/json`.")
    given = request.get_json(silent=True)
    if not isinstance(given, dict):
        raise Problem(400, "The body is not a JSON object.")
    validator = Draft202012Validator(schemas.COMPONENTS[component])
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(given), key=lambda e: list(e.absolute_path)):
        for name, said in _field_errors(error, given).items():
            errors.setdefault(name, said)
    if errors:
        raise invalid(errors)
    return given


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    """A whole-number query argument from `low` to `high`; 422 naming it otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12 and low <= int(raw) <= high):
        raise invalid({name: f"a whole number from {low} to {high}"})
    return int(raw)


def text_arg(name: str) -> str | None:
    """A text query argument (empty: not given)."""
    return request.args.get(name) or None


def max_id() -> int:
    """The largest id a path or cursor may name."""
    return schemas.MAX_ID
