"""Twilio webhooks: inbound SMS and message status callbacks (signature checked)."""

from __future__ import annotations

import logging
from hmac import compare_digest
from urllib.parse import parse_qsl

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from bot.sms import BadInbound, InboundSms, handle_inbound, kept_fields, parse_inbound, twiml
from core import runtime
from core.db import DatabaseUnavailable, connection_transaction_within, transaction
from core.redis_conn import RedisStartError, connect
from core.services import inbound_backlog
from core.services.deliveries import UnknownStatus, apply_twilio_status
from core.settings import Settings

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__)
MAX_REQUEST_BYTES = 64 * 1024
# The fields we keep, with the most characters we accept; Twilio's are far shorter.
FIELD_LIMITS = {
    "MessageSid": 64, "SmsSid": 64, "SmsMessageSid": 64, "AccountSid": 64,
    "MessagingServiceSid": 64, "MessageStatus": 32, "SmsStatus": 32, "ErrorCode": 16,
    "From": 64, "To": 64, "Body": 1600,
}  # fmt: skip
SID_FIELDS = ("MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "MessagingServiceSid")
SANDBOX_AUTH_TOKEN = "sandbox"  # noqa: S105 - signs the local stand-in's requests only


def _settings() -> Settings:
    settings: Settings = current_app.config["PRESAVE_SETTINGS"]
    return settings


def signing_token(settings: Settings) -> str | None:
    """The token Twilio signs with; the sandbox's outside production, none otherwise."""
    if settings.twilio_auth_token:
        return settings.twilio_auth_token
    return None if settings.is_production else SANDBOX_AUTH_TOKEN


def _public_url_of_request(settings: Settings) -> str:
    """The URL Twilio requested, rebuilt from PUBLIC_URL (we may sit behind a proxy)."""
    query = request.query_string.decode("utf-8", "replace")
    return settings.public_url + request.path + (f"?{query}" if query else "")


def _posted_fields() -> dict[str, str]:
    """The form fields, the first value of each (Twilio posts urlencoded forms).

    An urlencoded body (every webhook) is read with the standard library's parser, which is
    all it needs; any other body goes through werkzeug's.
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        return request.form.to_dict()
    fields: dict[str, str] = {}
    body = request.get_data().decode("utf-8", "replace")
    for name, value in parse_qsl(body, keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


def field_problem(form: dict[str, str]) -> str | None:
    """Why Twilio cannot have posted these fields (a NUL, too long, a Sid that is not
    letters and digits), or None. Checked here so every database answers the same 400."""
    for name, value in form.items():
        if "\x00" in name or "\x00" in value:
            return f"{name[:32].replace(chr(0), '?')} contains a NUL character"
        limit = FIELD_LIMITS.get(name)
        if limit is not None and len(value) > limit:
            return f"{name} longer than {limit} characters"
    for name in SID_FIELDS:
        sid = form.get(name, "").strip()
        if sid and not (sid.isascii() and sid.isalnum()):
            return f"{name} must be letters and digits"
    return None


def checked_form() -> dict[str, str]:
    """The posted form, after the size limit, the signature check (of this request's URL,
    rebuilt from PUBLIC_URL) and the field check; aborts with 413, 403 or 400."""
    if (request.content_length or 0) > MAX_REQUEST_BYTES:
        abort(413)
    request.max_content_length = MAX_REQUEST_BYTES
    form = _posted_fields()
    token = signing_token(_settings())
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        abort(403)
    validator, url = RequestValidator(token), _public_url_of_request(_settings())
    # The exact URL first: validate() always signs it twice (with and without the port);
    # it still decides whenever that first check fails.
    exact = str(validator.compute_signature(url, form))
    if not compare_digest(exact, signature) and not validator.validate(url, form, signature):
        abort(403)
    problem = field_problem(form)
    if problem is not None:
        abort(_text(problem, 400))
    return form


def _text(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.post("/webhooks/twilio/sms")
def inbound_sms() -> Response:
    """A fan texted our number: answer with TwiML."""
    form = checked_form()
    try:
        sms = parse_inbound(form)
    except BadInbound as exc:
        return _text(str(exc), 400)
    wait = inbound_backlog.DB_WAIT_SECONDS
    try:
        with connection_transaction_within(_settings().database_url, wait) as connection:
            document = handle_inbound(connection, _settings(), sms)
    except DatabaseUnavailable as exc:
        return _keep_for_later(sms, str(exc))
    return Response(document, mimetype="text/xml")


def _keep_for_later(sms: InboundSms, why: str) -> Response:
    """The database cannot take the text now: keep it in Redis and answer with silence (the
    reply follows as a text once the database is back); 503 at once when Redis is down too,
    for Twilio's fallback URL to take."""
    try:
        connection = connect(
            runtime.redis_url(_settings()), timeout=inbound_backlog.REDIS_WAIT_SECONDS
        )
        inbound_backlog.keep(connection, sms.message_sid, kept_fields(sms))
    except (inbound_backlog.NotKept, RedisStartError) as exc:
        log.error(
            "inbound %s refused: database (%s) and Redis (%s) unavailable",
            sms.message_sid,
            why,
            exc,
        )
        return _text("temporarily unavailable", 503)
    log.warning("inbound %s kept until the database is back (%s)", sms.message_sid, why)
    return Response(twiml(None), mimetype="text/xml")


def _delivery_id() -> int | None:
    """The delivery our StatusCallback URL names (`?d=<id>`, covered by the signature)."""
    raw = request.args.get("d")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        abort(_text("d: expected a delivery id (digits)", 400))
    return int(raw)


@bp.post("/webhooks/twilio/status")
def message_status() -> Response:
    """Twilio reports what happened to a message we sent."""
    form = checked_form()
    sid, status = form.get("MessageSid", "").strip(), form.get("MessageStatus", "").strip()
    if not sid or not status:
        return _text("missing MessageSid or MessageStatus", 400)
    error, sender, delivery_id = form.get("ErrorCode") or None, form.get("From", ""), _delivery_id()
    try:
        with transaction(_settings().database_url) as session:
            apply_twilio_status(session, sid[:64], status, error, sender, delivery_id)
    except UnknownStatus:
        return _text(f"unknown MessageStatus {status[:32]!r}", 400)
    return Response(status=204)
