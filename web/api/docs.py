"""The OpenAPI document at /api/v1/openapi.json and a page listing its operations at
/api/v1/docs (our own HTML: no CDN, no script)."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from web.api import bp
from web.api.problems import DETAILS
from web.api.spec import document, operation, operations
from web.page_support import page


@bp.get("/openapi.json")
@operation(summary="This document (OpenAPI 3.1)", tag="docs", answers={200: ""}, public=True)
def openapi_document() -> ResponseReturnValue:
    """The document, generated from the views."""
    return jsonify(document(current_app))


@bp.get("/docs")
@operation(summary="A page listing the operations", tag="docs", answers={200: ""}, public=True)
def docs_page() -> ResponseReturnValue:
    """Each operation with its method, path and what it does; the problem types."""
    found = document(current_app)
    return page("api/docs.html", doc=found, operations=operations(found), details=DETAILS)
