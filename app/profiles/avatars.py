"""Avatar images: what an upload must be, and the clean picture that is kept of it.

An upload is recognised by its first bytes (Pillow's format plugins check the magic numbers of
JPEG, PNG and WebP; the ``Content-Type`` a client declares is not trusted), its pixel count is
checked before any pixel is decoded (a small file can declare a gigapixel image), the camera's
orientation is applied, and the picture is cropped to a square, scaled down and re-encoded as
WebP into a new image that carries no metadata: no EXIF (GPS position, camera serial, time), no
XMP, no ICC profile, no comments. Decoding is CPU work: callers run ``clean_avatar`` in a thread.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from app.profiles.errors import UnreadableImage, UnsupportedMediaType

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MEDIA_TYPE = "image/webp"
EXTENSION = "webp"
_WEBP_QUALITY = 85


def clean_avatar(raw: bytes, *, size_px: int, max_pixels: int) -> bytes:
    """A square WebP of at most ``size_px`` pixels a side, made only from the upload's pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=ACCEPTED_FORMATS) as upload:
                if upload.width * upload.height > max_pixels:
                    raise UnreadableImage(f"the image has more than {max_pixels} pixels", param="avatar")
                upload.seek(0)  # an animation keeps its first frame
                picture = _square(ImageOps.exif_transpose(upload), size_px)
    except UnidentifiedImageError as exc:
        raise UnsupportedMediaType("an avatar must be a JPEG, PNG or WebP image", param="avatar") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableImage("the image is too large to decode", param="avatar") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data behind valid magic bytes
        raise UnreadableImage("the image could not be decoded", param="avatar") from exc
    out = io.BytesIO()
    picture.save(out, format="WEBP", quality=_WEBP_QUALITY, method=4)
    return out.getvalue()


def _square(picture: Image.Image, size_px: int) -> Image.Image:
    """The centre square, scaled to ``size_px`` (never up), as a fresh image without metadata."""
    mode = "RGBA" if _has_alpha(picture) else "RGB"
    converted = picture.convert(mode)
    side = min(size_px, converted.width, converted.height)
    fitted = ImageOps.fit(converted, (side, side), method=Image.Resampling.LANCZOS)
    # A new image holds the pixels and nothing else; ``info`` (EXIF, XMP, ICC, comments) stays behind.
    clean = Image.new(mode, fitted.size)
    clean.paste(fitted)
    return clean


def _has_alpha(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info)
