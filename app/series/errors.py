"""Errors of recurring events (mapped to problem+json by ``app.errors``)."""

from __future__ import annotations

from app.errors import InvalidParameter, NotFound


class InvalidRecurrence(InvalidParameter):
    """The RRULE or its exdates are malformed, unsupported, or give too many (or no) occurrences: 422."""

    status, slug, title = 422, "invalid-recurrence", "Invalid recurrence"


class NotAnOccurrence(NotFound):
    """The event is not an occurrence of a series (or not one the caller may see)."""
