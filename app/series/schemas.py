"""Models of recurring events (the request bodies are the events' own: ``app.events.publishing_schemas``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.events.publishing_schemas import Recurrence
from app.events.schemas import EventCreate, EventUpdate

Scope = Literal["occurrence", "following", "series"]

SERIES_TRANSITIONS = (
    " On an occurrence of a series: publish and unpublish apply to the whole series; cancel to this"
    " occurrence only, or to the series with `scope=series`."
)


class ScopeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Scope | None = Field(
        None,
        description="For an occurrence of a series: `occurrence` (the default), `following` (this one and the "
        "later ones: the series splits) or `series` (every occurrence from now on).",
    )


class OccurrenceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200, description="Items per page (1-200).")
    cursor: str | None = Field(
        None, max_length=64, description="The previous page's next_cursor (a recurrence id)."
    )


class SeriesCreate(EventCreate):
    """A recurring event: the first occurrence's fields plus its recurrence."""

    recurrence: Recurrence


class OccurrenceCreate(EventCreate):
    """What the events write service inserts for one occurrence (internal: never a request body)."""

    series_id: UUID
    recurrence_id: AwareDatetime
    published_at: AwareDatetime | None = None


class OccurrenceUpdate(EventUpdate):
    """What the events write service changes on one occurrence (internal: never a request body)."""

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
