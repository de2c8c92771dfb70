"""Errors of the sharing domain."""

from __future__ import annotations

from app.errors import NotFound


class FeedNotFound(NotFound):
    """A calendar feed that does not exist (an unknown or replaced token, an unknown organizer)."""
