"""The events domain's problems, rendered by ``app.errors`` like every ``ProblemError``."""

from __future__ import annotations

from app.errors import Conflict, NotFound, ProblemError


class EventNotFound(NotFound):
    """Unknown, or of an organizer the caller may not edit: the two answer alike, so nothing leaks."""

    slug = "event-not-found"


class VenueNotFound(NotFound):
    """A venue that does not exist or belongs to another organizer (the same answer for both)."""

    slug = "venue-not-found"


class TransitionRefused(Conflict):
    """The event's status does not allow this step (publishing a cancelled event, deleting a published one)."""

    slug = "transition-refused"


class InvalidLocalTime(ProblemError):
    """A local time that does not exist in the event's zone (a daylight-saving gap)."""

    status, slug, title = 422, "invalid-local-time", "The local time does not exist in this time zone"


class RecurrenceNotAvailable(ProblemError):
    """Recurring events are created by the series service; refused until it is wired."""

    status, slug, title = 422, "recurrence-not-available", "Recurring events cannot be created here yet"
