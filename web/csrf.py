"""A per-session CSRF token for the few forms fans post (hidden field, constant-time check)."""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

FIELD = "csrf_token"
SESSION_KEY = "csrf"
MIN_LENGTH = 32


def token() -> str:
    """This session's token, created on first use."""
    current = session.get(SESSION_KEY)
    if not isinstance(current, str) or len(current) < MIN_LENGTH:
        current = secrets.token_urlsafe(32)
        session[SESSION_KEY] = current
    return current


def valid() -> bool:
    """Whether the posted form carries this session's token."""
    expected = session.get(SESSION_KEY)
    given = request.form.get(FIELD)
    if not isinstance(expected, str) or len(expected) < MIN_LENGTH or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
