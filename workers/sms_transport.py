"""SMS out through Twilio, each campaign's texts under its sender's shared budget (TWILIO_MPS,
when set, is one budget for all)."""

from __future__ import annotations

import threading

import redis

from core.db import read_only
from core.providers import twilio_sms
from core.services import send_plan
from core.services.notify import Outgoing
from core.settings import Settings
from workers.ratelimit import TWILIO_HEADROOM, SharedRateLimiter, provider_limiter
from workers.sending import Sent

# A text whose thread woke up later than this after its slot takes another one instead of
# leaving in a bunch with the punctual ones (a second worker preparing its next batch, a
# garbage collection), which could put more than MPS texts in one second.
MAX_LATE = 0.02


def twilio_limiter(settings: Settings, connection: redis.Redis) -> SharedRateLimiter:
    """The shared SMS budget: TWILIO_MPS, paced a little under."""
    return provider_limiter(
        connection, "twilio", settings.twilio_mps, TWILIO_HEADROOM, max_late=MAX_LATE
    )


def sender_limiter(
    settings: Settings, connection: redis.Redis, campaign_id: int
) -> SharedRateLimiter:
    """The shared budget of the campaign's SMS sender, paced a little under its rate."""
    with read_only(settings.database_url) as session:
        kind, numbers = send_plan.campaign_sender(session, campaign_id)
    name, rate = send_plan.sms_budget(kind, numbers, settings.twilio_mps_override)
    if name == "twilio":
        return twilio_limiter(settings, connection)
    return provider_limiter(connection, name, rate, TWILIO_HEADROOM, max_late=MAX_LATE)


class SmsTransport:
    """Texts from our sender; a Twilio 429 pauses every worker's SMS of that sender."""

    def __init__(self, settings: Settings, connection: redis.Redis) -> None:
        self.settings = settings
        self.connection = connection
        self.twilio = twilio_sms.client(settings)  # SmsRejected when not configured
        self.callback = f"{settings.public_url}/webhooks/twilio/status"
        self._limiters: dict[int, SharedRateLimiter] = {}
        self._lock = threading.Lock()

    def limiter_for(self, item: Outgoing) -> SharedRateLimiter:
        """The budget `item` goes out under (its campaign's sender, read once per campaign)."""
        with self._lock:
            found = self._limiters.get(item.campaign_id)
            if found is None:
                found = sender_limiter(self.settings, self.connection, item.campaign_id)
                self._limiters[item.campaign_id] = found
            return found

    def deliver(self, item: Outgoing, deadline: float) -> Sent:
        """Send one delivery (its slot taken). The status callback URL names the delivery:
        Twilio's callback may come before this batch has stored the MessageSid."""
        return self.send(item, f"{self.callback}?d={item.delivery_id}")

    def send(self, item: Outgoing, callback: str | None = None) -> Sent:
        """Send one SMS (its slot taken), Twilio's answer said as the outcome it calls for
        (an outbox text asks for no status callback)."""
        try:
            sent = twilio_sms.send(self.twilio, self.settings, item.to, item.body, callback)
        except twilio_sms.SmsRateLimited as exc:
            self.limiter_for(item).penalize(exc.retry_after)
            return Sent(item, "retry", error=str(exc), delay=exc.retry_after)
        except twilio_sms.SmsOutcomeUnknown as exc:  # left `sending`: reconcile asks Twilio
            return Sent(item, "unknown", error=f"no answer from Twilio: {exc}")
        except twilio_sms.SmsUnavailable as exc:
            return Sent(item, "retry", error=str(exc), delay=30.0)
        except twilio_sms.SmsOptedOut as exc:
            return Sent(item, "opted_out", error=f"opted out: {exc}", code="21610")
        except twilio_sms.SmsError as exc:
            code = getattr(exc, "code", None)
            return Sent(item, "failed", error=str(exc), code=str(code) if code else None)
        return Sent(item, "sent", sid=sent.sid)
