"""Plain-text fan message templates and SMS segment counting."""

from messages.render import MessageTemplateError, render, render_string, template_names
from messages.segments import SegmentInfo, count_segments

__all__ = [
    "MessageTemplateError",
    "SegmentInfo",
    "count_segments",
    "render",
    "render_string",
    "template_names",
]
