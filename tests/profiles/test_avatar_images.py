"""Avatar cleaning: recognised by content, bounded in pixels, oriented, squared, and stripped of metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.profiles.avatars import clean_avatar
from app.profiles.errors import UnreadableImage, UnsupportedMediaType
from tests.profiles.images import ARTIST_NAME, CAMERA_MAKE, gif, huge_dimensions_png, photo_with_exif, png_with_text

LIMITS = {"size_px": 256, "max_pixels": 5_000_000}


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG"])
def test_metadata_is_gone_whatever_the_format(fmt: str) -> None:
    original = photo_with_exif(fmt=fmt)
    assert CAMERA_MAKE.encode() in original
    cleaned = clean_avatar(original, **LIMITS)
    picture = _open(cleaned)
    assert picture.format == "WEBP"
    assert dict(picture.getexif()) == {}
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(picture.info)
    for secret in (CAMERA_MAKE.encode(), ARTIST_NAME.encode(), b"Exif", b"taken at home"):
        assert secret not in cleaned


def test_png_text_chunks_are_gone() -> None:
    cleaned = clean_avatar(png_with_text(), **LIMITS)
    assert ARTIST_NAME.encode() not in cleaned
    assert _open(cleaned).mode == "RGBA"  # transparency kept


def test_cropped_to_a_square_and_scaled_down_never_up() -> None:
    assert _open(clean_avatar(photo_with_exif((1200, 800)), **LIMITS)).size == (256, 256)
    assert _open(clean_avatar(photo_with_exif((90, 120)), **LIMITS)).size == (90, 90)


def test_camera_orientation_is_applied_before_the_tag_goes() -> None:
    # Orientation 6: the camera was turned; the top-left blue quarter ends up top-right.
    picture = _open(clean_avatar(photo_with_exif((400, 400), orientation=6), **LIMITS)).convert("RGB")
    red, _green, blue = picture.getpixel((picture.width - 10, 10))  # type: ignore[misc]
    assert blue > 150 and red < 100


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a" + bytes(100),
        gif(),
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"%PDF-1.7\n",
        b"\x89PNG\r\n\x1a\n",  # only the signature
        b"not an image at all",
    ],
    ids=["empty", "gif-magic", "real-gif", "svg", "pdf", "png-signature-only", "text"],
)
def test_anything_but_jpeg_png_webp_is_refused(data: bytes) -> None:
    with pytest.raises((UnsupportedMediaType, UnreadableImage)):
        clean_avatar(data, **LIMITS)


def test_a_jpeg_named_png_is_judged_by_its_bytes() -> None:
    # The declared type never matters: JPEG bytes are read as JPEG.
    assert _open(clean_avatar(photo_with_exif(), **LIMITS)).format == "WEBP"


def test_truncated_image_behind_valid_magic_bytes_is_unreadable() -> None:
    data = photo_with_exif()
    with pytest.raises(UnreadableImage):
        clean_avatar(data[: len(data) // 3], **LIMITS)


def test_too_many_pixels_is_refused_before_decoding() -> None:
    with pytest.raises(UnreadableImage, match="pixels"):
        clean_avatar(huge_dimensions_png(), size_px=256, max_pixels=1_000_000)
