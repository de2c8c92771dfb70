"""Errors of calendar imports (problem+json through ``app.errors``)."""

from __future__ import annotations

from app.errors import NotFound, ProblemError


class CalendarRefused(ProblemError):
    """The file (or URL) cannot be imported at all; nothing was written."""

    status, slug, title = 422, "calendar-refused", "Calendar refused"


class CalendarTooLarge(ProblemError):
    status, slug, title = 413, "calendar-too-large", "Calendar too large"


class ImportNotFound(NotFound):
    """No such import, or one of another organizer (the same answer)."""


class InvalidImport(ProblemError):
    status, slug, title = 422, "invalid-parameter", "Invalid parameter"


class UnsupportedBody(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"
