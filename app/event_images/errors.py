"""Problems of event image uploads, rendered as problem+json by ``app.errors``."""

from __future__ import annotations

from app.errors import ProblemError


class ImageTooLarge(ProblemError):
    status, slug, title = 413, "content-too-large", "Content too large"


class NotAnImage(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class UnreadableImage(ProblemError):
    """Valid magic bytes but no decodable picture, or more pixels than the limit (a decompression bomb)."""

    status, slug, title = 422, "unreadable-image", "Unreadable image"
