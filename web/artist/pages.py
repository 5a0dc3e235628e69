"""Error pages in the artist app's layout (fan pages keep theirs)."""

from __future__ import annotations

from flask import Response, request

from web.page_support import error_page, page


def artist_error(status: int, title: str, message: str) -> Response:
    """A page saying what went wrong, with the app's header and navigation."""
    return page("artist/error.html", status, title=title, message=message)


def any_error(status: int, title: str, message: str) -> Response:
    """The artist layout under /app, the fan layout everywhere else."""
    if request.path.startswith("/app/"):
        return artist_error(status, title, message)
    return error_page(status, title, message)
