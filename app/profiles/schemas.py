"""Profile input and output models. Input refuses unknown fields: ``role`` or ``email`` in a PATCH is a 422."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import available_timezones

import langcodes
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator

Units = Literal["metric", "imperial"]
CategorySlug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
MAX_INTERESTS = 32


def _display_name(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("a display name needs at least one visible character")
    if any(unicodedata.category(char).startswith("C") for char in cleaned):
        raise ValueError("a display name cannot contain control or format characters")
    return cleaned


def _language_tag(value: str) -> str:
    """A well-formed BCP 47 tag whose subtags are registered, in its canonical case (``en-gb`` -> ``en-GB``)."""
    if "_" in value or not langcodes.tag_is_valid(value):
        raise ValueError("not a valid BCP 47 language tag (such as 'en', 'fr-CA' or 'zh-Hant-TW')")
    return str(langcodes.Language.get(value))


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _time_zone(value: str) -> str:
    if value not in _known_zones():
        raise ValueError("not an IANA time zone name (such as 'Europe/Paris')")
    return value


def _given(value: bool) -> bool:
    if value is not True:
        raise ValueError("a home is stored only with consent: true")
    return value


# Strict: only the JSON literal true is consent (not 1, not "yes").
Consent = Annotated[StrictBool, AfterValidator(_given)]
DisplayName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_display_name)]
LanguageTag = Annotated[str, Field(min_length=2, max_length=35), AfterValidator(_language_tag)]
TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_time_zone)]


class HomeIn(BaseModel):
    """A home location, given only with explicit consent to store it."""

    model_config = ConfigDict(extra="forbid")

    consent: Consent = Field(description="Must be true: the person agrees that this place is stored")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    radius_m: int | None = Field(None, ge=100, description="Preferred search radius around home")
    precision: Literal["area", "exact"] = Field(
        "area", description="'area' keeps only the H3 cell around the point (the point itself is not stored)"
    )


class ProfilePatch(BaseModel):
    """Fields a person may change; ``null`` clears a field (``home: null`` withdraws consent and forgets it)."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    locale: LanguageTag | None = None
    time_zone: TimeZoneName | None = None
    units: Units = "metric"
    interests: list[CategorySlug] = Field(default_factory=list, max_length=MAX_INTERESTS)
    home: HomeIn | None = None

    @field_validator("interests")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class HomeOut(BaseModel):
    precision: Literal["area", "exact"]
    lat: float = Field(description="The point, or the centre of the area")
    lon: float
    cell: str | None = Field(None, description="The H3 cell (hex) when only the area is stored")
    radius_m: int | None
    consented_at: datetime


class ProfileOut(BaseModel):
    display_name: str | None
    avatar_url: str | None
    locale: str | None
    time_zone: str | None
    units: Units
    interests: list[str]
    home: HomeOut | None


class Me(ProfileOut):
    id: UUID
    email: str
    email_verified: bool
    role: str


class SavedEvent(BaseModel):
    event_id: UUID
    saved_at: datetime
    title: str
    category: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: str


class SavedEventPage(BaseModel):
    items: list[SavedEvent]
    next_cursor: str | None


class FollowedOrganizer(BaseModel):
    organizer_id: UUID
    name: str
    followed_at: datetime


class FollowedOrganizerPage(BaseModel):
    items: list[FollowedOrganizer]
    next_cursor: str | None


class PageParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(None, ge=1)
    cursor: str | None = Field(None, max_length=512)
