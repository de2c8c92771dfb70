"""Query parameters and answers of the recommendation routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.events.discovery_schemas import CURSOR_PATTERN
from app.kit.cursor import MAX_CURSOR_CHARS


class ForYouParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float | None = Field(None, ge=-90, le=90, description="Where to look (default: the saved home)")
    lon: float | None = Field(None, ge=-180, le=180)
    limit: int | None = Field(None, ge=1, le=100, description="Items per page (at most the configured maximum)")
    cursor: str | None = Field(
        None, max_length=MAX_CURSOR_CHARS, pattern=CURSOR_PATTERN, description="next_cursor of the previous page"
    )


class NearParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    limit: int | None = Field(None, ge=1, le=100)
    cursor: str | None = Field(None, max_length=MAX_CURSOR_CHARS, pattern=CURSOR_PATTERN)


class SimilarParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(None, ge=1, le=50)


class Reason(BaseModel):
    code: str = Field(description="went_to, follows_organizer, interest, likes_category, similar_people, "
                      "trending, popular_nearby, usual_time, distance, also_went, same_organizer, similar")  # fmt: skip
    text: str


class OrganizerRef(BaseModel):
    id: UUID
    name: str


class RecommendedEvent(BaseModel):
    id: UUID
    title: str
    category: str
    tags: list[str]
    starts_at: datetime
    ends_at: datetime
    timezone: str
    lat: float
    lon: float
    organizer: OrganizerRef
    distance_m: float
    score: float
    reasons: list[Reason]


class RecommendationPage(BaseModel):
    items: list[RecommendedEvent]
    next_cursor: str | None
    basis: Literal["personal", "popular"] = Field(description="personal: learned from the person; popular: near here")
    model_version: int
    origin: Literal["here", "home", "usual_area"]


class SimilarEvents(BaseModel):
    similar: list[RecommendedEvent]
    also_went: list[RecommendedEvent] = Field(description="People who went to this also went to")
    model_version: int
