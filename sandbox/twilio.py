"""Twilio REST Messages API stand-in: send (with Twilio's validation errors), list, fetch."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from sandbox.callbacks import StatusDispatcher
from sandbox.http import forced, json_response, twilio_auth_error, twilio_error
from sandbox.state import ARRIVED, SandboxState
from sandbox.twilio_store import Message, new_sid

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SHORT_CODE = re.compile(r"^\d{5,6}$")
ALPHA_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
MAX_BODY = 1600
BASE = "/2010-04-01/Accounts/<account_sid>"


class TwilioApi:
    """The api.twilio.com stand-in for Programmable Messaging."""

    service = "twilio"
    routes = (
        (f"{BASE}/Messages.json", "messages_create", ("POST",)),
        (f"{BASE}/Messages.json", "messages_list", ("GET",)),
        (f"{BASE}/Messages/<message_sid>.json", "message_get", ("GET",)),
    )

    def __init__(self, state: SandboxState, dispatcher: StatusDispatcher) -> None:
        self.state = state
        self.dispatcher = dispatcher

    def authenticated(self, request: Request, account_sid: str) -> bool:
        """True when Basic credentials are this account's sid and auth token."""
        credentials = request.authorization
        if credentials is None or credentials.type != "basic":
            return False
        sid, token = credentials.username or "", credentials.password or ""
        accept_any = self.state.config.accept_any_account
        return sid == account_sid and self.state.twilio.authenticate(sid, token, accept_any)

    def on_messages_create(self, request: Request, account_sid: str) -> Response:
        """POST Messages.json: 201 with the message, or Twilio's error JSON."""
        if not self.authenticated(request, account_sid):
            return twilio_auth_error()
        form = request.form
        to = form.get("To", "").strip()
        sender = form.get("From", "").strip() or None
        service_sid = form.get("MessagingServiceSid", "").strip() or None
        body = form.get("Body", "")
        fault = forced(self.state, self.service, "messages_create", to or None)
        if fault is not None:
            return fault
        problem = self._invalid(to, sender, service_sid, body, bool(form.get("MediaUrl")))
        if problem is not None:
            return problem
        config = self.state.config
        self.state.arrivals.record("twilio", request.environ.get(ARRIVED, time.monotonic()))
        if config.twilio_mps:
            key = f"twilio:{sender or service_sid}"
            arrived = request.environ.get(ARRIVED)
            if self.state.limiter.admit(key, config.twilio_mps, 1.0, arrived) is not None:
                self.state.stats.rate_limited(self.service)
                return twilio_error(429, 20429, "Too Many Requests")
        now = self.state.clock.now()
        message = self.state.twilio.add(
            Message(
                sid=new_sid("SM"),
                account_sid=account_sid,
                to=to,
                from_=sender,
                messaging_service_sid=service_sid,
                body=body,
                status="queued" if sender else "accepted",
                created=now,
                updated=now,
                status_callback=form.get("StatusCallback") or None,
            )
        )
        self.dispatcher.schedule(message.sid, "sent", config.callback_delay_ms / 1000)
        return json_response(message.as_json(), 201)

    def _invalid(
        self, to: str, sender: str | None, service_sid: str | None, body: str, media: bool
    ) -> Response | None:
        """Twilio's validation error for these parameters, if any."""
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not E164.match(to):
            return twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if sender is None and service_sid is None:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if sender is not None and not any(
            pattern.match(sender) for pattern in (E164, SHORT_CODE, ALPHA_SENDER)
        ):
            return twilio_error(400, 21212, f"Invalid 'From' Phone Number: {sender}")
        if not body.strip() and not media:
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if to in self.state.config.twilio_opted_out:
            return twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
        return None

    def on_messages_list(self, request: Request, account_sid: str) -> Response:
        """GET Messages.json: newest first, paged with Page/PageSize like Twilio."""
        if not self.authenticated(request, account_sid):
            return twilio_auth_error()
        fault = forced(self.state, self.service, "messages_list", None)
        if fault is not None:
            return fault
        try:
            size = min(max(int(request.args.get("PageSize", 50)), 1), 1000)
            page = max(int(request.args.get("Page", 0)), 0)
        except ValueError:
            return twilio_error(400, 20001, "Invalid paging parameters")
        to, sender = request.args.get("To"), request.args.get("From")
        found = self.state.twilio.messages(account_sid, to, sender)
        items = found[page * size : (page + 1) * size]
        path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        filters = {k: v for k, v in (("To", to), ("From", sender)) if v}

        def uri(at: int) -> str:
            return f"{path}?{urlencode({**filters, 'PageSize': size, 'Page': at})}"

        more = (page + 1) * size < len(found)
        return json_response(
            {
                "messages": [m.as_json() for m in items],
                "end": page * size + max(len(items) - 1, 0),
                "first_page_uri": uri(0),
                "next_page_uri": uri(page + 1) if more else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": uri(page - 1) if page > 0 else None,
                "start": page * size,
                "uri": uri(page),
            }
        )

    def on_message_get(self, request: Request, account_sid: str, message_sid: str) -> Response:
        """GET Messages/{sid}.json."""
        if not self.authenticated(request, account_sid):
            return twilio_auth_error()
        message = self.state.twilio.get(message_sid)
        if message is None or message.account_sid != account_sid:
            resource = f"/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}.json"
            return twilio_error(404, 20404, f"The requested resource {resource} was not found")
        return json_response(message.as_json())
