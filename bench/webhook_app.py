"""The app under benchmark: the real app plus a bare route returning constant TwiML."""

from __future__ import annotations

from flask import Flask, Response

from web import create_app

CONSTANT_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok</Message></Response>'


def create_bench_app() -> Flask:
    """The production app factory, with `POST /bench/bare` added for the baseline."""
    app = create_app()

    @app.post("/bench/bare")
    def bare() -> Response:
        return Response(CONSTANT_TWIML, mimetype="text/xml")

    return app
