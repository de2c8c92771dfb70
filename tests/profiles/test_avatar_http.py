"""PUT /api/v1/me/avatar: the upload attacks are refused, a good upload is stored clean and served cached."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from config.settings import MediaSettings, Settings
from tests.accounts.helpers import SignedIn, bearer, sign_up
from tests.profiles.images import ARTIST_NAME, CAMERA_MAKE, gif, huge_dimensions_png, photo_with_exif

AVATAR = "/api/v1/me/avatar"
MAX_BYTES = 200_000


@pytest.fixture
def settings(settings: Settings, media_root: Path) -> Settings:
    media = MediaSettings(root=str(media_root), avatar_max_bytes=MAX_BYTES, avatar_max_pixels=4_000_000)
    return settings.model_copy(update={"media": media})


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> SignedIn:
    return await sign_up(client, "alice@example.com")


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


async def _upload(
    client: httpx.AsyncClient, who: SignedIn, data: bytes, content_type: str = "image/jpeg"
) -> httpx.Response:
    return await client.put(AVATAR, content=data, headers={**bearer(who), "Content-Type": content_type})


async def test_upload_is_stored_clean_and_served_with_long_cache(
    client: httpx.AsyncClient, alice: SignedIn, media_root: Path
) -> None:
    response = await _upload(client, alice, photo_with_exif())
    assert response.status_code == 200, response.text
    url = response.json()["avatar_url"]
    assert url.startswith("/media/avatars/") and url.endswith(".webp")
    assert (await client.get("/api/v1/me", headers=bearer(alice))).json()["avatar_url"] == url

    served = await client.get(url)  # public: no token needed to show a face beside a name
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    picture = Image.open(io.BytesIO(served.content))
    assert picture.format == "WEBP" and picture.size == (512, 512)
    assert dict(picture.getexif()) == {} and "exif" not in picture.info
    for secret in (CAMERA_MAKE.encode(), ARTIST_NAME.encode(), b"Exif", b"taken at home"):
        assert secret not in served.content
    # What is on disk is that clean file and nothing else (the upload itself was never written).
    assert [path.read_bytes() for path in _files(media_root)] == [served.content]
    assert str(alice.account_id) not in url


async def test_a_new_upload_replaces_the_old_file(
    client: httpx.AsyncClient, alice: SignedIn, media_root: Path
) -> None:
    first = (await _upload(client, alice, photo_with_exif())).json()["avatar_url"]
    second = (await _upload(client, alice, photo_with_exif((300, 300)), "image/png")).json()["avatar_url"]
    assert first != second
    assert (await client.get(first)).status_code == 404
    assert (await client.get(second)).status_code == 200
    assert len(_files(media_root)) == 1

    assert (await client.delete(AVATAR, headers=bearer(alice))).status_code == 204
    assert (await client.get(second)).status_code == 404
    assert _files(media_root) == []
    assert (await client.get("/api/v1/me", headers=bearer(alice))).json()["avatar_url"] is None


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"GIF89a" + bytes(200), "image/gif", 415),
        (gif(), "image/gif", 415),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml", 415),
        (b"<html><script>alert(1)</script></html>", "image/jpeg", 415),  # lies about its type
        (b"\xff\xd8\xff\xe0" + b"A" * 500, "image/jpeg", 422),  # JPEG magic, then garbage
        (b"", "image/png", 415),
        (photo_with_exif(), "text/html", 415),  # a real image, declared as something else
        (photo_with_exif(), "multipart/form-data; boundary=x", 415),
        (huge_dimensions_png(), "image/png", 422),  # few bytes, too many pixels
    ],
    ids=["gif-magic", "gif", "svg", "html-as-jpeg", "jpeg-garbage", "empty", "declared-html", "multipart", "bomb"],
)
async def test_upload_attacks_are_refused_and_store_nothing(
    client: httpx.AsyncClient, alice: SignedIn, media_root: Path, data: bytes, content_type: str, status: int
) -> None:
    response = await _upload(client, alice, data, content_type)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _files(media_root) == []
    assert (await client.get("/api/v1/me", headers=bearer(alice))).json()["avatar_url"] is None


async def test_too_large_by_declared_length_is_413(
    client: httpx.AsyncClient, alice: SignedIn, media_root: Path
) -> None:
    response = await _upload(client, alice, bytes(MAX_BYTES + 1), "image/png")
    assert response.status_code == 413
    assert response.json()["param"] == "avatar"
    assert _files(media_root) == []


async def test_too_large_when_streamed_without_a_length_is_413(
    client: httpx.AsyncClient, alice: SignedIn, media_root: Path
) -> None:
    """A chunked body (no Content-Length) is cut off at the limit, not read to its end."""

    async def chunks() -> AsyncIterator[bytes]:
        yield photo_with_exif()[:1000]
        for _ in range(100):
            yield bytes(16_384)

    response = await client.put(
        AVATAR, content=chunks(), headers={**bearer(alice), "Content-Type": "image/jpeg"}
    )
    assert response.status_code == 413
    assert _files(media_root) == []


async def test_upload_needs_a_signed_in_person(client: httpx.AsyncClient, media_root: Path) -> None:
    response = await client.put(AVATAR, content=photo_with_exif(), headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 401
    assert _files(media_root) == []


@pytest.mark.parametrize(
    "path",
    [
        "/media/avatars/..%2F..%2Fetc/passwd",
        "/media/avatars/abcdefghijklmnopqrstuv/..%2F..%2F..%2Fpyproject.toml",
        "/media/avatars/abcdefghijklmnopqrstuv/missing.webp",
        "/media/avatars/abcdefghijklmnopqrstuv/.upload-x",
    ],
)
async def test_media_paths_cannot_leave_the_media_root(client: httpx.AsyncClient, app: FastAPI, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
