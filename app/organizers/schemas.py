"""Request and response bodies of the organizers API. Input models refuse unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from app.organizers.roles import Role

PAGE_MAX = 200

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Checked for form only (email-validator, no DNS): whether it receives mail shows when the invitee accepts.
Email = Annotated[EmailStr, Field(max_length=254)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganizerCreate(Input):
    name: Name
    # A public contact address of the organizer (optional); not an account.
    email: Email | None = None


class InvitationCreate(Input):
    email: Email
    role: Role


class InvitationAccept(Input):
    """Accepting takes no fields; the body may be absent or ``{}``, and anything else is refused."""


class RoleChange(Input):
    role: Role


class Organizer(BaseModel):
    id: UUID
    name: str
    email: str | None
    created_at: datetime
    # The caller's role in it; null when an admin who is not a member looks at it.
    role: Role | None


class OrganizerPage(BaseModel):
    items: list[Organizer]
    # Pass as ``after`` for the next page; null on the last page.
    next_after: UUID | None


class Member(BaseModel):
    account_id: UUID
    email: str
    display_name: str | None
    role: Role
    joined_at: datetime


class MemberPage(BaseModel):
    items: list[Member]
    next_after: UUID | None


class Invitation(BaseModel):
    id: UUID
    organizer_id: UUID
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    invited_by: UUID | None


class InvitationPage(BaseModel):
    items: list[Invitation]
    next_after: UUID | None


class Membership(BaseModel):
    """What accepting an invitation made: the caller's place in the organizer."""

    organizer_id: UUID
    organizer_name: str
    account_id: UUID
    role: Role
    joined_at: datetime


class PageParams(Input):
    """Keyset paging of a list ordered by id: pass the last page's ``next_after`` as ``after``."""

    limit: int = Field(50, ge=1, le=PAGE_MAX, description=f"items per page (1-{PAGE_MAX})")
    after: UUID | None = Field(None, description="the previous page's next_after")
