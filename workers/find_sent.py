"""Whether a row left `sending` went out: ask its provider for that very message.

A kind's finder is built once per reconcile round (`Finder`), then asked about each stuck
row: the provider's id for it when the provider has it (our sender, its very words, in
that conversation, since the claim), None when it does not. Another message of ours
there never counts. `NotNow`: the provider must not be asked now; the rest waits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import redis
from sqlalchemy.orm import Session

from core.db import transaction
from core.providers import discord_rest, twilio_sms
from core.settings import Settings
from workers.discord_guard import InvalidBudget
from workers.discord_transport import discord_limiter
from workers.sending import take_slot

JOB_SECONDS = 240.0  # Discord lookups hand back what they could not get to in this long
SKEW = timedelta(seconds=5)  # between our clock and the provider's
# (address, words) a row went out with: a number, a Discord user or channel id; None: gone.
Words = Callable[[Session, Settings, int], tuple[str | None, str | None]]
FindSent = Callable[[int, datetime], str | None]
Finder = Callable[[Settings, redis.Redis], FindSent | None]


class NotNow(Exception):
    """No lookup now (no slot, the bot's budget spent): the rest waits for the next round."""


def _words(settings: Settings, words: Words, row_id: int) -> tuple[str | None, str | None]:
    with transaction(settings.database_url) as session:
        return words(session, settings, row_id)


def twilio(words: Words) -> Finder:
    """Look the row's text up at Twilio."""

    def finder(settings: Settings, connection: redis.Redis) -> FindSent:
        client = twilio_sms.client(settings)

        def find(row_id: int, claimed_at: datetime) -> str | None:
            to, body = _words(settings, words, row_id)
            if not to or body is None:
                return None
            return twilio_sms.find_sent(client, settings, to, claimed_at - SKEW, body)

        return find

    return finder


class _Asking:
    """Discord lookups under the bot's shared budget: a slot for every request, none while
    the invalid-request budget is spent or the token was refused."""

    def __init__(self, settings: Settings, connection: redis.Redis) -> None:
        self.guard = InvalidBudget(connection)
        self.api = discord_rest.client(settings).with_invalid_hook(self.guard.record)
        self.limiter = discord_limiter(settings, connection)
        self.deadline = time.monotonic() + JOB_SECONDS

    def slot(self) -> None:
        """A slot for the next request (NotNow: Discord must not be asked now)."""
        if self.guard.wait() > 0 or not take_slot(self.limiter, self.deadline):
            raise NotNow

    def find(self, channel_id: str, since: datetime, content: str) -> str | None:
        """find_own_message, each of its requests under a slot."""
        if not discord_rest.bot_user_id_known(self.api):
            self.slot()
            discord_rest.bot_user_id(self.api)
        self.slot()
        return discord_rest.find_own_message(self.api, channel_id, since, content)


def discord(words: Words, *, dm: bool) -> Finder:
    """Look the row's message up in its Discord channel (`dm`: the address is a user, whose
    DM channel is opened first). Nothing to do without a bot token."""

    def finder(settings: Settings, connection: redis.Redis) -> FindSent | None:
        if not settings.discord_bot_token:
            return None
        asking = _Asking(settings, connection)

        def find(row_id: int, claimed_at: datetime) -> str | None:
            address, text = _words(settings, words, row_id)
            if not address or text is None:
                return None
            if dm:
                asking.slot()
                address = discord_rest.open_dm(asking.api, address)
            return asking.find(address, claimed_at - SKEW, text)

        return find

    return finder
