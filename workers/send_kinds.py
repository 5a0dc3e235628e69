"""Every kind of send, in one table: its rows, its queue, its job, how to find it sent.

Enqueueing (workers.enqueue), reconcile (queue what is due again, settle what a dead
worker left `sending`) and the jobs that queue retries all read this table. The lifecycle
of the rows (claim, sent, retry, give up, stuck, due) is core.services.send_state's.

A new channel (e-mail, WhatsApp, ...) is one row here plus a transport:
- a table with the SendState columns (and provider_id), and its `SendTable` in core;
- a job in workers.entry taking a list of ids (or one id, with `chunk=1`) that claims them
  with send_state.claim, sends through the transport and records each outcome;
- a `find_sent` finder (workers.find_sent) when the provider can be asked whether a message
  went out; without one, a row left `sending` stays for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import redis
from sqlalchemy.orm import Session

from core import queues
from core.services import compose, discord_announce, discord_roles, notify, outbox
from core.services.send_state import SendTable
from core.settings import Settings
from workers import entry, find_sent
from workers.discord_transport import DiscordTransport
from workers.find_sent import Finder
from workers.sending import Transport
from workers.sms_transport import SmsTransport

Words = tuple[str | None, str | None]

SEND_CHUNK = 100
SAVE_CHUNK = 2000
# The first save chunks grow to SAVE_CHUNK (a quarter, a half, three quarters, then whole
# ones), so workers that start a drop together end their jobs at different times: while one
# is between jobs (its last saves finishing, its fans told, the next job's claim) the others
# keep the shared Spotify budget busy, instead of every worker pausing at once.
SAVE_RAMP = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class SendKind:
    """How one kind of send is queued, run and settled."""

    name: str  # also the start of its jobs' ids; a delivery channel's kind is named for it
    queue: str
    job: Callable[..., object]  # job(*lead, ids), or job(id) when chunk is 1
    chunk: int = SEND_CHUNK
    rows: SendTable | None = None  # None: not a send (saves), reconcile has its own way
    find_sent: Finder | None = None
    ramp: tuple[float, ...] = ()  # the first chunks' sizes, as fractions of `chunk`
    # Deliveries: what sends one (send_jobs.send_deliveries picks it by channel).
    transport: Callable[[Settings, redis.Redis], Transport] | None = None


def _delivery_words(session: Session, settings: Settings, row_id: int) -> Words:
    """A delivery's number or Discord user, and its words as worded at its claim."""
    text = compose.text_as_claimed(session, row_id, settings.public_url, settings.program_name)
    return notify.address_of(session, row_id), text


def _text_words(session: Session, settings: Settings, row_id: int) -> Words:
    return outbox.words_of(session, row_id)


def _post_words(session: Session, settings: Settings, row_id: int) -> Words:
    return discord_announce.words_of(session, row_id, settings.public_url)


KINDS: dict[str, SendKind] = {
    kind.name: kind
    for kind in (
        SendKind("sms", queues.MESSAGES, entry.send_chunk, rows=notify.on_channel("sms"),
                 find_sent=find_sent.twilio(_delivery_words), transport=SmsTransport),
        SendKind("discord", queues.DISCORD, entry.send_chunk,
                 rows=notify.on_channel("discord"),
                 find_sent=find_sent.discord(_delivery_words, dm=True),
                 transport=DiscordTransport),
        SendKind("text", queues.MESSAGES, entry.send_outbound, chunk=1, rows=outbox.TEXTS,
                 find_sent=find_sent.twilio(_text_words)),
        SendKind("post", queues.MESSAGES, entry.post_announcements, rows=discord_announce.POSTS,
                 find_sent=find_sent.discord(_post_words, dm=False)),
        SendKind("roles", queues.DISCORD, entry.grant_roles, rows=discord_roles.GRANTS),
        SendKind("save", queues.SAVES, entry.save_chunk, chunk=SAVE_CHUNK, ramp=SAVE_RAMP),
    )
}  # fmt: skip
