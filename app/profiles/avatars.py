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
                # A JPEG decodes straight at 1/2, 1/4 or 1/8 of its size when that still covers the
                # square: a 12-megapixel photo then costs a fraction of a full decode.
                upload.draft(None, (size_px, size_px))
                # The centre square is the same before and after a camera's quarter turns and flips, so
                # the (full-size) crop and scale come first and only the small square is turned.
                small = _centre_square(upload, size_px)
                picture = _fresh(ImageOps.exif_transpose(small))
    except UnidentifiedImageError as exc:
        raise UnsupportedMediaType("an avatar must be a JPEG, PNG or WebP image", param="avatar") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableImage("the image is too large to decode", param="avatar") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data behind valid magic bytes
        raise UnreadableImage("the image could not be decoded", param="avatar") from exc
    out = io.BytesIO()
    picture.save(out, format="WEBP", quality=_WEBP_QUALITY, method=4)
    return out.getvalue()


def _centre_square(picture: Image.Image, size_px: int) -> Image.Image:
    """The centre square, scaled to ``size_px`` (never up), in RGB or RGBA."""
    mode = "RGBA" if _has_alpha(picture) else "RGB"
    if picture.mode != mode:
        picture = picture.convert(mode)
    edge = min(picture.width, picture.height)
    left, top = (picture.width - edge) // 2, (picture.height - edge) // 2
    square = picture.crop((left, top, left + edge, top + edge))
    side = min(size_px, edge)
    # reducing_gap: shrink by a whole factor first (cheap), then resample the rest with Lanczos.
    return square.resize((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _fresh(picture: Image.Image) -> Image.Image:
    """The same pixels in a new image: ``info`` (EXIF, XMP, ICC, comments) stays behind."""
    clean = Image.new(picture.mode, picture.size)
    clean.paste(picture)
    return clean


def _has_alpha(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info)
