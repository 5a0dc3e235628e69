"""Password reset by email: the "Forgot your password?" page queues `send_link` for the
address typed; the job mails a one-time reset link when an account uses it, and nothing
otherwise. The page answers the same either way, so it tells no one who has an account."""

from __future__ import annotations

import logging
from email.message import EmailMessage

from core.db import transaction
from core.services import accounts, mail, one_time_links
from core.services.one_time_links import RESET
from core.settings import Settings
from core.validation import ValidationError

log = logging.getLogger(__name__)
SUBJECT = "Choose a new password for {program}"
BODY = """Someone (we hope you) asked to choose a new password for {email} on {program}.

Open this link to choose it. It works once, for the next hour:

{link}

If you didn't ask, ignore this email: your password stays as it is.
"""


def reset_message(settings: Settings, to: str, link: str) -> EmailMessage:
    """The email carrying `link`."""
    message = EmailMessage()
    message["From"] = settings.mail_from or ""
    message["To"] = to
    message["Subject"] = SUBJECT.format(program=settings.program_name)
    message.set_content(BODY.format(email=to, program=settings.program_name, link=link))
    return message


def send_link(settings: Settings, typed_email: str) -> bool:
    """Mail a reset link to the account using `typed_email`; False (nothing sent) when no
    account does or the address is malformed. MailError when the mail server refuses: the
    link stays unused and expires within the hour."""
    try:
        email = accounts.clean_email(typed_email)
    except ValidationError:
        return False
    with transaction(settings.database_url) as session:
        user = accounts.by_email(session, email)
        if user is None:
            log.info("password reset asked for an address no account uses")
            return False
        user_id, raw = user.id, one_time_links.issue(session, RESET, user_id=user.id)
    mail.send(settings, reset_message(settings, email, f"{settings.public_url}/app/reset/{raw}"))
    log.info("password reset link mailed to account %s", user_id)
    return True
