"""Input models for writing events. (Read models live beside the discovery endpoints.)"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.events.filters import CategorySlug, Tag, normal_tags

EventStatus = Literal["draft", "published", "cancelled"]


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class EventFields(BaseModel):
    """Fields an organizer may set; shared by create and update."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20_000)
    category: CategorySlug
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: str
    status: EventStatus = "draft"
    is_free: bool = False
    price_min: int | None = Field(None, ge=0)
    price_max: int | None = Field(None, ge=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    capacity: int | None = Field(None, gt=0)
    # Shown as an area, the exact point kept for those who may see it (``app.events.visibility``).
    location_approximate: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, value: list[str]) -> list[str]:
        return list(normal_tags(value))

    @model_validator(mode="after")
    def _consistent(self) -> EventFields:
        if self.ends_at < self.starts_at:
            raise ValueError("ends_at must not be before starts_at")
        if self.is_free and (self.price_min or self.price_max):
            raise ValueError("a free event has no price")
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError("price_min must not exceed price_max")
        if not self.is_free and self.price_min is not None and self.currency is None:
            raise ValueError("a priced event needs a currency")
        return self


class EventCreate(EventFields):
    organizer_id: UUID
    venue_id: UUID | None = None
    location: Point | None = Field(None, description="The event's own point; defaults to its venue's.")

    @model_validator(mode="after")
    def _somewhere(self) -> EventCreate:
        if self.venue_id is None and self.location is None:
            raise ValueError("an event needs a venue or a location")
        return self


class EventUpdate(BaseModel):
    """A partial update; only the fields given change. Setting ``location`` moves the event."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    category: CategorySlug | None = None
    tags: list[Tag] | None = Field(None, max_length=20)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    status: EventStatus | None = None
    is_free: bool | None = None
    price_min: int | None = Field(None, ge=0)
    price_max: int | None = Field(None, ge=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    capacity: int | None = Field(None, gt=0)
    popularity: int | None = Field(None, ge=0)
    location: Point | None = None
    venue_id: UUID | None = None
    timezone: str | None = None
    location_approximate: bool | None = None
    # The event's image in the media store (app.event_images); null removes it.
    image_key: str | None = Field(None, pattern=r"^[A-Za-z0-9/_.-]{1,200}$")

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(normal_tags(value))
