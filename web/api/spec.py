"""The OpenAPI 3.1 document, generated from the code: paths and methods from the app's URL
map, each operation's summary, body, query and answers from the `operation` decorator on
its view, schemas from web.api.schemas; apispec assembles and checks the document."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apispec import APISpec
from flask import Flask

from web.api import schemas
from web.api.problems import DETAILS, MEDIA_TYPE

TITLE = "presave API"
VERSION = "1.0.0"
BLUEPRINT = "api"
F = TypeVar("F", bound=Callable[..., Any])
PATH_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    """What the document says of one view."""

    summary: str
    tag: str
    answers: dict[int, str]  # status -> response component; "" for no body
    body: str | None = None  # request body component
    query: dict[str, schemas.Schema] = field(default_factory=dict)
    path: dict[str, schemas.Schema] = field(default_factory=dict)  # a text path part's values
    write: bool = False
    public: bool = False  # no token needed (the document and its page)
    names_a_campaign: bool = False  # a query argument names a campaign: 404 when not the team's


def operation(**given: Any) -> Callable[[F], F]:
    """Describe a view for the document (put it under the route decorator)."""

    def mark(view: F) -> F:
        view.api_operation = Operation(**given)  # type: ignore[attr-defined]
        return view

    return mark


def problem(status: int) -> dict[str, Any]:
    """A problem+json answer."""
    return {
        "description": DETAILS.get(status, "Refused: see `detail` and `errors`."),
        "content": {MEDIA_TYPE: {"schema": schemas.ref("Problem")}},
    }


def _answers(op: Operation, has_ids: bool) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for status, name in op.answers.items():
        if name == "Problem":
            found[str(status)] = problem(status)
            continue
        answer: dict[str, Any] = {"description": name or "done"}
        if name:
            answer["content"] = {"application/json": {"schema": schemas.ref(name)}}
        found[str(status)] = answer
    refusals = [] if op.public else [401, 429]
    refusals += [403] * op.write + [404] * (has_ids or op.names_a_campaign)
    refusals += [400, 415] * bool(op.body)
    refusals += [422] * bool(op.body or op.query)
    for status in refusals:
        found[str(status)] = problem(status)
    return found


def _path_params(rule: str, given: dict[str, schemas.Schema]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID}
            if kind == "int"
            else given.get(name, {"type": "string"}),
        }
        for kind, name in PATH_ARG.findall(rule)
    ]


def _operation(view_name: str, op: Operation, rule: str) -> dict[str, Any]:
    params = _path_params(rule, op.path)
    params += [{"name": n, "in": "query", "schema": s} for n, s in op.query.items()]
    found: dict[str, Any] = {
        "operationId": view_name,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": _answers(op, bool(PATH_ARG.search(rule))),
    }
    if params:
        found["parameters"] = params
    if op.body:
        body = {"application/json": {"schema": schemas.ref(op.body)}}
        found["requestBody"] = {"required": True, "content": body}
    found["security"] = [] if op.public else [{"token": []}]
    return found


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every API view the app has."""
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        info={"description": "Campaigns, messages, stats, fans and events of a team. "
                             "Errors are RFC 9457 problem+json."},
    )  # fmt: skip
    spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer", "description": "a team API token, psv_..."}
    )
    for name, schema in schemas.COMPONENTS.items():
        spec.components.schema(name, schema)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op: Operation | None = getattr(view, "api_operation", None)
        if not rule.endpoint.startswith(BLUEPRINT + ".") or op is None:
            continue
        path = PATH_ARG.sub(r"{\2}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            name = rule.endpoint.removeprefix(BLUEPRINT + ".")
            paths.setdefault(path, {})[method.lower()] = _operation(name, op, rule.rule)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def operations(document_: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of a document: method, path, summary, tag (the docs page lists them)."""
    return [
        {"method": method.upper(), "path": path, "summary": op["summary"], "tag": op["tags"][0],
         "write": "403" in op["responses"], "public": op.get("security") == []}
        for path, ops in document_["paths"].items()
        for method, op in ops.items()
    ]  # fmt: skip
