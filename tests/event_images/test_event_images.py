"""Event images: upload, clean pictures, cache headers, the event's change, and bad input (nothing written)."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from PIL import Image

from app.event_images.pipeline import clean_event_image
from app.events.changes import EventChange
from app.events.schemas import Point
from config.settings import EventImageSettings, MediaSettings, Settings
from tests.accounts.helpers import bearer
from tests.venues.helpers import Team, event_at, team

PARIS = Point(lat=48.8566, lon=2.3522)


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    images = EventImageSettings(max_bytes=200_000, max_pixels=4_000_000)
    return settings.model_copy(update={"media": MediaSettings(root=str(tmp_path / "media")), "event_images": images})


@pytest.fixture
async def people(client: httpx.AsyncClient) -> Team:
    return await team(client)


@pytest.fixture
async def event_id(people: Team, database_url: str) -> UUID:
    return await event_at(database_url, people.org, None, PARIS)


def _photo(width: int = 1200, height: int = 800, *, orientation: int | None = None, fmt: str = "JPEG") -> bytes:
    """A picture with EXIF (camera, GPS) and, if given, an orientation tag."""
    picture = Image.new("RGB", (width, height), (200, 30, 30))
    picture.paste((30, 30, 200), (0, 0, width // 2, height))  # left half blue: shows a turn
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS
    if orientation is not None:
        exif[0x0112] = orientation
    out = io.BytesIO()
    picture.save(out, format=fmt, exif=exif.tobytes(), quality=70)
    return out.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


async def _upload(client: httpx.AsyncClient, event_id: UUID, who: Any, data: bytes, **kw: Any) -> httpx.Response:
    files = {"image": ("photo.jpg", data, kw.get("content_type", "image/jpeg"))}
    return await client.post(f"/api/v1/events/{event_id}/image", files=files, headers=bearer(who))


async def _image_key(database_url: str, event_id: UUID) -> str | None:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute("SELECT image_key FROM events WHERE id = %s", (event_id,))
        row = await cur.fetchone()
        assert row is not None
        return row[0]  # type: ignore[no-any-return]


async def test_an_upload_is_cleaned_resized_and_served_for_ever(
    app: FastAPI, client: httpx.AsyncClient, people: Team, event_id: UUID, database_url: str
) -> None:
    published: list[EventChange] = []

    async def seen(change: EventChange) -> None:
        published.append(change)

    app.state.after_commit.listen(EventChange, seen)
    # Orientation 6: the camera was turned; the stored picture is upright (800 wide, 1200 high).
    response = await _upload(client, event_id, people.editor, _photo(orientation=6))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (800, 1200)
    assert body["image_key"] == await _image_key(database_url, event_id)
    assert set(body["urls"]) == {"320", "960", "1920"}
    assert [change.aspects for change in published] == [frozenset({"details"})]
    for width, url in body["urls"].items():
        served = await client.get(url)
        assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
        assert "immutable" in served.headers["cache-control"] and "max-age=31536000" in served.headers["cache-control"]
        picture = Image.open(io.BytesIO(served.content))
        assert picture.format == "WEBP" and picture.width == min(int(width), 800)
        assert not picture.getexif() and "exif" not in picture.info and "xmp" not in picture.info
        top = picture.getpixel((picture.width // 2, 2))
        assert isinstance(top, tuple) and top[2] > 150  # the blue half is on top now: turned
    assert (await client.get(body["urls"]["320"].replace(".webp", ".png"))).status_code == 404
    # The event's detail and the lists name the same URLs.
    detail = await client.get(f"/api/v1/events/{event_id}")
    assert detail.status_code == 200 and detail.json()["image"] == body["urls"]
    listed = await client.get("/api/v1/events/nearby", params={"lat": PARIS.lat, "lon": PARIS.lon})
    assert [item["image"] for item in listed.json()["items"]] == [body["urls"]]
    # Removing it clears the key (the change is published); removing again writes nothing.
    assert (await client.delete(f"/api/v1/events/{event_id}/image", headers=bearer(people.owner))).status_code == 204
    assert await _image_key(database_url, event_id) is None
    assert (await client.delete(f"/api/v1/events/{event_id}/image", headers=bearer(people.owner))).status_code == 204
    assert len(published) == 2


@pytest.mark.parametrize(
    "data, status",
    [
        (b"GIF89a not really an image at all", 415),
        (b"%PDF-1.7 a document", 415),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, 415),  # JPEG magic, nothing behind it
        (_photo(400, 300)[:600], 422),  # a real JPEG's header, cut short
        (_bomb_png(30_000, 30_000), 422),  # 900 megapixels declared in 100 bytes
        (_bomb_png(2_100, 2_000), 422),  # over the limit of 4 MP, under Pillow's own
    ],
)
async def test_what_is_not_a_usable_image_is_refused(
    client: httpx.AsyncClient, people: Team, event_id: UUID, database_url: str, data: bytes, status: int
) -> None:
    response = await _upload(client, event_id, people.editor, data, content_type="image/png")
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await _image_key(database_url, event_id) is None


async def test_too_large_is_413_and_nothing_is_written(
    client: httpx.AsyncClient, people: Team, event_id: UUID, database_url: str, settings: Settings
) -> None:
    noise = Image.frombytes("RGB", (400, 400), random.Random(7).randbytes(400 * 400 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert len(out.getvalue()) > settings.event_images.max_bytes
    response = await _upload(client, event_id, people.editor, out.getvalue())
    assert response.status_code == 413 and response.json()["type"].endswith("/content-too-large")
    assert await _image_key(database_url, event_id) is None


async def test_only_editors_of_the_events_organizer(
    client: httpx.AsyncClient, people: Team, event_id: UUID, database_url: str
) -> None:
    photo = _photo(200, 100)
    assert (await _upload(client, event_id, people.outsider, photo)).status_code == 404
    assert (await _upload(client, event_id, people.checker, photo)).status_code == 403
    no_one = await client.post(f"/api/v1/events/{event_id}/image", files={"image": ("a.jpg", photo, "image/jpeg")})
    assert no_one.status_code == 401
    assert (await client.delete(f"/api/v1/events/{event_id}/image", headers=bearer(people.outsider))).status_code == 404
    assert await _image_key(database_url, event_id) is None


async def test_malformed_bodies(client: httpx.AsyncClient, people: Team, event_id: UUID) -> None:
    path = f"/api/v1/events/{event_id}/image"
    raw = await client.post(path, content=_photo(), headers={**bearer(people.editor), "content-type": "image/jpeg"})
    assert raw.status_code == 415
    wrong_field = await client.post(path, files={"picture": ("a.jpg", _photo(), "image/jpeg")},
                                    headers=bearer(people.editor))  # fmt: skip
    assert wrong_field.status_code == 400
    broken = await client.post(path, content=b"--x\r\nnonsense", headers={
        **bearer(people.editor), "content-type": "multipart/form-data; boundary=x"})  # fmt: skip
    assert broken.status_code == 400


def test_the_pipeline_keeps_no_metadata_and_never_scales_up() -> None:
    image = clean_event_image(_photo(100, 50, fmt="PNG"), max_pixels=10_000, widths=(320, 960))
    assert {width: Image.open(io.BytesIO(data)).width for width, data in image.variants.items()} == {320: 100, 960: 100}
    again = clean_event_image(_photo(100, 50, fmt="PNG"), max_pixels=10_000, widths=(320, 960))
    assert again.digest == image.digest  # content-addressed
