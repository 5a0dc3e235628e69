"""Signed Twilio webhook requests for tests, built with the real RequestValidator."""

from __future__ import annotations

import itertools

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
OUR_NUMBER = "+15005550006"
_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def post_signed(
    client: FlaskClient,
    public_url: str,
    path: str,
    params: dict[str, str],
    *,
    signed_url: str | None = None,
    token: str = AUTH_TOKEN,
    base_url: str | None = None,
) -> TestResponse:
    url = signed_url or public_url + path
    return client.post(
        path,
        data=params,
        headers={"X-Twilio-Signature": sign(url, params, token)},
        base_url=base_url or "http://localhost",
    )


def inbound(
    body: str,
    from_number: str = "+14155550101",
    *,
    sid: str | None = None,
    **extra: str,
) -> dict[str, str]:
    params = {
        "MessageSid": sid or new_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": from_number,
        "To": OUR_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "FromCountry": "US",
        "FromState": "CA",
        "FromCity": "SAN FRANCISCO",
    }
    params.update(extra)
    return params
