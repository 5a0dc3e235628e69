"""A request sent and never answered: repeated only when that is safe, never for an SMS."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bench.seed import sandbox_users, seed
from core.db import transaction
from core.models import DeliveryStatus, Fan
from core.providers.http_pool import AnswerLost
from core.providers.http_pool import Origin as Client
from core.services import drop, notify
from tests.integration.drop_fixtures import DropWorld
from tests.integration.loopback_origin import Origin, running
from workers.send_jobs import send_deliveries


@pytest.fixture
def origin() -> Iterator[Origin]:
    """Answers the first request of each connection; reads, then drops, every later one
    (a server that acted, or not, and then lost the connection)."""
    with running(lambda served: "answer" if served == 0 else "drop") as server:
        yield server


def test_a_post_that_got_no_answer_is_not_sent_again(origin: Origin) -> None:
    client = Client(origin.url, read_timeout=5, connect_timeout=5)
    assert client.request("POST", "/messages", form={"Body": "one"}).status == 200
    with pytest.raises(AnswerLost):
        client.request("POST", "/messages", form={"Body": "two"})
    assert origin.requests == ["POST", "POST"], "the second was not repeated"


def test_an_idempotent_request_is_repeated_on_a_new_connection(origin: Origin) -> None:
    client = Client(origin.url, read_timeout=5, connect_timeout=5)
    assert client.request("PUT", "/me/library").status == 200
    assert client.request("PUT", "/me/library").status == 200, "repeated, answered"
    assert origin.requests == ["PUT", "PUT", "PUT"]
    # A POST declared idempotent (a token refresh) is repeated the same way.
    assert client.request("POST", "/api/token", idempotent=True).status == 200
    assert origin.requests[3:] == ["POST", "POST"]


def test_an_sms_without_an_answer_stays_sending_for_reconcile(drop_world: DropWorld) -> None:
    """Twilio may have sent it: the delivery is left `sending`, which reconcile settles by
    asking Twilio, instead of queued again to be sent a second time."""
    world = drop_world
    with running(lambda _served: "drop") as silent:
        settings = dataclasses.replace(world.settings, twilio_api_base=silent.url)
        seeded = seed(settings, sandbox_users(world.sandbox_url, 1), expired=False)
        with transaction(settings.database_url) as session:
            fan_id = session.scalar(select(Fan.id).where(Fan.phone_e164 == seeded.phones[0]))
            assert fan_id is not None
            message_id = drop.drop_message_id(session, seeded.campaign_id)
            ids = notify.create_deliveries(session, message_id, seeded.campaign_id, [fan_id])["sms"]
        counts = send_deliveries(settings, world.redis, ids)
    assert counts.get("unknown") == 1, counts
    assert silent.requests == ["POST"], "sent once, not again"
    assert world.delivery_counts() == {DeliveryStatus.SENDING: 1}
