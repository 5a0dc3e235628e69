"""What every command shares: one-line errors, argparse without usage dumps, JSON and plurals."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, TypeAlias

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input on the command line: printed as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as one `error:` line, never a usage dump."""

    def error(self, message: str) -> NoReturn:
        """Raise `<field>: <problem>` instead of printing usage and exiting."""
        raise UsageError(argparse_field_message(message))


# The subcommands of a group (`presave campaign ...`), as argparse hands them out.
Group: TypeAlias = "argparse._SubParsersAction[Parser]"


def argparse_field_message(message: str) -> str:
    """Rewrite argparse's wording so the line starts with the field it is about."""
    if message.startswith("argument "):
        return message.removeprefix("argument ")
    required = "the following arguments are required: "
    if message.startswith(required):
        return f"{message.removeprefix(required).split(',')[0]}: required"
    unknown = "unrecognized arguments: "
    if message.startswith(unknown):
        return f"{message.removeprefix(unknown).split()[0]}: not an option of this command"
    return f"arguments: {message}"


def refuse_undecodable(argv: Sequence[str], parsed: dict[str, Any]) -> None:
    """UsageError naming the first argument that is not UTF-8 (Python keeps its bytes as
    lone surrogates, which nothing downstream can print or store)."""
    for index, arg in enumerate(argv):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            flag, sep, _ = arg.partition("=")
            before = argv[index - 1] if index else ""
            named = [dest for dest, value in parsed.items() if value == arg]
            if sep and flag.startswith("--"):
                field = flag
            elif before.startswith("--"):
                field = before
            else:
                field = named[0] if named else f"argument {index + 1}"
            raise UsageError(
                f"{field}: not valid UTF-8 text (check the terminal's encoding)"
            ) from None


def fail(message: str) -> int:
    """Print `error: message` and return the usage exit code."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def print_json(value: object) -> None:
    """Machine-readable output of the read commands (`--json`)."""
    print(json.dumps(value, indent=2, sort_keys=False))


def plural(count: int, noun: str) -> str:
    """`1 server`, `2 servers`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def segments_line(info: Any) -> str:
    """`2 SMS segments (GSM-7)`."""
    return f"{info.segments} SMS segment{'s' if info.segments != 1 else ''} ({info.encoding})"


def message_line(row: dict[str, Any]) -> str:
    """One scheduled message and its deliveries, on one line."""
    counts = ", ".join(f"{k} {v}" for k, v in sorted(row["deliveries"].items())) or "none yet"
    channels = ",".join(row["channels"])
    return (
        f"{row['id']:>5}  {row['send_at']}  {row['template']:<13} {channels:<12} "
        f"{row['status']:<10} deliveries: {counts}"
    )
