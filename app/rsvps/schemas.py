"""RSVP input and output models. Input refuses unknown fields (a 422, nothing written)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

RsvpStatus = Literal["going", "interested", "not_going", "waitlisted"]


class RsvpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["going", "interested", "not_going"]


class Rsvp(BaseModel):
    status: RsvpStatus | None = Field(description="null once withdrawn; waitlisted when no place was left")
    waitlist_position: int | None = Field(description="1 is next in line; null unless waitlisted")
    places_left: int | None = Field(description="null when the event has no capacity")


class Attendee(BaseModel):
    account_id: UUID
    email: str
    display_name: str | None
    status: RsvpStatus
    answered_at: datetime


class AttendeePage(BaseModel):
    items: list[Attendee]
    next_cursor: str | None


class AttendeeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, min_length=1, max_length=100, description="Part of an email or a name")
    status: RsvpStatus | None = None
    limit: int | None = Field(None, ge=1)
    cursor: str | None = Field(None, max_length=512)
