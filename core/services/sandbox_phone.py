"""The phone simulator: a fan texts our number through the sandbox's Twilio (delivered to
our signed SMS webhook like a real text) and reads the conversation as a phone shows it.

Everything goes over HTTP to the running sandbox (`core.sandbox_address`): its inbound
admin endpoint and its message log, never its code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import sandbox_admin, validation
from core.models.catalog import Campaign, CampaignStatus
from core.sandbox_address import SandboxNotRunning, sandbox_base
from core.services.sandbox_phone_numbers import checked_number, place_of_number
from core.settings import Settings, is_loopback_url

MAX_BODY = 1600  # Twilio's limit for one message body
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\""  # punctuation that ends a sentence, not a link
KEYWORDS_SHOWN = 5


class PhoneProblem(Exception):
    """The text could not be sent or the thread read; `status` is the HTTP answer to give
    (400/422 for what was typed, 502 when our webhook failed, 503 when no sandbox runs)."""

    def __init__(self, status: int, message: str, field_name: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field_name


@dataclass(frozen=True)
class Piece:
    """Part of a message: plain text, or a link (`href` is an http(s) URL)."""

    text: str
    href: str | None = None


@dataclass(frozen=True)
class Bubble:
    """One message as the phone shows it: the fan's own (`mine`) or one of ours."""

    sid: str
    mine: bool
    sender: str
    at: datetime
    status: str
    pieces: tuple[Piece, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "mine": self.mine,
            "sender": self.sender,
            "at": self.at.isoformat(),
            "shown_at": shown_time(self.at),
            "status": self.status,
            "pieces": [{"text": p.text, "href": p.href} for p in self.pieces],
        }


@dataclass(frozen=True)
class Thread:
    """The conversation between the fan's phone and our number, oldest first."""

    phone: str
    place: str
    our_number: str
    bubbles: tuple[Bubble, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "place": self.place,
            "our_number": self.our_number,
            "messages": [b.as_json() for b in self.bubbles],
        }


def shown_time(at: datetime) -> str:
    """How a bubble shows its time: "Dec 6, 14:05 UTC"."""
    utc = at.astimezone(UTC)
    return f"{utc:%b} {utc.day}, {utc:%H:%M} UTC"


def link_pieces(text: str) -> tuple[Piece, ...]:
    """`text` cut into plain parts and http(s) links (trailing punctuation left out)."""
    pieces: list[Piece] = []
    last = 0
    for found in URL_RE.finditer(text):
        url = found.group(0).rstrip(TRAILING)
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            continue
        if found.start() > last:
            pieces.append(Piece(text[last : found.start()]))
        pieces.append(Piece(url, href=url))
        last = found.start() + len(url)
    if last < len(text):
        pieces.append(Piece(text[last:]))
    return tuple(pieces)


def _base(settings: Settings) -> str:
    try:
        return sandbox_base(settings)
    except SandboxNotRunning as exc:
        raise PhoneProblem(503, f"The sandbox is {exc}") from None


def _ask(settings: Settings, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    try:
        return sandbox_admin.call(_base(settings), path, body)
    except sandbox_admin.SandboxAdminError as exc:
        raise PhoneProblem(503, f"The sandbox is not answering ({exc}).") from None


def _error_of(data: Any) -> str:
    return str(data.get("error")) if isinstance(data, dict) else "no answer"


def our_number(settings: Settings) -> str:
    """The number fans text: TWILIO_FROM_NUMBER, else the sandbox's own sender number."""
    if settings.twilio_from_number:
        return settings.twilio_from_number
    status, data = _ask(settings, "config")
    number = data.get("twilio_number") if isinstance(data, dict) else None
    if status != 200 or not isinstance(number, str):
        raise PhoneProblem(503, f"The sandbox did not say its number ({_error_of(data)}).")
    return number


def number_to_text(settings: Settings) -> str | None:
    """Our number for the page's header; None when the sandbox cannot say it now."""
    try:
        return our_number(settings)
    except PhoneProblem:
        return None


def open_keywords(session: Session) -> list[tuple[str, str]]:
    """(keyword, title) of the newest open campaigns: what a fan can text."""
    rows = session.execute(
        select(Campaign.keyword, Campaign.title)
        .where(Campaign.status == CampaignStatus.OPEN)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        .limit(KEYWORDS_SHOWN)
    )
    return [(keyword, title) for keyword, title in rows]


def send_text(settings: Settings, raw_number: str | None, raw_body: str | None) -> int:
    """The fan at `raw_number` texts `raw_body` to our number, through the sandbox's Twilio
    to our signed SMS webhook. Returns how many replies our webhook answered with."""
    phone = checked_number(raw_number)
    body = validation.text("text", raw_body, max_len=MAX_BODY)
    request: dict[str, Any] = {"from": phone, "body": body, "to": our_number(settings)}
    webhook = f"{settings.public_url}/webhooks/twilio/sms"
    if is_loopback_url(webhook):
        request["url"] = webhook
    status, data = _ask(settings, "twilio/inbound", request)
    if status == 400:
        raise PhoneProblem(422, f"The sandbox refused the text: {_error_of(data)}")
    if status != 200 or not isinstance(data, dict):
        raise PhoneProblem(502, f"The text did not get through: {_error_of(data)}")
    replies = data.get("replies")
    return len(replies) if isinstance(replies, list) else 0


def _bubble(message: Any, phone: str) -> Bubble | None:
    """A bubble from one message of the sandbox's log; None when it is not well formed."""
    if not isinstance(message, dict):
        return None
    try:
        at = parsedate_to_datetime(str(message["date_created"]))
        body, sender = str(message["body"]), str(message["from"])
    except (KeyError, TypeError, ValueError):
        return None
    mine = message.get("direction") == "inbound" and sender == phone
    status = str(message.get("status") or "")
    sid = str(message.get("sid") or "")
    return Bubble(sid, mine, sender, at, status, link_pieces(body))


def thread(settings: Settings, raw_number: str | None) -> Thread:
    """Every text between the fan's phone and us (either way), in time order."""
    phone = checked_number(raw_number)
    status, data = _ask(settings, f"twilio/conversation?phone={quote(phone)}")
    messages = data.get("messages") if isinstance(data, dict) else None
    if status != 200 or not isinstance(messages, list):
        raise PhoneProblem(502, f"The sandbox did not give the messages: {_error_of(data)}")
    bubbles = [b for m in messages if (b := _bubble(m, phone)) is not None]
    bubbles.sort(key=lambda b: b.at)  # stable: the log's order within one second
    return Thread(phone, place_of_number(phone), our_number(settings), tuple(bubbles))
