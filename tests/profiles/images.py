"""Test images made on the spot: photos with EXIF (GPS, camera, orientation), odd formats, bombs."""

from __future__ import annotations

import io

from PIL import Image

GPS_TAG = 0x8825
ORIENTATION = 0x0112
MAKE, MODEL, ARTIST = 0x010F, 0x0110, 0x013B
CAMERA_MAKE = "SecretCam Inc"
ARTIST_NAME = "Alice Quokka-Exif"


def photo_with_exif(size: tuple[int, int] = (1200, 800), *, orientation: int = 1, fmt: str = "JPEG") -> bytes:
    """A photo whose EXIF names the camera and the artist and holds a GPS position (and an orientation)."""
    picture = Image.new("RGB", size, (200, 30, 30))
    picture.paste((30, 30, 200), (0, 0, size[0] // 2, size[1] // 2))  # a blue top-left quarter
    exif = Image.Exif()
    exif[MAKE] = CAMERA_MAKE
    exif[MODEL] = "Model 7"
    exif[ARTIST] = ARTIST_NAME
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_TAG).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 21.0, 8.0)})
    out = io.BytesIO()
    extra = {"comment": b"taken at home"} if fmt == "JPEG" else {}
    picture.save(out, format=fmt, exif=exif.tobytes(), **extra)
    return out.getvalue()


def png_with_text(size: tuple[int, int] = (300, 200)) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", ARTIST_NAME)
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 128)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, format="GIF")
    return out.getvalue()


def huge_dimensions_png(width: int = 4_000, height: int = 3_000) -> bytes:
    """A small file that declares many pixels (a decompression bomb, for a low pixel limit)."""
    out = io.BytesIO()
    Image.new("1", (width, height), 0).save(out, format="PNG", optimize=True)
    return out.getvalue()
