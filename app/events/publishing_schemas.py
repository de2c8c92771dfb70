"""What organizers send to write events, and what they read back (``/api/v1/events`` writes).

Times are *local*: ``starts_at``/``ends_at`` are naive ISO datetimes (``2027-03-28T19:30``) read
in ``timezone`` (an IANA zone; by default the venue's). The service turns them into instants
(``app.events.local_time``). Status is never set here: it changes through the transitions
(publish, unpublish, cancel), whose rules live in ``app.events.service``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, NaiveDatetime, field_validator, model_validator

from app.events.filters import CategorySlug, Tag, normal_tags
from app.events.schemas import EventStatus, Point
from app.kit.keyset import CURSOR_PATTERN
from geo.blur import APPROXIMATE_RADIUS_M

MAX_EXDATES = 500
MIN_YEAR, MAX_YEAR = 1970, 2200


def known_zone(value: str | None) -> str | None:
    """``value`` if it names an IANA time zone; a ValueError (422) otherwise."""
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Recurrence(Input):
    """An RFC 5545 rule (``FREQ=WEEKLY;BYDAY=TU;COUNT=10``) and local start times it skips."""

    rrule: str = Field(min_length=1, max_length=500)
    exdates: list[NaiveDatetime] = Field(default_factory=list, max_length=MAX_EXDATES)


class _Writable(Input):
    """Fields an organizer may set on create and edit (all optional here; create requires some)."""

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    category: CategorySlug | None = None
    tags: list[Tag] | None = Field(None, max_length=20)
    is_free: bool | None = None
    price_min: int | None = Field(None, ge=0)
    price_max: int | None = Field(None, ge=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    capacity: int | None = Field(None, gt=0)
    location_approximate: bool | None = Field(
        None,
        description=(
            "Show only an area (a circle of "
            f"{APPROXIMATE_RADIUS_M} m around a point that is not the event's) until the person holds a ticket "
            "or an RSVP; the exact point is never sent to anyone else."
        ),
    )
    venue_id: UUID | None = Field(None, description="One of the organizer's venues.")
    location: Point | None = Field(None, description="The event's own point; by default its venue's.")
    starts_at: NaiveDatetime | None = Field(None, description="Local wall-clock time in `timezone`, no offset.")
    ends_at: NaiveDatetime | None = Field(None, description="Local wall-clock time in `timezone`, no offset.")
    timezone: str | None = Field(None, description="IANA zone of the local times; by default the venue's.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return known_zone(value)

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(normal_tags(value))

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _plausible_year(cls, value: datetime | None) -> datetime | None:
        # Far years would overflow when read in a zone (year 9999 at UTC-10 is year 10000 in UTC).
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
        return value

    @model_validator(mode="after")
    def _local_order(self) -> _Writable:
        if self.starts_at is not None and self.ends_at is not None and self.ends_at < self.starts_at:
            raise ValueError("ends_at must not be before starts_at")
        return self


class EventDraft(_Writable):
    """A new event, saved as a draft (publish it with ``POST /events/{id}/publish``)."""

    organizer_id: UUID
    title: str = Field(min_length=1, max_length=200)
    category: CategorySlug
    starts_at: NaiveDatetime = Field(description="Local wall-clock time in `timezone`, no offset.")
    ends_at: NaiveDatetime = Field(description="Local wall-clock time in `timezone`, no offset.")
    recurrence: Recurrence | None = Field(None, description="Repeat the event (RFC 5545 RRULE and EXDATEs).")

    @model_validator(mode="after")
    def _somewhere(self) -> EventDraft:
        if self.venue_id is None and self.location is None:
            raise ValueError("an event needs a venue_id or a location")
        if self.venue_id is None and self.timezone is None:
            raise ValueError("an event without a venue needs a timezone")
        return self


# Fields an edit may not clear (``null``): every event has them.
REQUIRED_ON_EDIT = (
    "title", "description", "category", "tags", "is_free", "location_approximate",
    "starts_at", "ends_at", "timezone", "location",
)  # fmt: skip


class EventEdit(_Writable):
    """A partial edit: only the fields given change (``null`` clears the optional ones).

    Local times not given keep their wall-clock value; a new ``timezone`` (or a venue in another
    zone, when no ``timezone`` is given) reads them in the new zone. ``venue_id: null`` detaches
    the venue (the event keeps its point unless a ``location`` is given).
    """

    recurrence: Recurrence | None = Field(
        None, description="An occurrence's series gets this rule and these exdates (scope=series or following)."
    )

    @model_validator(mode="after")
    def _not_cleared(self) -> EventEdit:
        for name in REQUIRED_ON_EDIT:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class EventOut(BaseModel):
    """An event as its organizer's members see it: exact point, local and UTC times, status."""

    id: UUID
    organizer_id: UUID
    status: EventStatus
    title: str
    description: str
    category: str
    tags: list[str]
    starts_at: datetime = Field(description="UTC instant")
    ends_at: datetime = Field(description="UTC instant")
    local_starts_at: NaiveDatetime = Field(description="Wall-clock time in `timezone`")
    local_ends_at: NaiveDatetime = Field(description="Wall-clock time in `timezone`")
    timezone: str
    venue_id: UUID | None
    lat: float
    lon: float
    location_approximate: bool
    is_free: bool
    price_min: int | None
    price_max: int | None
    currency: str | None
    capacity: int | None
    sequence: int
    published_at: datetime | None
    series_id: UUID | None
    created_at: datetime
    updated_at: datetime


class EventList(BaseModel):
    items: list[EventOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class OrganizerEventsParams(Input):
    status: EventStatus | None = Field(None, description="Only events in this status.")
    limit: int = Field(50, ge=1, le=200, description="Items per page (1-200).")
    cursor: str | None = Field(None, pattern=CURSOR_PATTERN, description="The previous page's next_cursor.")


class AuditParams(Input):
    entity_id: UUID | None = Field(None, description="Only entries about this object.")
    limit: int = Field(50, ge=1, le=200, description="Items per page (1-200).")
    cursor: str | None = Field(None, pattern=CURSOR_PATTERN, description="The previous page's next_cursor.")


class AuditEntry(BaseModel):
    id: UUID
    actor_account_id: UUID | None = Field(description="Who acted; null for the system or an erased account.")
    entity: str
    entity_id: UUID
    action: str
    before: dict[str, object] | None
    after: dict[str, object] | None
    at: datetime


class AuditList(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None

