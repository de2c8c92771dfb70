"""Input and output models of recurring events (extra fields refused on input)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.events.schemas import EventCreate, EventUpdate

Scope = Literal["occurrence", "following", "series"]


class Recurrence(BaseModel):
    """An RFC 5545 rule and the starts it gives that do not happen."""

    model_config = ConfigDict(extra="forbid")

    rrule: str = Field(
        min_length=1, max_length=500, description="RFC 5545 RRULE, e.g. `FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630`"
    )
    exdates: list[datetime] = Field(
        default_factory=list,
        max_length=1000,
        description="Starts the rule gives that do not happen: local wall-clock times of the event's zone "
        "(or instants, read in that zone).",
    )


class SeriesCreate(EventCreate):
    """A recurring event: the first occurrence's fields plus its recurrence."""

    recurrence: Recurrence


class OccurrenceCreate(EventCreate):
    """What the events write service inserts for one occurrence (internal: never a request body)."""

    series_id: UUID
    recurrence_id: AwareDatetime


class OccurrenceUpdate(EventUpdate):
    """What the events write service changes on one occurrence (internal: never a request body)."""

    venue_id: UUID | None = None
    timezone: str | None = None
    series_id: UUID | None = None
    recurrence_id: AwareDatetime | None = None


class OccurrenceItem(BaseModel):
    id: UUID
    recurrence_id: datetime = Field(description="The start the rule gave this occurrence (RFC 5545 RECURRENCE-ID)")
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: str
    overridden: bool = Field(description="Changed on its own (time, place, details or cancelled)")


class OccurrencePage(BaseModel):
    series_id: UUID
    rrule: str
    items: list[OccurrenceItem]
    next_cursor: str | None
