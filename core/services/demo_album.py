"""The demo release: its names and ids, the album the sandbox's Spotify catalogue is given,
and its cover (a small PNG drawn here, so nothing binary is bundled)."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime
from typing import Any

from core.services.sandbox_discord import DEMO_GUILD_ID

TEAM = "Mira Vale team"
OWNER_EMAIL = "demo-artist@example.com"
ARTIST = "Mira Vale"
TITLE = "Night Bloom"
KEYWORD = "BLOOM"
TIMEZONE = "America/Los_Angeles"
# Spotify ids are 22 base62 characters; these exist only in the sandbox.
ALBUM_ID = "NightBloomMiraVale0001"
ARTIST_ID = "MiraValeSandboxArtist1"
TRACKS = (("Night Bloom", "QZDEM2600001"), ("Moth Light", "QZDEM2600002"))
# The demo Discord server (seeded in the sandbox by its Discord console) and the channel and
# role the campaign is bound to there.
GUILD_ID = DEMO_GUILD_ID
GUILD_NAME = "Night Bloom Fans"
CHANNEL_ID = "1300000000000000011"
ROLE_ID = "1300000000000000021"
COVER_SIZE = 96


def album_body(release_at: datetime) -> dict[str, Any]:
    """What POST /_sandbox/albums takes: live everywhere at the release time, not before."""
    return {
        "id": ALBUM_ID,
        "name": TITLE,
        "artist_id": ARTIST_ID,
        "artist_name": ARTIST,
        "release_date": release_at.date().isoformat(),
        "tracks": [{"name": name, "isrc": isrc} for name, isrc in TRACKS],
        "everywhere_at": release_at.isoformat(),
    }


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def cover_png(size: int = COVER_SIZE) -> bytes:
    """A night-blue square with a pale bloom in its middle, as PNG bytes."""
    rows = []
    middle = (size - 1) / 2
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            near = 1 - min(1.0, ((x - middle) ** 2 + (y - middle) ** 2) ** 0.5 / (size / 2.4))
            row += bytes((int(24 + 220 * near**2), int(20 + 150 * near**2), int(70 + 150 * near)))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
