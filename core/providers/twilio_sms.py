"""Twilio Messages API: send one SMS, errors translated into our own small set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from core.providers.http_pool import Answer, AnswerLost, Origin, TransportError, basic_auth, shared
from core.settings import Settings

TIMEOUT_SECONDS = 10.0
# Twilio error codes with a fate of their own (https://www.twilio.com/docs/api/errors).
OPTED_OUT = 21610  # recipient replied STOP: never retry, mark opted out
INVALID_TO = {21211, 21214, 21217, 21612, 21614}  # not a number we can text
RATE_CODES = {20429, 14107}  # too many requests / sender throughput


class SmsError(Exception):
    """Sending failed; subclasses say what to do about it."""


class SmsRateLimited(SmsError):
    """Twilio asked us to slow down: retry after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:.0f}s")
        self.retry_after = retry_after


class SmsOptedOut(SmsError):
    """The recipient opted out (21610): stop messaging them."""


class SmsInvalidRecipient(SmsError):
    """The number cannot receive SMS: do not retry."""


class SmsUnavailable(SmsError):
    """Twilio could not be reached or failed (5xx, timeout): retry with backoff."""


class SmsOutcomeUnknown(SmsError):
    """The message was sent to Twilio and no answer came: it may have gone out. Sending it
    again could text the fan twice; ask Twilio first (reconcile does, for deliveries left
    `sending`)."""


class SmsRejected(SmsError):
    """Twilio refused the message for another reason: do not retry; `code` says why."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class SentSms:
    """What Twilio accepted."""

    sid: str
    status: str


@dataclass(frozen=True)
class TwilioHttp:
    """The Messages endpoint of our account, over the process's pooled connections."""

    http: Origin
    auth: str
    messages_path: str


def client(settings: Settings) -> TwilioHttp:
    """A sender for our account at TWILIO_API_BASE. The twilio SDK is not used for sending:
    its client object and `requests` underneath cost several times the CPU per message, and
    a drop texts tens of thousands of fans from two cores."""
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    if not sid or not token:
        raise SmsRejected(None, "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set")
    return TwilioHttp(
        http=shared(settings.twilio_api_base, TIMEOUT_SECONDS),
        auth=basic_auth(sid, token),
        messages_path=f"/2010-04-01/Accounts/{sid}/Messages.json",
    )


def _translate(status: int, code: int | None, message: str) -> SmsError:
    if code == OPTED_OUT:
        return SmsOptedOut(message)
    if code in INVALID_TO:
        return SmsInvalidRecipient(f"{code}: {message}")
    if status == 429 or code in RATE_CODES:
        return SmsRateLimited(1.0)
    if status >= 500:
        return SmsUnavailable(f"HTTP {status}")
    return SmsRejected(code, message)


def _checked(answer: Answer) -> dict[str, Any]:
    """The answer's JSON object, or the SmsError its status and Twilio's code call for."""
    data = answer.json()
    data = data if isinstance(data, dict) else {}
    if answer.status >= 400:
        code = data.get("code")
        raise _translate(
            answer.status,
            code if isinstance(code, int) else None,
            str(data.get("message") or answer.text[:200]),
        )
    return data


def send(
    twilio: TwilioHttp, settings: Settings, to: str, body: str, status_callback: str | None = None
) -> SentSms:
    """Send one SMS from our sender; raises an SmsError subclass on failure."""
    form = {"To": to, "Body": body}
    if settings.twilio_messaging_service_sid:
        form["MessagingServiceSid"] = settings.twilio_messaging_service_sid
    else:
        form["From"] = settings.twilio_from_number or ""
    if status_callback:
        form["StatusCallback"] = status_callback
    try:
        answer = twilio.http.request(
            "POST", twilio.messages_path, form=form, headers={"Authorization": twilio.auth}
        )
    except AnswerLost as exc:
        raise SmsOutcomeUnknown(str(exc)) from None
    except TransportError as exc:
        raise SmsUnavailable(str(exc)) from None
    data = _checked(answer)
    sid = data.get("sid")
    if not isinstance(sid, str) or not sid.startswith(("SM", "MM")):
        raise SmsUnavailable("Twilio answered without a message sid")
    return SentSms(sid=sid, status=str(data.get("status") or "queued"))


def _from_us(message: dict[str, Any], settings: Settings) -> bool:
    """Whether a listed message went out from our sender (number or messaging service)."""
    if settings.twilio_messaging_service_sid:
        return bool(message.get("messaging_service_sid") == settings.twilio_messaging_service_sid)
    return bool(message.get("from") == settings.twilio_from_number)


def _created(message: dict[str, Any]) -> datetime | None:
    """When Twilio created the message (its JSON gives an RFC 2822 date)."""
    try:
        created = parsedate_to_datetime(str(message.get("date_created") or ""))
    except (TypeError, ValueError):
        return None
    return created if created.tzinfo else created.replace(tzinfo=UTC)


def find_sent(
    twilio: TwilioHttp, settings: Settings, to: str, since: datetime, body: str
) -> str | None:
    """The sid of this very message (our sender, this body) sent to `to` at or after `since`,
    if Twilio has it. Another text to that number (another campaign's) is not it.

    Used before re-sending a message whose worker died after handing it to Twilio.
    """
    try:
        answer = twilio.http.request(
            "GET",
            twilio.messages_path,
            params={"To": to, "PageSize": "50"},
            headers={"Authorization": twilio.auth},
        )
    except TransportError as exc:
        raise SmsUnavailable(str(exc)) from None
    listed = _checked(answer).get("messages")
    for message in listed if isinstance(listed, list) else []:
        if not isinstance(message, dict):
            continue
        created = _created(message)
        fresh = created is not None and created >= since
        if fresh and message.get("body") == body and _from_us(message, settings):
            return str(message.get("sid"))
    return None
