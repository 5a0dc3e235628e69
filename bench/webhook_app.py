"""The app under benchmark: the real app plus a bare route returning constant TwiML, and
the floor routes `bench.webhook --floor` measures the webhook's ceiling with."""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading

from flask import Flask, Response, abort

from bot.sms import BadInbound, parse_inbound, twiml
from core.db import sqlite_file, write_turn
from core.settings import Settings
from core.timeutil import utcnow
from web import create_app
from web.twilio_webhooks import checked_form

CONSTANT_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok</Message></Response>'
FLOOR_REPLY = (
    "Bench Artist: you're in for Bench Single. Your link: https://example.invalid/p/"
    "AAAAAAAAAAAAAAAAAAAAAA . Up to 4 msgs/campaign. Msg & data rates may apply. "
    "Reply HELP for help, STOP to opt out."
)
FLOOR_INSERT = (
    "INSERT INTO inbound_messages (message_sid, from_number, to_number, intent, reply, at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
MAX_FLOOR_INSERTS = 20
_raw = threading.local()
_serial = itertools.count()


def _raw_connection(path: str) -> sqlite3.Connection:
    """One plain sqlite3 connection per thread and file: no pool, no SQLAlchemy."""
    connections: dict[str, sqlite3.Connection] = _raw.__dict__.setdefault("connections", {})
    connection = connections.get(path)
    if connection is None:
        connection = sqlite3.connect(path, timeout=10, isolation_level=None)
        connection.execute("PRAGMA synchronous=NORMAL")
        connections[path] = connection
    return connection


def create_bench_app(settings: Settings | None = None) -> Flask:
    """The production app factory, with `POST /bench/bare` added for the baseline and
    `POST /bench/floor/<n>` for the ceiling (see `floor`)."""
    app = create_app(settings)
    settings = app.config["PRESAVE_SETTINGS"]

    @app.post("/bench/bare")
    def bare() -> Response:
        return Response(CONSTANT_TWIML, mimetype="text/xml")

    @app.post("/bench/floor/<int:inserts>")
    def floor(inserts: int) -> Response:
        """The least any keyword webhook must do, and `inserts` raw rows.

        The webhook's own form reading and signature check (`checked_form`, for this
        route's URL) and message check with its phone parsing; then one SQLite transaction
        under the same cross-process write turn the app uses, with `inserts` plain INSERTs
        on a bare sqlite3 connection (no SQLAlchemy, no reads, no business logic); then a
        TwiML reply the size of a real confirmation. Only on SQLite: it measures the
        ceiling there.
        """
        path = sqlite_file(settings.database_url)
        if path is None or not 0 <= inserts <= MAX_FLOOR_INSERTS:
            abort(404)
        form = checked_form()  # the webhook's own size limit, form reading and signature check
        try:
            sms = parse_inbound(form)
        except BadInbound as exc:
            return Response(f"{exc}\n", status=400, mimetype="text/plain")
        at = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
        tag = f"{os.getpid()}:{next(_serial)}"  # requests are reused: keep the sids unique
        connection = _raw_connection(path)
        with write_turn(settings.database_url):
            connection.execute("BEGIN IMMEDIATE")
            try:
                for i in range(inserts):
                    row = (f"{sms.message_sid}:{tag}:{i}", sms.from_number, sms.to_number)
                    connection.execute(FLOOR_INSERT, (*row, "optin", FLOOR_REPLY, at))
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return Response(twiml(FLOOR_REPLY), mimetype="text/xml")

    # Signed like the webhooks, not browser forms: no CSRF token, as for the real webhook.
    csrf = app.extensions["csrf"]
    csrf.exempt(bare)
    csrf.exempt(floor)
    return app
