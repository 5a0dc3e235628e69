"""What a valid campaign form posts in the artist app's tests."""

from __future__ import annotations


def campaign_form(csrf: str, **changes: object) -> dict[str, object]:
    """A valid new-campaign form (drop `artist` for the edit form), with `changes`."""
    form: dict[str, object] = {
        "csrf_token": csrf,
        "artist": "Lio Hart",
        "title": "Paper Moons",
        "keyword": "moons",
        "release_local": "2030-03-05T00:00",
        "timezone": "America/New_York",
        "spotify_album_id": "4aawyAB9vmqN3uQ7FjRGTy",
        "upc": "",
        "isrc": "",
        "spotify_artist_id": "",
        "follow": "y",
    }
    form.update(changes)
    return form
