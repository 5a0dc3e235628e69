"""/_sandbox/twilio/...: a fan's text delivered to the SMS webhook, signed as Twilio signs
it, our TwiML answer kept as the reply; the conversation with one phone read back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from werkzeug.wrappers import Request

from sandbox.admin import Admin, AdminError, body_of
from sandbox.callbacks import StatusDispatcher, is_loopback_url, post_signed
from sandbox.config import SANDBOX_ACCOUNT_SID
from sandbox.http import json_response
from sandbox.state import SandboxState
from sandbox.twilio import E164, MAX_BODY
from sandbox.twilio_store import Message, new_sid, num_segments

WEBHOOK_TIMEOUT_S = 15.0  # Twilio gives up on a webhook after 15 seconds


def _text(data: dict[str, Any], name: str, default: str = "") -> str:
    value = data.get(name, default)
    if not isinstance(value, str):
        raise AdminError(f"{name} must be a string")
    return value.strip()


def twiml_messages(document: bytes) -> list[str]:
    """The texts of the <Message> verbs of a TwiML answer (empty for <Response/>)."""
    try:
        root = ET.fromstring(document)  # noqa: S314 - our own app's answer, on loopback
    except ET.ParseError as exc:
        raise ValueError(f"the webhook's answer is not TwiML: {exc}") from None
    if root.tag != "Response":
        raise ValueError("the webhook's answer is not TwiML: no <Response>")
    return ["".join(verb.itertext()).strip() for verb in root if verb.tag == "Message"]


class TwilioInbound(Admin):
    """Texts from fans to our number, as Twilio would deliver them to the SMS webhook."""

    service = "twilio_admin"
    routes: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        ("/_sandbox/twilio/inbound", "inbound", ("POST",)),
        ("/_sandbox/twilio/conversation", "conversation", ("GET",)),
    )

    def __init__(self, state: SandboxState, dispatcher: StatusDispatcher) -> None:
        super().__init__(state)
        self.dispatcher = dispatcher

    def on_inbound(self, request: Request) -> Any:
        """{"from", "body", "to"?, "url"?, "params"?}: POST the text to the webhook; the
        replies of its TwiML answer become messages to the fan (502 when it fails)."""
        data = body_of(request)
        config = self.state.config
        phone, body = _text(data, "from"), _text(data, "body")
        to = _text(data, "to", config.twilio_number)
        url = _text(data, "url", config.twilio_sms_url)
        if not E164.match(phone):
            raise AdminError("from must be a phone number in E.164 form (+15551234567)")
        if not E164.match(to):
            raise AdminError("to must be a phone number in E.164 form")
        if not body or len(body) > MAX_BODY:
            raise AdminError(f"body must be 1 to {MAX_BODY} characters")
        if not url:
            raise AdminError("url: no SMS webhook is set (the twilio_sms_url knob)")
        if not is_loopback_url(url):
            raise AdminError("url must be an http(s) URL on 127.0.0.1, localhost or ::1")
        extra = data.get("params", {})
        if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
            raise AdminError("params must be an object of strings")
        account = SANDBOX_ACCOUNT_SID
        now = self.state.clock.now()
        inbound = self.state.twilio.add(
            Message(new_sid("SM"), account, to, phone, None, body, "received", now, now,
                    direction="inbound")
        )  # fmt: skip
        params = {
            "AccountSid": account,
            "ApiVersion": "2010-04-01",
            "Body": body,
            "From": phone,
            "MessageSid": inbound.sid,
            "NumMedia": "0",
            "NumSegments": str(num_segments(body)),
            "SmsMessageSid": inbound.sid,
            "SmsSid": inbound.sid,
            "SmsStatus": "received",
            "To": to,
            **{str(k): v for k, v in extra.items()},
        }
        token = self.state.twilio.auth_token(account) or ""
        try:
            status, answer = post_signed(url, params, token, WEBHOOK_TIMEOUT_S)
            texts = twiml_messages(answer) if status == 200 else []
        except (OSError, ValueError) as exc:
            return json_response({"error": str(exc), "sid": inbound.sid}, 502)
        if status != 200:
            problem = f"the webhook answered {status}: {answer[:200].decode('utf-8', 'replace')}"
            return json_response({"error": problem, "sid": inbound.sid, "status": status}, 502)
        replies = [self._reply(phone, to, text) for text in texts if text]
        return {"sid": inbound.sid, "status": status, "replies": replies}

    def _reply(self, phone: str, sender: str, text: str) -> dict[str, Any]:
        """Record one TwiML <Message> as Twilio sends it: to the fan, from our number."""
        now = self.state.clock.now()
        message = self.state.twilio.add(
            Message(new_sid("SM"), SANDBOX_ACCOUNT_SID, phone, sender, None, text, "queued",
                    now, now, direction="outbound-reply")
        )  # fmt: skip
        self.dispatcher.schedule(message.sid, "sent", self.state.config.callback_delay_ms / 1000)
        return message.as_json()

    def on_conversation(self, request: Request) -> dict[str, Any]:
        """?phone=+1...: every message to or from that number, oldest first."""
        phone = request.args.get("phone", "").strip()
        if not E164.match(phone):
            raise AdminError("phone must be a phone number in E.164 form (+15551234567)")
        found = self.state.twilio.conversation(phone)
        return {"phone": phone, "messages": [m.as_json() for m in found]}
