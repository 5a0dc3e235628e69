"""Response helpers in each provider's own error shape, and request parsing helpers."""

from __future__ import annotations

import json
import math
import time
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.wrappers import Request, Response

from sandbox.state import FaultRule, SandboxState

DEV_MODE_MESSAGE = (
    "Check settings on developer.spotify.com/dashboard, the user may not be registered."
)
FORCED_MESSAGES = {
    500: "Server error.",
    502: "Bad gateway.",
    503: "Service unavailable",
    504: "Gateway timeout",
}
DISCORD_STATUS_TEXT = {
    401: "401: Unauthorized",
    404: "404: Not Found",
    405: "405: Method Not Allowed",
    500: "500: Internal Server Error",
    502: "502: Bad Gateway",
    503: "503: Service Unavailable",
    504: "504: Gateway Timeout",
}
DISCORD_FAULT_BUCKET = "5a4e6f0c1d2b3a49"  # an opaque bucket hash, as Discord sends


class SandboxRequest(Request):
    """werkzeug's Request, with urlencoded forms read by `urllib.parse` (werkzeug's form
    parser was an eighth of the stand-in's CPU on the drop benchmark)."""

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        if self.mimetype != "application/x-www-form-urlencoded":
            super()._load_form_data()
            return
        body = self.get_data(cache=True, parse_form_data=False).decode("utf-8", "replace")
        self.__dict__["form"] = ImmutableMultiDict(parse_qsl(body, keep_blank_values=True))
        self.__dict__["files"] = ImmutableMultiDict()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer."""
    return Response(
        json.dumps(body, separators=(",", ":")),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def spotify_error(
    status: int, message: str | None, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """Spotify Web API's error object: {"error": {"status", "message"}}."""
    error: dict[str, Any] = {"status": status}
    if message is not None:
        error["message"] = message
    error.update(extra)
    return json_response({"error": error}, status, headers)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """Spotify accounts' error: {"error", "error_description"}."""
    return json_response({"error": error, "error_description": description}, status)


def twilio_error(status: int, code: int, message: str, **extra: Any) -> Response:
    """Twilio's REST error: {"code", "message", "more_info", "status"}."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
        **extra,
    }
    headers = {"Retry-After": "1"} if status == 429 else None
    return json_response(body, status, headers)


def twilio_auth_error() -> Response:
    """Twilio's 20003 answer to missing or wrong credentials."""
    response = twilio_error(
        401,
        20003,
        "Authenticate",
        detail="Your AccountSid or AuthToken was incorrect.",
    )
    response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


def csv_param(request: Request, name: str) -> list[str]:
    """A comma-separated query parameter as a list, empty items dropped."""
    return [item for item in request.args.get(name, "").split(",") if item]


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """Username and password of an `Authorization: Basic` header."""
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return None
    return auth.username or "", auth.password or ""


def fault_response(service: str, rule: FaultRule) -> Response:
    """The answer a forced failure gives, in the service's own shape."""
    retry = {"Retry-After": str(rule.retry_after_s)}
    kind = rule.kind
    if service == "discord":
        return _discord_fault(rule)
    status = {"timeout": 504, "quota": 429, "invalid_grant": 400}.get(kind) or int(kind)
    if service == "twilio":
        codes = {401: 20003, 403: 20403, 429: 20429}
        if status == 401:
            return twilio_auth_error()
        message = "Too Many Requests" if status == 429 else FORCED_MESSAGES.get(status, "Error")
        return twilio_error(status, codes.get(status, 20500), message)
    if service == "accounts":
        if kind == "invalid_grant":
            return oauth_error("invalid_grant", "Refresh token revoked")
        if status == 401:
            return oauth_error("invalid_client", "Invalid client", 401)
        response = oauth_error("server_error", FORCED_MESSAGES.get(status, "Error"), status)
        if status == 429:
            response.headers.update(retry)
        return response
    if kind == "quota":
        return spotify_error(429, None, retry, reason="QUOTA_EXCEEDED")
    if status == 429:
        return spotify_error(429, "API rate limit exceeded", retry)
    if status == 401:
        return spotify_error(401, "The access token expired")
    if status == 403:
        return spotify_error(403, DEV_MODE_MESSAGE)
    return spotify_error(status, FORCED_MESSAGES.get(status, "Bad request"))


def discord_error(status: int, code: int, message: str) -> Response:
    """Discord's JSON error: {"code", "message"}."""
    return json_response({"code": code, "message": message}, status)


def discord_invalid_form(path: str, problem: str, kind: str = "BASE_TYPE_INVALID") -> Response:
    """400 code 50035 Invalid Form Body, the problem nested under its dotted field path
    ("" for the body itself)."""
    errors: dict[str, Any] = {"_errors": [{"code": kind, "message": problem}]}
    for part in reversed(path.split(".") if path else []):
        errors = {part: errors}
    return json_response({"code": 50035, "message": "Invalid Form Body", "errors": errors}, 400)


def discord_rate_limited(
    retry_after: float, *, is_global: bool, bucket: str = "", limit: int = 1
) -> Response:
    """Discord's 429: scope global (the bot's limit), or user (a route bucket)."""
    wait = max(retry_after, 0.0)
    headers = {"Retry-After": str(max(1, math.ceil(wait)))}
    if is_global:
        headers |= {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
    else:
        headers |= {"X-RateLimit-Scope": "user"} | bucket_headers(bucket, limit, 0, wait)
    body = {"message": "You are being rate limited.", "retry_after": round(wait, 3)}
    return json_response(body | {"global": is_global}, 429, headers)


def bucket_headers(bucket: str, limit: int, remaining: int, reset_after: float) -> dict[str, str]:
    """Discord's X-RateLimit-* headers of a route bucket."""
    return {
        "X-RateLimit-Bucket": bucket or DISCORD_FAULT_BUCKET,
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
    }


def _discord_fault(rule: FaultRule) -> Response:
    """A forced Discord failure, in Discord's shape (a 429 is a route limit)."""
    if rule.kind == "dms_closed":
        return discord_error(403, 50007, "Cannot send messages to this user")
    if rule.kind in ("429", "quota"):
        return discord_rate_limited(float(rule.retry_after_s), is_global=False)
    status = 504 if rule.kind == "timeout" else int(rule.kind) if rule.kind.isdigit() else 500
    if status == 403:
        return discord_error(403, 50013, "Missing Permissions")
    return discord_error(status, 0, DISCORD_STATUS_TEXT.get(status, f"{status}: Error"))


def forced(
    state: SandboxState, service: str, endpoint: str, subject: str | None
) -> Response | None:
    """A forced failure for this request, if a fault rule matches (timeouts sleep first)."""
    rule = state.faults.take(service, endpoint, subject)
    if rule is None:
        return None
    if rule.kind == "timeout":
        state.sleep(state.config.timeout_s)
    return fault_response(service, rule)
