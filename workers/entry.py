"""The public job entry points: what web/, bot/ and the send registry queue.

Each imports its real job module inside its body, so importing this module is cheap (the
web app and the bot import it to name a job) and RQ records one stable name per job.
web/ and bot/ import this module and nothing else of workers/.
"""

from __future__ import annotations


def send_chunk(delivery_ids: list[int]) -> dict[str, int]:
    """Send a chunk of deliveries (SMS or Discord DMs)."""
    from workers.send_jobs import send_chunk as job

    return job(delivery_ids)


def send_outbound(text_id: int) -> str:
    """Send one outbox text (the web opt-in's confirmation, a late reply)."""
    from workers.send_jobs import send_outbound as job

    return job(text_id)


def post_announcements(post_ids: list[int]) -> dict[str, int]:
    """Post drop-day announcements in bound Discord channels."""
    from workers.discord_jobs import post_announcements as job

    return job(post_ids)


def grant_roles(grant_ids: list[int]) -> dict[str, int]:
    """Give pre-saver roles in bound Discord servers."""
    from workers.discord_jobs import grant_roles as job

    return job(grant_ids)


def save_chunk(campaign_id: int, presave_ids: list[int]) -> dict[str, int]:
    """Save a chunk of a campaign's pre-saves, telling each fan once theirs is done."""
    from workers.fanout import save_chunk as job

    return job(campaign_id, presave_ids)


def start_live(campaign_id: int, markets: list[str]) -> list[str]:
    """Start the drop once per newly live market (marked live in the artist app)."""
    from workers.release_jobs import start_live_job as job

    return job(campaign_id, markets)


def send_password_reset(email: str) -> bool:
    """Mail a one-time password reset link, if an account uses `email`."""
    from workers.jobs import send_password_reset as job

    return job(email)


def plan_message(message_id: int) -> dict[str, int]:
    """Make a due countdown's deliveries and queue them (the sandbox clock's "send now")."""
    from workers.schedule_jobs import plan_message as job

    return job(message_id)
