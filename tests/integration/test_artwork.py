"""Campaign artwork: uploads judged by their bytes (not their name), kept by content hash
under the instance folder and served by /artwork/<name>; https URLs; fan pages show both."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.models import Campaign
from core.services import artwork
from core.settings import Settings
from core.validation import ValidationError
from tests.factories import make_campaign

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40


def upload(db: Session, settings: Settings, campaign: Campaign, data: bytes) -> str:
    url = artwork.upload(db, settings.instance_path, campaign.id, io.BytesIO(data))
    db.commit()
    return url


@pytest.mark.parametrize(("data", "kind"), [(PNG, "png"), (JPEG, "jpg"), (WEBP, "webp")])
def test_images_are_known_by_their_bytes(
    db: Session, settings: Settings, data: bytes, kind: str
) -> None:
    campaign = make_campaign(db)
    url = upload(db, settings, campaign, data)
    assert url.startswith("/artwork/") and url.endswith(f".{kind}")
    kept = settings.instance_path / "artwork" / url.removeprefix("/artwork/")
    assert kept.read_bytes() == data
    db.expire_all()
    assert db.get(Campaign, campaign.id).artwork_url == url  # type: ignore[union-attr]


def test_a_png_named_jpg_is_a_png_and_the_same_image_is_kept_once(
    db: Session, settings: Settings, client: FlaskClient
) -> None:
    campaign = make_campaign(db)
    client_named = io.BytesIO(PNG)
    client_named.name = "cover.jpg"  # what the browser said: ignored
    url = artwork.upload(db, settings.instance_path, campaign.id, client_named)
    db.commit()
    assert url.endswith(".png")
    assert upload(db, settings, campaign, PNG) == url
    assert len(list((settings.instance_path / "artwork").iterdir())) == 1
    response = client.get(url)
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"just some text, named cover.png", "not one"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not one"),
        (b"GIF89a" + b"\x00" * 20, "not one"),
        (b"", "empty"),
        (PNG + b"\x00" * (2 * 1024 * 1024), "larger"),
    ],
)
def test_anything_else_is_refused_and_nothing_kept(
    db: Session, settings: Settings, data: bytes, why: str
) -> None:
    campaign = make_campaign(db)
    with pytest.raises(ValidationError) as raised:
        artwork.upload(db, settings.instance_path, campaign.id, io.BytesIO(data))
    assert raised.value.field == "artwork" and why in raised.value.accepted
    assert "PNG, JPEG or WebP image of at most 2 MB" in raised.value.accepted
    assert not (settings.instance_path / "artwork").exists()


def test_exactly_two_megabytes_is_taken(db: Session, settings: Settings) -> None:
    campaign = make_campaign(db)
    data = PNG + b"\x00" * (2 * 1024 * 1024 - len(PNG))
    assert upload(db, settings, campaign, data).endswith(".png")


@pytest.mark.parametrize(
    "path",
    [
        "/artwork/..%2Fpresave.db",
        "/artwork/../presave.db",
        "/artwork/%2e%2e%2fsecret_key",
        "/artwork/" + "a" * 64 + ".svg",
        "/artwork/" + "A" * 64 + ".png",
        "/artwork/" + "0" * 64 + ".png",  # well-formed, never uploaded
        "/artwork/.upload-x",
    ],
)
def test_the_route_serves_only_kept_images(
    client: FlaskClient, settings: Settings, path: str
) -> None:
    (settings.instance_path / "artwork").mkdir(exist_ok=True)
    (settings.instance_path / "artwork" / ".upload-x").write_bytes(b"half")
    assert client.get(path).status_code == 404


def test_stored_file_refuses_names_outside_the_folder(settings: Settings) -> None:
    for name in ("../secret_key", "/etc/passwd", "a" * 64 + ".png/../x", "x.png"):
        assert artwork.stored_file(settings.instance_path, name) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.example.test/cover.jpg",
        "javascript:alert(1)",
        "https://",
        "https://user:pw@cdn.example.test/c.jpg",
        "https://cdn.example.test/a b.jpg",
        "https://cdn.example.test/" + "a" * 500,
        "",
    ],
)
def test_artwork_urls_must_be_https_and_short(db: Session, url: str) -> None:
    campaign = make_campaign(db)
    with pytest.raises(ValidationError) as raised:
        artwork.set_url(db, campaign.id, url)
    assert raised.value.field == "artwork_url"


def test_fan_pages_show_a_kept_image_and_an_https_url_at_the_same_size(
    db: Session, settings: Settings, client: FlaskClient
) -> None:
    campaign = make_campaign(db)
    url = upload(db, settings, campaign, JPEG)
    page = client.get(f"/c/{campaign.slug}").get_data(as_text=True)
    assert f'src="{url}"' in page and 'width="320" height="320"' in page
    artwork.set_url(db, campaign.id, "https://cdn.example.test/cover.webp")
    db.commit()
    page = client.get(f"/c/{campaign.slug}").get_data(as_text=True)
    assert 'src="https://cdn.example.test/cover.webp"' in page
    assert 'width="320" height="320"' in page


def test_a_stored_url_that_is_neither_is_not_shown(db: Session, client: FlaskClient) -> None:
    campaign = make_campaign(db)
    for bad in ("http://cdn.example.test/c.jpg", "/artwork/../secret_key", "javascript:x"):
        db.query(Campaign).filter_by(id=campaign.id).update({"artwork_url": bad})
        db.commit()
        page = client.get(f"/c/{campaign.slug}").get_data(as_text=True)
        assert '<img class="cover"' not in page, bad
