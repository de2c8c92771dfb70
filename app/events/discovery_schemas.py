"""The public discovery contract: query-string models (validated before any query runs) and
the shapes of the responses (documentation and contract tests; the bytes themselves are
assembled by PostgreSQL, see ``app.events.queries``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Sort = Literal["start", "distance", "popularity", "relevance"]
EventStatus = Literal["published", "cancelled"]

class FilterParams(BaseModel):
    """What to show, wherever it is."""

    model_config = ConfigDict(extra="forbid")

    category: list[str] = Field(
        default_factory=list, max_length=20, description="Category slug; repeat for any of several."
    )
    tag: list[str] = Field(default_factory=list, max_length=20, description="Tag; repeat for any of several.")
    q: str | None = Field(
        None, max_length=200, description="Full-text search: ranked, stemmed, accent-insensitive, typo-tolerant."
    )
    starts_after: AwareDatetime | None = Field(
        None,
        description="ISO 8601 with an offset. Without it, only events that have not ended are shown.",
    )
    starts_before: AwareDatetime | None = Field(None, description="ISO 8601 with an offset.")
    free: bool | None = Field(None, description="true: only free events; false: only paid ones.")
    price_max: int | None = Field(None, ge=0, description="Entry (lowest price) at most this, in minor units.")
    min_popularity: int | None = Field(None, ge=0)


class PageParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(None, description="Items per page (default 50, at most 500).")
    cursor: str | None = Field(None, max_length=512, description="`next_cursor` of the previous page.")


class CircleParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False, description="WGS84 degrees.")
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False, description="WGS84 degrees.")
    radius_m: float | None = Field(None, gt=0, allow_inf_nan=False, description="Metres; default 10 km.")


class ListParams(PageParams, FilterParams, CircleParams):
    """``GET /api/v1/events``: where (``bbox`` or ``lat``/``lon``/``radius_m``), what, in which order."""

    bbox: str | None = Field(
        None,
        description="west,south,east,north in WGS84 degrees; west > east crosses the antimeridian.",
        examples=["2.25,48.81,2.42,48.90"],
    )
    sort: Sort | None = Field(
        None, description="Default: relevance with q, else start. distance needs lat/lon."
    )


class NearbyParams(PageParams, FilterParams, CircleParams):
    """``GET /api/v1/events/nearby``: nearest first."""


class VenueRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    name: str
    lat: float
    lon: float


class EventItem(BaseModel):
    """One event in a list. Times are UTC instants; ``timezone`` is the event's IANA zone."""

    model_config = ConfigDict(extra="forbid")

    id: UUID
    title: str
    category: str
    tags: list[str]
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: VenueRef | None
    lat: float
    lon: float
    is_free: bool
    price_min: int | None
    price_max: int | None
    currency: str | None
    popularity: int
    status: EventStatus
    distance_m: float | None = Field(None, description="Geodesic metres from lat/lon, when given.")


class EventPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[EventItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class OrganizerRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    name: str


class VenueDetail(VenueRef):
    address: str
    city: str
    country_code: str | None
    timezone: str


class EventDetail(EventItem):
    """One event in full; ``local_starts_at``/``local_ends_at`` carry the event's own UTC offset."""

    venue: VenueDetail | None
    description: str
    capacity: int | None
    organizer: OrganizerRef
    local_starts_at: datetime
    local_ends_at: datetime
