"""Bodies and answers of the venue and geocoding endpoints (input models refuse unknown fields)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.events.schemas import Point


def _known_zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


def _clean_text(value: str | None) -> str | None:
    return None if value is None else " ".join(value.split())


class VenueCreate(BaseModel):
    """A new venue: a point (``location``), or an ``address`` to place on the map, or both."""

    model_config = ConfigDict(extra="forbid")

    organizer_id: UUID
    name: str = Field(min_length=1, max_length=200)
    address: str = Field("", max_length=500)
    location: Point | None = Field(None, description="Where it is; when absent the address is geocoded.")
    timezone: str | None = Field(None, description="IANA zone; by default the zone at the venue's point.")

    _zone = field_validator("timezone")(_known_zone)
    _text = field_validator("name", "address")(_clean_text)

    @model_validator(mode="after")
    def _placed(self) -> VenueCreate:
        if not self.name:
            raise ValueError("name must not be blank")
        if self.location is None and not self.address:
            raise ValueError("a venue needs a location or an address")
        return self


class VenuePatch(BaseModel):
    """Fields left out stay as they are. A new ``location`` moves the venue and the events held there."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    address: str | None = Field(None, max_length=500)
    location: Point | None = None
    timezone: str | None = Field(None, description="IANA zone; a move without one takes the new point's zone.")

    _zone = field_validator("timezone")(_known_zone)
    _text = field_validator("name", "address")(_clean_text)

    @model_validator(mode="after")
    def _not_blank(self) -> VenuePatch:
        if self.name == "":
            raise ValueError("name must not be blank")
        return self


class Venue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    organizer_id: UUID
    name: str
    address: str
    city: str
    country_code: str | None
    timezone: str
    location: Point
    created_at: datetime
    updated_at: datetime
    moved_events: int | None = Field(None, description="On a move: how many of its events moved with it.")


class VenuePage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[Venue]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class VenuePageParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(None, ge=1, le=200, description="Items per page (default 50).")
    cursor: str | None = Field(None, max_length=512)


class ExistingVenue(BaseModel):
    """The venue a create or edit would have duplicated (in a 409's body, as ``existing``)."""

    id: UUID
    name: str
    distance_m: float


class GeocodeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=300, description="An address or a place name.")
    limit: int | None = Field(None, ge=1, le=50, description="At most this many places (default 10).")

    @field_validator("q")
    @classmethod
    def _text(cls, value: str) -> str:
        cleaned = " ".join(value.split())
        if not cleaned:
            raise ValueError("q must not be blank")
        return cleaned


class ReverseParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="WGS84 degrees.")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="WGS84 degrees.")


class Place(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    name: str
    location: Point
    country_code: str | None
    timezone: str | None
    population: int | None


class Places(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = Field(description="Which geocoder answered: offline, nominatim, photon or pelias.")
    items: list[Place]
