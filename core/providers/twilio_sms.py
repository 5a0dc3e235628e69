"""Twilio Messages API: send one SMS, errors translated into our own small set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

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


def client(settings: Settings) -> Client:
    """A Twilio client for our account, pointed at TWILIO_API_BASE, timeouts set."""
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        raise SmsRejected(None, "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set")
    http = TwilioHttpClient(timeout=TIMEOUT_SECONDS)
    if http.session is not None:  # room for every sending thread's keep-alive connection
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=32, max_retries=0)
        http.session.mount("https://", adapter)
        http.session.mount("http://", adapter)
    twilio = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
    twilio.api.base_url = settings.twilio_api_base
    return twilio


def _translate(exc: TwilioRestException) -> SmsError:
    if exc.code == OPTED_OUT:
        return SmsOptedOut(exc.msg)
    if exc.code in INVALID_TO:
        return SmsInvalidRecipient(f"{exc.code}: {exc.msg}")
    if exc.status == 429 or exc.code in RATE_CODES:
        return SmsRateLimited(1.0)
    if exc.status >= 500:
        return SmsUnavailable(f"HTTP {exc.status}")
    return SmsRejected(exc.code, str(exc.msg))


def send(
    twilio: Client, settings: Settings, to: str, body: str, status_callback: str | None = None
) -> SentSms:
    """Send one SMS from our sender; raises an SmsError subclass on failure."""
    sender: dict[str, str] = (
        {"messaging_service_sid": settings.twilio_messaging_service_sid}
        if settings.twilio_messaging_service_sid
        else {"from_": settings.twilio_from_number or ""}
    )
    try:
        message = twilio.messages.create(
            to=to,
            body=body,
            status_callback=status_callback,
            **sender,
        )
    except TwilioRestException as exc:
        raise _translate(exc) from None
    except TwilioException as exc:  # connection errors, timeouts
        raise SmsUnavailable(str(exc)) from None
    except OSError as exc:
        raise SmsUnavailable(str(exc)) from None
    return SentSms(sid=str(message.sid), status=str(message.status))


def find_sent(twilio: Client, to: str, since: datetime) -> str | None:
    """The sid of a message we sent to `to` at or after `since`, if Twilio has one.

    Used before re-sending a message whose worker died after handing it to Twilio.
    """
    try:
        messages = twilio.messages.list(to=to, limit=50)
    except TwilioRestException as exc:
        raise _translate(exc) from None
    except (TwilioException, OSError) as exc:
        raise SmsUnavailable(str(exc)) from None
    for message in messages:
        created = message.date_created
        if created is not None and created >= since:
            return str(message.sid)
    return None
