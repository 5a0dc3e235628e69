"""presave sandbox text|messages: talk to the local stand-in of Twilio as a fan would."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

from cli.output import Group, Parser, print_json
from core.sandbox_address import SandboxNotRunning, sandbox_base
from core.settings import Settings
from core.validation import ValidationError

E164_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_SMS_BODY = 1600


def _phone(value: str) -> str:
    phone = value.strip()
    if not E164_PHONE.match(phone):
        raise ValidationError("phone", "a number in E.164 form, e.g. +14155550101")
    return phone


def _sandbox_answer(ask: Callable[[], tuple[int, Any]]) -> Any:
    """The sandbox's JSON answer; its 400 is a usage error, anything else not 200 a failure."""
    from sandbox.client import SandboxUnreachable

    try:
        status, data = ask()
    except SandboxUnreachable as exc:
        raise SandboxNotRunning(str(exc)) from None
    if status == 400:
        raise ValidationError("sandbox", str(data.get("error") if isinstance(data, dict) else data))
    if status != 200:
        problem = data.get("error") if isinstance(data, dict) else data
        raise SandboxNotRunning(f"answered {status}: {problem}")
    return data


def _conversation_line(message: dict[str, Any]) -> str:
    inbound = message.get("direction") == "inbound"
    who = f"{message['from']} ->" if inbound else f"   -> {message['to']}"
    return f"{message['date_created']}  {who}  [{message['status']}]  {message['body']}"


def cmd_sandbox_text(settings: Settings, args: argparse.Namespace) -> int:
    """presave sandbox text PHONE BODY: a fan texts our number (delivered to our webhook)."""
    from sandbox import client

    phone = _phone(args.phone)
    body = args.body.strip()
    if not body or len(body) > MAX_SMS_BODY:
        raise ValidationError("text", f"1 to {MAX_SMS_BODY} characters")
    data = _sandbox_answer(lambda: client.text_us(sandbox_base(settings), phone, body))
    if args.json:
        print_json(data)
        return 0
    print(f"{phone} -> {body}")
    for reply in data["replies"]:
        print(f"   <- {reply['body']}")
    if not data["replies"]:
        print("   (no reply)")
    return 0


def cmd_sandbox_messages(settings: Settings, args: argparse.Namespace) -> int:
    """presave sandbox messages PHONE: the conversation with that phone, oldest first."""
    from sandbox import client

    phone = _phone(args.phone)
    data = _sandbox_answer(lambda: client.conversation(sandbox_base(settings), phone))
    if args.json:
        print_json(data["messages"])
    elif not data["messages"]:
        print(f"no messages to or from {phone} yet")
    else:
        print("\n".join(_conversation_line(m) for m in data["messages"]))
    return 0


def register(sub: Group) -> None:
    """The `sandbox` subcommands."""
    sandbox = sub.add_parser(
        "sandbox", help="the local stand-ins `presave up` runs without credentials"
    ).add_subparsers(dest="subcommand", required=True, parser_class=Parser)
    stext = sandbox.add_parser("text", help="a fan texts our number (delivered to our webhook)")
    stext.add_argument("phone", help="the fan's number, e.g. +14155550101")
    stext.add_argument("body", help="what they text, e.g. the campaign keyword")
    stext.add_argument("--json", action="store_true")
    stext.set_defaults(func=cmd_sandbox_text)
    smessages = sandbox.add_parser("messages", help="the texts to and from one phone")
    smessages.add_argument("phone")
    smessages.add_argument("--json", action="store_true")
    smessages.set_defaults(func=cmd_sandbox_messages)
