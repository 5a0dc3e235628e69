"""A campaign's cover art: an uploaded image kept under the instance folder, or an https URL.

The image's kind is read from its first bytes, never from its name or the client's content
type, so a page can only ever serve PNG, JPEG or WebP under their own types.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from core.services import campaigns
from core.validation import ValidationError

MAX_BYTES = 2 * 1024 * 1024
MAX_URL = 500  # the artwork_url column
ROUTE = "/artwork/"
TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
NAME_RE = re.compile(r"[0-9a-f]{64}\.(png|jpg|webp)")
ACCEPTED = "a PNG, JPEG or WebP image of at most 2 MB"


def kind_of(head: bytes) -> str | None:
    """The image's file extension by its magic bytes (png, jpg, webp), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def folder(instance_path: Path) -> Path:
    """Where uploaded artwork is kept."""
    return instance_path / "artwork"


def checked_image(stream: BinaryIO) -> tuple[bytes, str]:
    """The image's bytes and extension; ValidationError for anything else or over 2 MB."""
    data = stream.read(MAX_BYTES + 1)
    if not data:
        raise ValidationError("artwork", f"{ACCEPTED}; the file is empty")
    if len(data) > MAX_BYTES:
        raise ValidationError("artwork", f"{ACCEPTED}; this file is larger")
    kind = kind_of(data[:12])
    if kind is None:
        raise ValidationError("artwork", f"{ACCEPTED}; this file is not one (by its content)")
    return data, kind


def store(instance_path: Path, data: bytes, kind: str) -> str:
    """Keep the image under its content hash (the same image is kept once); its name."""
    name = f"{hashlib.sha256(data).hexdigest()}.{kind}"
    target = folder(instance_path)
    target.mkdir(parents=True, exist_ok=True)
    if not (target / name).exists():  # written whole, then renamed: never served half
        fd, temp = tempfile.mkstemp(dir=target, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target / name)
    return name


def upload(session: Session, instance_path: Path, campaign_id: int, stream: BinaryIO) -> str:
    """Check and keep an uploaded image as the campaign's artwork; its URL (/artwork/NAME)."""
    campaign = campaigns.by_id(session, campaign_id)
    data, kind = checked_image(stream)
    campaign.artwork_url = ROUTE + store(instance_path, data, kind)
    session.flush()
    return campaign.artwork_url


def checked_url(value: str | None) -> str:
    """An https URL of an image on the artist's own host or CDN."""
    url = (value or "").strip()
    accepted = f"an https:// address of at most {MAX_URL} characters"
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        raise ValidationError("artwork_url", accepted)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValidationError("artwork_url", accepted) from None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ValidationError("artwork_url", accepted)
    return url


def set_url(session: Session, campaign_id: int, value: str | None) -> str:
    """Use an image at an https URL as the campaign's artwork."""
    campaign = campaigns.by_id(session, campaign_id)
    campaign.artwork_url = checked_url(value)
    session.flush()
    return campaign.artwork_url


def stored_file(instance_path: Path, name: str) -> tuple[Path, str] | None:
    """A kept image by its name, and its content type; None for any other name."""
    found = NAME_RE.fullmatch(name)
    if found is None:
        return None
    path = folder(instance_path) / name
    return (path, TYPES[found.group(1)]) if path.is_file() else None


def shown(url: str | None) -> str | None:
    """The artwork a fan page may show: an https URL or one of our kept images."""
    if url and (url.startswith("https://") or NAME_RE.fullmatch(url.removeprefix(ROUTE))):
        return url
    return None
