"""RSVP input and output models. Input refuses unknown fields (a 422, nothing written)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

RsvpStatus = Literal["going", "interested", "not_going", "waitlisted"]
# An attendee entry: an RSVP's answer, or a holder of tickets bought (paid or free orders) of one tier.
AttendeeStatus = Literal["going", "interested", "not_going", "waitlisted", "ticket_holder"]


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
    status: AttendeeStatus
    answered_at: datetime = Field(description="When the person answered, or got their first ticket of the tier")
    tier_name: str | None = Field(description="The tier of a ticket holder's tickets; null for an RSVP")
    tickets: int = Field(description="Valid tickets of this entry (a going RSVP has one)")
    checked_in: int = Field(description="How many of those tickets were admitted at a door")


class AttendeePage(BaseModel):
    items: list[Attendee]
    next_cursor: str | None


class AttendeeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, min_length=1, max_length=100, description="Part of an email or a name")
    status: AttendeeStatus | None = None
    limit: int | None = Field(None, ge=1)
    cursor: str | None = Field(None, max_length=512)
