"""The public discovery contract: query-string models (validated before any query runs) and
the shapes of the responses (documentation and contract tests; the bytes themselves are
assembled by PostgreSQL, see ``app.events.queries``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.events.filters import NO_FILTERS, Filters
from app.kit.cursor import MAX_CURSOR_CHARS
from geo.bbox import BBOX_PATTERN

Sort = Literal["start", "distance", "popularity", "relevance"]
EventStatus = Literal["published", "cancelled"]

# The contract's outer bounds; a deployment may set tighter ones (config.settings.DiscoverySettings).
MAX_PAGE_SIZE = 500
MAX_RADIUS_M = 200_000.0
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
AREA_RULES = (
    "Give the area as `bbox`, or as `lat` and `lon` (with an optional `radius_m`), never both; "
    "`sort=distance` needs `lat`/`lon`, `sort=relevance` needs `q`."
)


class PageParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE, description="Items per page (default 50).")
    cursor: str | None = Field(
        None,
        max_length=MAX_CURSOR_CHARS,
        pattern=CURSOR_PATTERN,
        description="`next_cursor` of the previous page of the same query (valid only as the server issued it).",
    )


class ListParams(PageParams):
    """``GET /api/v1/events``: where (``bbox`` or ``lat``/``lon``/``radius_m``), what, in which order."""

    bbox: str | None = Field(
        None,
        max_length=200,
        description=(
            "west,south,east,north in WGS84 degrees; west > east crosses the antimeridian. South at most "
            "north; its area, width and height are capped (by default 400 square degrees, 90 degrees wide, "
            "45 high). "
            "Not with lat/lon/radius_m."
        ),
        examples=["2.25,48.81,2.42,48.90"],
        json_schema_extra={"pattern": BBOX_PATTERN},
    )
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False, description="WGS84 degrees; with lon.")
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False, description="WGS84 degrees; with lat.")
    radius_m: float | None = Field(
        None, gt=0, le=MAX_RADIUS_M, allow_inf_nan=False, description="Metres; default 10 km. Needs lat and lon."
    )
    sort: Sort | None = Field(
        None, description="Default: relevance with q, else start. distance needs lat/lon; relevance needs q."
    )
    filters: Filters = NO_FILTERS


class NearbyParams(PageParams):
    """``GET /api/v1/events/nearby``: nearest first."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="WGS84 degrees.")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="WGS84 degrees.")
    radius_m: float | None = Field(
        None, gt=0, le=MAX_RADIUS_M, allow_inf_nan=False, description="Metres; default 10 km."
    )
    filters: Filters = NO_FILTERS


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
    places_left: int | None = Field(None, description="Places still free (RSVPs and tickets); null: no capacity.")
    sold_out: bool = Field(False, description="True when the event has a capacity and no place is left.")


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
