"""Twilio accounts and the messages sent through the sandbox, in memory."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from sandbox.config import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def num_segments(body: str) -> int:
    """SMS segments for `body`: GSM-7 160/153 per part, else UCS-2 70/67 (UTF-16 units)."""
    if all(c in GSM7 or c in GSM7_EXTENDED for c in body):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def new_sid(prefix: str) -> str:
    """A Twilio-style SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def rfc2822(instant: datetime | None) -> str | None:
    """Twilio's date format: 'Thu, 24 Aug 2023 05:01:45 +0000'."""
    return format_datetime(instant).replace("-0000", "+0000") if instant else None


@dataclass(frozen=True)
class Message:
    """One outbound message as Twilio records it."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status: str
    created: datetime
    updated: datetime
    status_callback: str | None = None
    sent: datetime | None = None
    error_code: int | None = None
    error_message: str | None = None
    direction: str = "outbound-api"

    def as_json(self) -> dict[str, Any]:
        """The resource as Twilio's REST API renders it."""
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": self.body,
            "date_created": rfc2822(self.created),
            "date_sent": rfc2822(self.sent),
            "date_updated": rfc2822(self.updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(num_segments(self.body)),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": self.to,
            "uri": f"{uri}.json",
        }


class TwilioStore:
    """Accounts (sid -> auth token) and messages, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accounts = {SANDBOX_ACCOUNT_SID: SANDBOX_AUTH_TOKEN}
        self._messages: dict[str, Message] = {}

    def authenticate(self, sid: str, token: str, accept_any: bool) -> bool:
        """True when sid/token are right; with accept_any, new AC sids register on first use."""
        with self._lock:
            known = self.accounts.get(sid)
            if known is None:
                if not (accept_any and sid.startswith("AC") and token):
                    return False
                known = self.accounts[sid] = token
        return secrets.compare_digest(known, token)

    def auth_token(self, sid: str) -> str | None:
        """The account's auth token (to sign callbacks)."""
        return self.accounts.get(sid)

    def add(self, message: Message) -> Message:
        """Record a new message."""
        with self._lock:
            self._messages[message.sid] = message
        return message

    def get(self, sid: str) -> Message | None:
        """The message with that SID."""
        return self._messages.get(sid)

    def update(self, sid: str, **changes: Any) -> Message | None:
        """Change a message's fields (status, error_code...) and return it."""
        with self._lock:
            current = self._messages.get(sid)
            if current is None:
                return None
            updated = self._messages[sid] = replace(current, **changes)
            return updated

    def messages(
        self, account_sid: str | None = None, to: str | None = None, from_: str | None = None
    ) -> list[Message]:
        """Messages, newest first, filtered as given."""
        with self._lock:
            found = [
                m
                for m in self._messages.values()
                if account_sid in (None, m.account_sid)
                and to in (None, m.to)
                and from_ in (None, m.from_)
            ]
        found.reverse()
        return found

    def conversation(self, phone: str) -> list[Message]:
        """Every message to or from `phone`, oldest first."""
        with self._lock:
            return [m for m in self._messages.values() if phone in (m.to, m.from_)]

    def __len__(self) -> int:
        return len(self._messages)
