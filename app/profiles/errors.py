"""Errors of the profile domain, rendered as problem+json by ``app.errors``."""

from __future__ import annotations

from app.errors import ProblemError


class ContentTooLarge(ProblemError):
    status, slug, title = 413, "content-too-large", "Content too large"


class UnsupportedMediaType(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class UnreadableImage(ProblemError):
    status, slug, title = 422, "unreadable-image", "Unreadable image"


class LimitReached(ProblemError):
    status, slug, title = 409, "limit-reached", "Limit reached"
