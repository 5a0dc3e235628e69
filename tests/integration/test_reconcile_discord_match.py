"""Reconcile settles a Discord DM or post a dead worker left `sending` as sent only when
Discord has that very message (our bot's, its own words) in the channel: another campaign's
DM or post there, or a countdown of the same campaign, is not it, and it is queued again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bench.seed import seed_discord
from core.db import transaction
from core.models import Campaign, DeliveryStatus, DiscordAnnouncement, Fan
from core.providers import discord_rest
from core.services import discord_announce, drop, notify, send_state
from core.timeutil import utcnow
from tests.integration.discord_helpers import CHANNEL, GUILD, ROLE, seed_guild
from tests.integration.drop_fixtures import DropWorld
from tests.integration.send_helpers import left_sending, status_and_provider_id
from workers import reconcile
from workers.send_jobs import send_deliveries

LEASE = timedelta(seconds=30)
ANOTHER_DROP = (
    "**Another Artist - Other Single** is out now! https://open.spotify.com/album/x"
    "\n\n(`/stopalerts` stops these messages.)"
)
A_COUNTDOWN = "3 hours until the drop!\n\n(`/stopalerts` stops these messages.)"


def drop_dm(world: DropWorld) -> tuple[int, str]:
    """A Discord fan's drop DM waiting to go out (delivery id, the fan's user id)."""
    seeded = seed_discord(world.settings, 1, guild=GUILD, channel=CHANNEL, role=ROLE)
    seed_guild(world.sandbox_url, members=tuple(seeded.user_ids))
    with transaction(world.settings.database_url) as session:
        fan_ids = list(session.scalars(select(Fan.id)))
        message_id = drop.drop_message_id(session, seeded.campaign_id)
        [delivery_id] = notify.create_deliveries(session, message_id, seeded.campaign_id, fan_ids)[
            "discord"
        ]
    return delivery_id, seeded.user_ids[0]


def dms_to(world: DropWorld, user: str) -> list[str]:
    found: list[str] = world.sandbox("GET", f"discord/users/{user}")["dms"]
    return found


def test_other_dms_of_ours_in_the_channel_do_not_make_it_sent(drop_world: DropWorld) -> None:
    world = drop_world
    delivery_id, user = drop_dm(world)
    with transaction(world.settings.database_url) as session:
        assert send_state.claim(session, notify.DELIVERIES, [delivery_id]) == [delivery_id]
    left_sending(world, delivery_id)  # the worker died before sending anything
    api = discord_rest.client(world.settings)
    channel = discord_rest.open_dm(api, user)
    discord_rest.send_message(api, channel, ANOTHER_DROP, nonce="other-campaign")
    discord_rest.send_message(api, channel, A_COUNTDOWN, nonce="same-campaign-countdown")
    counts = reconcile.settle_stuck(world.settings, world.redis, LEASE)
    assert counts == {"discord_settled_sent": 0, "discord_requeued": 1}
    assert status_and_provider_id(world, delivery_id) == (DeliveryStatus.QUEUED, None)
    assert len(dms_to(world, user)) == 2, "nothing sent by the lookup itself"


def test_its_own_dm_makes_it_sent(drop_world: DropWorld) -> None:
    world = drop_world
    delivery_id, user = drop_dm(world)
    assert send_deliveries(world.settings, world.redis, [delivery_id]).get("sent") == 1
    _, message_id = status_and_provider_id(world, delivery_id)
    assert message_id is not None
    left_sending(world, delivery_id)  # the worker died after Discord posted the DM
    api = discord_rest.client(world.settings)
    channel = discord_rest.open_dm(api, user)
    discord_rest.send_message(api, channel, ANOTHER_DROP, nonce="other-campaign")  # newer
    counts = reconcile.settle_stuck(world.settings, world.redis, LEASE)
    assert counts == {"discord_settled_sent": 1, "discord_requeued": 0}
    assert status_and_provider_id(world, delivery_id) == (DeliveryStatus.SENT, message_id)


def post_state(world: DropWorld, post_id: int) -> tuple[str, str | None]:
    with transaction(world.settings.database_url) as session:
        row = session.execute(
            select(DiscordAnnouncement.status, DiscordAnnouncement.provider_id).where(
                DiscordAnnouncement.id == post_id
            )
        ).one()
        return str(row[0]), row[1]


def claimed_a_minute_ago(world: DropWorld, post_id: int) -> discord_announce.Post:
    with transaction(world.settings.database_url) as session:
        [post] = discord_announce.claim(session, [post_id], world.settings.public_url)
        session.execute(
            update(DiscordAnnouncement)
            .where(DiscordAnnouncement.id == post_id)
            .values(updated_at=utcnow() - timedelta(minutes=1))
        )
    return post


def test_a_post_is_settled_by_its_own_words_not_by_the_role_it_pings(
    drop_world: DropWorld,
) -> None:
    """Two campaigns bound in one server, to the same channel and pre-saver role."""
    world = drop_world
    ours = seed_discord(world.settings, 1, guild=GUILD, channel=CHANNEL, role=ROLE)
    other = seed_discord(world.settings, 1, guild=GUILD, channel=CHANNEL, role=ROLE,
                         keyword="OTHER", first=10)  # fmt: skip
    seed_guild(world.sandbox_url, members=tuple(ours.user_ids + other.user_ids))
    with transaction(world.settings.database_url) as session:
        session.execute(
            update(Campaign).where(Campaign.id == other.campaign_id).values(title="Other Single")
        )
        made = {
            seeded.campaign_id: discord_announce.create(
                session, drop.drop_message_id(session, seeded.campaign_id), seeded.campaign_id
            )
            for seeded in (ours, other)
        }
    [stuck], [theirs] = made[ours.campaign_id], made[other.campaign_id]
    api = discord_rest.client(world.settings)
    claimed_a_minute_ago(world, stuck)  # the worker died before posting
    their_post = claimed_a_minute_ago(world, theirs)
    assert "<@&" + ROLE + ">" in their_post.body
    posted = discord_rest.send_message(
        api, CHANNEL, their_post.body, nonce=f"a{theirs}", mention_roles=(ROLE,)
    )
    with transaction(world.settings.database_url) as session:
        send_state.mark_sent(session, discord_announce.POSTS, [(theirs, posted)])
    counts = reconcile.settle_stuck(world.settings, world.redis, LEASE)
    assert counts == {"post_settled_sent": 0, "post_requeued": 1}
    assert post_state(world, stuck) == (DeliveryStatus.QUEUED, None)
    # Claimed again, posted this time, and the worker dies before recording it.
    post = claimed_a_minute_ago(world, stuck)
    mine = discord_rest.send_message(
        api, CHANNEL, post.body, nonce=f"a{stuck}", mention_roles=(ROLE,)
    )
    counts = reconcile.settle_stuck(world.settings, world.redis, LEASE)
    assert counts == {"post_settled_sent": 1, "post_requeued": 0}
    assert post_state(world, stuck) == (DeliveryStatus.SENT, mine)
