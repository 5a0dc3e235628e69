"""The templates a message can be scheduled from, as `presave templates list` and the
messages page show them."""

from __future__ import annotations

from dataclasses import dataclass

from messages import catalog


@dataclass(frozen=True)
class TemplateChoice:
    """One built-in template: its channels, default moment and one-line description."""

    name: str
    description: str
    before: str  # its default moment before the release (`7d`, `1h`; `0` for drop-live)
    channels: tuple[str, ...]
    text: str
    at_drop: bool  # sent when the release is found live, not at a moment before it


def choices() -> list[TemplateChoice]:
    """Every built-in template, in the catalog's order."""
    return [
        TemplateChoice(
            t.name, t.description, catalog.offset_text(t.offset), t.channels, t.body,
            t.name == catalog.DROP,
        )
        for t in catalog.builtins().values()
    ]  # fmt: skip
