"""Schedulable messages: built-in templates with a front matter, the variables they may use,
and the values those variables take (time left, release time in the fan's zone)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import TemplateSyntaxError, meta

from messages.render import TEMPLATES_DIR, environment

# What every schedulable message may use; the drop message may also say whether it saved.
VARIABLES = frozenset({"artist", "title", "link", "time_left", "release_local"})
DROP_VARIABLES = VARIABLES | {"saved"}
DROP = "drop-live"
CHANNELS = ("sms", "discord")
_FRONT = re.compile(r"\A---\n(?P<head>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)
_OFFSET = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?")
MAX_OFFSET = timedelta(days=90)
MAX_SOURCE = 4_000  # characters of an artist's text (what it renders to is bounded too)


class TemplateProblem(ValueError):
    """A template or an offset that cannot be used; the message says why."""


@dataclass(frozen=True)
class MessageTemplate:
    """A message an artist can schedule: its default moment and channels, and its text."""

    name: str
    description: str
    offset: timedelta  # before the release; zero for the drop message (sent at detection)
    channels: tuple[str, ...]
    body: str

    @property
    def allowed(self) -> frozenset[str]:
        """The variables its text may use."""
        return DROP_VARIABLES if self.name == DROP else VARIABLES


def parse_offset(text: str) -> timedelta:
    """`7d`, `1d12h`, `1h`, `30m` (or `0`) as a duration; TemplateProblem otherwise."""
    raw = text.strip().lower()
    found = _OFFSET.fullmatch(raw) if raw else None
    if raw == "0":
        return timedelta(0)
    if found is None or not any(found.groupdict().values()):
        raise TemplateProblem(f"{text!r} is not a duration like 7d, 1d12h, 1h or 30m")
    parts = {k: int(v or 0) for k, v in found.groupdict().items()}
    offset = timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"])
    if offset > MAX_OFFSET:
        raise TemplateProblem(f"{text!r} is more than 90 days")
    return offset


def offset_text(offset: timedelta) -> str:
    """A duration the way parse_offset reads it: `7d`, `1d12h`, `30m` (`0` for none)."""
    minutes = int(offset.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n)
    return text or "0"


def parse(text: str, origin: str) -> MessageTemplate:
    """A template file: front matter (name, description, offset, channels), then the text."""
    found = _FRONT.match(text)
    if found is None:
        raise TemplateProblem(f"{origin}: no front matter between --- lines")
    head: dict[str, str] = {}
    for line in found["head"].splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise TemplateProblem(f"{origin}: front matter line {line!r} is not `key: value`")
        head[key.strip()] = value.strip()
    missing = {"name", "description", "offset", "channels"} - set(head)
    if missing:
        raise TemplateProblem(f"{origin}: front matter lacks {', '.join(sorted(missing))}")
    template = MessageTemplate(
        name=head["name"],
        description=head["description"],
        offset=parse_offset(head["offset"]),
        channels=parse_channels(head["channels"]),
        body=found["body"].strip(),
    )
    check(template.body, template.allowed)
    return template


def parse_channels(text: str) -> tuple[str, ...]:
    """`sms,discord` as a tuple; TemplateProblem for anything else."""
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in CHANNELS]
    if not names or unknown:
        raise TemplateProblem(f"channels must be sms, discord or both, not {text!r}")
    return names


def check(body: str, allowed: frozenset[str]) -> None:
    """Refuse a text that does not parse or uses a variable it may not (naming them)."""
    if not body.strip():
        raise TemplateProblem("the text is empty")
    if len(body) > MAX_SOURCE:
        raise TemplateProblem(f"the text is longer than {MAX_SOURCE} characters")
    try:
        used = meta.find_undeclared_variables(environment().parse(body))
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            f"the text does not parse: {exc.message} (line {exc.lineno})"
        ) from None
    except RecursionError:
        raise TemplateProblem("the text does not parse: nested too deeply") from None
    unknown = sorted(used - allowed)
    if unknown:
        raise TemplateProblem(
            f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"a message may use {', '.join(sorted(allowed))}"
        )


@functools.cache
def builtins() -> dict[str, MessageTemplate]:
    """The built-in schedulable templates (the files that start with a front matter)."""
    found = {}
    for path in sorted(TEMPLATES_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n"):
            template = parse(text, path.name)
            found[template.name] = template
    return found


def time_left(delta: timedelta) -> str:
    """A duration as people say it: `7 days`, `1 day`, `23 hours`, `45 minutes`."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, hours = minutes // 1440, minutes // 60
    if days >= 2 or (days == 1 and hours >= 36):
        count, unit = round(minutes / 1440), "day"
    elif hours >= 1 and minutes >= 90:
        count, unit = round(minutes / 60), "hour"
    elif minutes >= 60:
        count, unit = 1, "hour"
    elif minutes >= 1:
        count, unit = minutes, "minute"
    else:
        return "less than a minute"
    return f"{count} {unit}{'s' if count != 1 else ''}"


def release_local(release_at: datetime, zone: str | None, fallback: str) -> str:
    """The release time in the fan's zone (else the artist's): `Fri Dec 4, 12:00 AM EST`."""
    try:
        tz = ZoneInfo(zone or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo(fallback)
    local = release_at.astimezone(tz)
    clock = local.strftime("%I:%M %p").lstrip("0")
    return f"{local.strftime('%a %b')} {local.day}, {clock} {local.tzname()}"
