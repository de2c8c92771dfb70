"""Event images: what an upload must be, and the clean pictures kept of it (CPU work: run in a thread).

1. The format is judged by the bytes (Pillow's JPEG, PNG and WebP plugins check magic numbers);
   the client's ``Content-Type`` is not trusted.
2. The pixel count (width x height, from the header) is checked before any pixel is decoded:
   Pillow itself raises only above twice ``MAX_IMAGE_PIXELS``, so a small file declaring a
   gigapixel image is refused here.
3. ``verify()`` checks the file's structure; it leaves the image unusable, so it is opened again.
4. The camera's orientation is applied (``exif_transpose``) *before* the EXIF is dropped, then the
   pixels are copied into a new image: no EXIF (GPS, serial numbers), XMP, ICC or comments remain.
5. One WebP per configured width (never scaled up). The key is the SHA-256 of the upload and the
   widths: the same upload gives the same files, so they can be cached for ever (``immutable``).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from app.event_images.errors import NotAnImage, UnreadableImage
from app.event_images.urls import WIDTHS

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MEDIA_TYPE = "image/webp"
_QUALITY = 82
# libwebp's fastest method: files about 5% larger than its default (4), encoded 2-3 times faster.
_METHOD = 0
_ORIENTATION = 0x0112


@dataclass(frozen=True, slots=True)
class CleanImage:
    digest: str  # names the image: the key's last part
    width: int  # the upload's size, upright (after the camera's orientation)
    height: int
    variants: dict[int, bytes]  # the width asked for -> WebP bytes (at most that wide)


def clean_event_image(raw: bytes, *, max_pixels: int, widths: tuple[int, ...] = WIDTHS) -> CleanImage:
    """The upload checked and re-encoded as one metadata-free WebP per width; raises 415/422 problems."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=ACCEPTED_FORMATS) as probe:
                if probe.width * probe.height > max_pixels:
                    raise UnreadableImage(
                        f"the image has {probe.width} x {probe.height} pixels, more than {max_pixels}", param="image"
                    )
                size = (probe.height, probe.width) if _turned(probe) else probe.size
                probe.verify()
            with Image.open(io.BytesIO(raw), formats=ACCEPTED_FORMATS) as upload:
                upload.seek(0)  # an animation keeps its first frame
                upload.draft(None, _draft_box(upload, max(widths)))
                picture = _fresh(_plain_mode(ImageOps.exif_transpose(upload)))
    except UnidentifiedImageError as exc:
        raise NotAnImage("an event image must be a JPEG, PNG or WebP image", param="image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableImage("the image is too large to decode", param="image") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data behind valid magic bytes
        raise UnreadableImage("the image could not be decoded", param="image") from exc
    variants = {width: _webp(_scaled(picture, width)) for width in widths}
    digest = hashlib.sha256(raw + repr(sorted(widths)).encode()).hexdigest()[:40]
    return CleanImage(digest, size[0], size[1], variants)


def _draft_box(picture: Image.Image, width: int) -> tuple[int, int]:
    """The least size a JPEG may be decoded at (1/2, 1/4, 1/8 of it) that still covers ``width`` upright.

    Only the upright width matters: a picture the camera turned a quarter (EXIF orientation 5-8)
    will be as wide as it is high now.
    """
    return (1, width) if _turned(picture) else (width, 1)


def _turned(picture: Image.Image) -> bool:
    return picture.getexif().get(_ORIENTATION) in (5, 6, 7, 8)


def _plain_mode(picture: Image.Image) -> Image.Image:
    alpha = picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info)
    mode = "RGBA" if alpha else "RGB"
    return picture if picture.mode == mode else picture.convert(mode)


def _fresh(picture: Image.Image) -> Image.Image:
    """The same pixels in a new image: ``info`` (EXIF, XMP, ICC, comments) stays behind."""
    clean = Image.new(picture.mode, picture.size)
    clean.paste(picture)
    return clean


def _scaled(picture: Image.Image, width: int) -> Image.Image:
    if picture.width <= width:
        return picture
    height = max(1, round(picture.height * width / picture.width))
    return picture.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _webp(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="WEBP", quality=_QUALITY, method=_METHOD)
    return out.getvalue()
