"""Render plain-text message templates in a Jinja2 sandbox bounded in steps, time and size
(messages/sandbox.py says how and why)."""

import functools
import re
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateError, TemplateNotFound

from messages.sandbox import MAX_SIZE, MessageSandbox, TemplateLimit, budget

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
_SUFFIX = ".txt"
_STRING_NAME = "<string>"
# Three or more newlines, allowing blank lines that hold only spaces or tabs.
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n){2,}")


class MessageTemplateError(Exception):
    """A message template is missing, malformed, unsafe or lacks a variable."""

    def __init__(self, name: str, reason: str) -> None:
        """Store the template name and the reason it failed."""
        super().__init__(f"message template {name!r}: {reason}")
        self.name = name
        self.reason = reason


@functools.cache
def environment() -> MessageSandbox:
    """Build the shared sandboxed environment on first use."""
    return MessageSandbox(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _tidy(text: str) -> str:
    """Strip surrounding whitespace and collapse runs of blank lines to one."""
    return _BLANK_RUN.sub("\n\n", text).strip()


def _reason(exc: Exception) -> str:
    """Describe a Jinja2 error (or what the template's code raised) for a MessageTemplateError."""
    if isinstance(exc, TemplateNotFound):
        return f"template not found ({exc.name})"
    if isinstance(exc, TemplateLimit):
        return str(exc.message)
    if isinstance(exc, TemplateError):
        return f"{type(exc).__name__}: {exc.message or exc}"
    return f"{type(exc).__name__}: {exc}"


def _bounded(template: Template, context: dict[str, Any]) -> str:
    """The template's output, within the sandbox's budget and at most MAX_SIZE characters."""
    parts, size = [], 0
    with budget():
        for part in template.generate(**context):
            size += len(part)
            if size > MAX_SIZE:
                raise TemplateLimit(f"the text is longer than {MAX_SIZE} characters")
            parts.append(part)
    return _tidy("".join(parts))


def render(name: str, **context: Any) -> str:
    """Render templates/<name>.txt with the given context."""
    try:
        return _bounded(environment().get_template(name + _SUFFIX), context)
    except Exception as exc:  # whatever the template's code raised (1 / 0 included)
        raise MessageTemplateError(name, _reason(exc)) from exc


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """A template source compiled once (Jinja2 does not cache from_string): a broadcast
    renders one source for every fan, and compiling costs some 50 times the rendering."""
    return environment().from_string(source)


def render_string(source: str, **context: Any) -> str:
    """Render an artist-written template source in the same sandbox."""
    try:
        return _bounded(_compiled(source), context)
    except Exception as exc:  # whatever the template's code raised (1 / 0 included)
        raise MessageTemplateError(_STRING_NAME, _reason(exc)) from exc


def template_names() -> list[str]:
    """Return the sorted names (without .txt) of all message templates."""
    return sorted(
        path.removesuffix(_SUFFIX)
        for path in environment().list_templates()
        if path.endswith(_SUFFIX)
    )
