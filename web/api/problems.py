"""RFC 9457 problem details (application/problem+json) for every error under /api/v1,
Flask's own 404/405/415/500 included, and the exceptions views raise to send one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from core.services.campaign_fields import FieldErrors
from core.validation import ValidationError
from web.page_support import settings

PREFIX = "/api/v1"
MEDIA_TYPE = "application/problem+json"
# Our problem types; plain HTTP errors are `about:blank` (their title is the status phrase).
VALIDATION = "validation"
CONFLICT = "conflict"
DETAILS = {
    400: "The request could not be read: send a JSON object.",
    401: "Send an API token: `Authorization: Bearer psv_...` (owners make them on the team page).",
    403: "This API token may not do that.",
    404: "There is no such resource, or it belongs to another team.",
    405: "This resource does not take that method.",
    413: "The request body is too large.",
    415: "Send the body as JSON with `Content-Type: application/json`.",
    429: "Too many requests with this API token: wait, then try again.",
    500: "Something went wrong on our side; the request was not completed.",
}


class Problem(Exception):
    """An error a view answers with: status, a short title and what went wrong."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.title = title or HTTP_STATUS_CODES.get(status, "Error")
        self.errors = errors
        self.headers = headers or {}


def type_uri(kind: str | None) -> str:
    """The problem type: our docs page's anchor for our types, else about:blank."""
    return f"{settings().public_url}{PREFIX}/docs#problem-{kind}" if kind else "about:blank"


def response(problem: Problem) -> Response:
    """The problem as application/problem+json."""
    body: dict[str, Any] = {
        "type": type_uri(problem.kind),
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.path,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    answer = jsonify(body)
    answer.status_code = problem.status
    answer.mimetype = MEDIA_TYPE
    answer.headers["Cache-Control"] = "no-store"
    answer.headers.update(problem.headers)
    return answer


def invalid(errors: dict[str, str], detail: str | None = None) -> Problem:
    """422 naming each refused field."""
    field, accepted = next(iter(errors.items()), ("", ""))
    said = detail or (f"{field}: {accepted}" if field else "The request was refused.")
    return Problem(
        422, said, kind=VALIDATION, title="Your request has invalid fields", errors=errors
    )


def from_validation(exc: ValidationError) -> Problem:
    """A core refusal (one field, or every refused field of FieldErrors) as a 422."""
    errors = exc.errors if isinstance(exc, FieldErrors) else {exc.field: exc.accepted}
    return invalid(errors)


def from_http(error: HTTPException) -> Problem:
    """Flask's own HTTP errors (routing 404 and 405, 413, 415, ...)."""
    status = error.code or 500
    allowed = getattr(error, "valid_methods", None)
    headers = {"Allow": ", ".join(allowed)} if status == 405 and allowed else {}
    return Problem(status, DETAILS.get(status, error.description or ""), headers=headers)


def under_api() -> bool:
    """Whether this request is one of the API's."""
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def api_first(previous: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An app error handler that answers problem+json under /api/v1, and as before elsewhere."""

    def handle(error: Any) -> Any:
        if under_api() and isinstance(error, HTTPException):
            return response(from_http(error))
        return previous(error)

    return handle


def as_is(error: HTTPException) -> HTTPException:
    """Outside the API, Flask's default answer."""
    return error


def install(app: Flask) -> None:
    """Route every error under /api/v1 to problem+json; handlers already registered for the
    rest of the app (the artist pages' 403/404/429) keep answering outside it."""
    for code, by_class in app.error_handler_spec[None].items():
        if code is not None:
            for cls, handler in list(by_class.items()):
                by_class[cls] = api_first(handler)
    for code in (400, 401, 403, 404, 405, 413, 415, 422, 429, 500):
        if code not in app.error_handler_spec[None]:
            app.register_error_handler(code, api_first(as_is))
    app.register_error_handler(HTTPException, api_first(as_is))
    app.register_error_handler(Problem, problem_or_500)


def problem_or_500(error: Problem) -> ResponseReturnValue:
    """A view's Problem (only API views raise it)."""
    if not under_api():
        return InternalServerError()
    return response(error)
