"""The organizers API: organizers as teams, their members and invitations, under ``/api/v1``.

HTTP only: who may call what is declared by the dependencies of ``app.organizers.auth`` (never
checked here), bodies are validated with unknown fields refused, and the service applies the rules.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path
from starlette.responses import Response

from app.accounts.auth import SubjectDep, VerifiedSubjectDep
from app.db import UnitOfWorkDep
from app.kit.query_params import openapi, query_model
from app.kit.read_connection import ReadConnDep
from app.organizers import repository, service
from app.organizers.auth import CheckerAccess, MemberReadAccess, OwnerAccess, OwnerReadAccess
from app.organizers.context import OrganizersDep
from app.organizers.schemas import (
    Invitation,
    InvitationAccept,
    InvitationCreate,
    InvitationPage,
    Member,
    MemberPage,
    Membership,
    Organizer,
    OrganizerCreate,
    OrganizerPage,
    PageParams,
    RoleChange,
)

router = APIRouter(prefix="/api/v1", tags=["organizers"])

PageQuery = Annotated[PageParams, Depends(query_model(PageParams))]
# An invitation token as mailed (base64url of 32 bytes); anything else is refused before the database.
Token = Annotated[str, Path(min_length=32, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

_signed_in: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in (WWW-Authenticate: Bearer)"},
    403: {"description": "Email not verified, or a role too low for this (problem+json)"},
    422: {"description": "Invalid parameter or body, unknown fields included (problem+json naming it)"},
}
_scoped: dict[int | str, dict[str, Any]] = {
    **_signed_in,
    404: {"description": "No such organizer, or not one you belong to (the same answer)"},
}
_team_change: dict[int | str, dict[str, Any]] = {
    **_scoped,
    409: {"description": "The last owner cannot leave, be removed or be demoted"},
    503: {"description": "The team is being changed by another request (Retry-After)"},
}


@router.post("/organizers", status_code=201, response_model=Organizer, responses=_signed_in,
             summary="Found an organizer")  # fmt: skip
async def create_organizer(
    body: OrganizerCreate, subject: VerifiedSubjectDep, work: UnitOfWorkDep, ctx: OrganizersDep
) -> dict[str, Any]:
    """A verified account creates an organizer and becomes its owner."""
    return await service.found_organizer(work, ctx, subject, body)


@router.get("/organizers", response_model=OrganizerPage, responses=_signed_in, summary="My organizers",
            openapi_extra=openapi(PageParams))  # fmt: skip
async def my_organizers(subject: SubjectDep, page: PageQuery, db: ReadConnDep) -> dict[str, Any]:
    """The organizers the caller is a member of, with the caller's role in each."""
    rows = await repository.my_organizers(await db.get(), subject.account_id, page.after, page.limit + 1)
    return _page(rows, page.limit, "id")


@router.get("/organizers/{organizer_id}", response_model=Organizer, responses=_scoped, summary="One organizer")
async def get_organizer(access: MemberReadAccess, db: ReadConnDep) -> dict[str, Any]:
    return await service.organizer_of(await db.get(), access)


@router.get("/organizers/{organizer_id}/members", response_model=MemberPage, responses=_scoped,
            summary="The members of an organizer", openapi_extra=openapi(PageParams))  # fmt: skip
async def list_members(access: MemberReadAccess, page: PageQuery, db: ReadConnDep) -> dict[str, Any]:
    """Every member with their role, for any member (and admins); ordered by account id."""
    rows = await repository.members(await db.get(), access.organizer_id, page.after, page.limit + 1)
    return _page(rows, page.limit, "account_id")


@router.patch("/organizers/{organizer_id}/members/{account_id}", response_model=Member, responses=_team_change,
              summary="Change a member's role")  # fmt: skip
async def change_member_role(
    account_id: UUID, body: RoleChange, access: OwnerAccess, work: UnitOfWorkDep, ctx: OrganizersDep
) -> dict[str, Any]:
    """An owner gives a member another role (owners included); the last owner cannot be demoted."""
    return await service.change_role(work, ctx, access, account_id, body.role)


@router.delete("/organizers/{organizer_id}/members/{account_id}", status_code=204, responses=_team_change,
               summary="Remove a member, or leave")  # fmt: skip
async def remove_member(account_id: UUID, access: CheckerAccess, work: UnitOfWorkDep, ctx: OrganizersDep) -> Response:
    """An owner removes a member; any member removes themselves (leaves). The last owner stays."""
    await service.remove_member(work, ctx, access, account_id)
    return Response(status_code=204)


@router.post("/organizers/{organizer_id}/invitations", status_code=201, response_model=Invitation,
             responses={**_scoped, 409: {"description": "Already a member, or too many open invitations"},
                        429: {"description": "Too many invitations sent (Retry-After)"}},
             summary="Invite someone by email")  # fmt: skip
async def invite(
    body: InvitationCreate, access: OwnerAccess, work: UnitOfWorkDep, ctx: OrganizersDep
) -> dict[str, Any]:
    """An owner invites an email address to a role; the link goes by mail (the token is not returned).
    Inviting the same address again replaces its invitation."""
    return await service.invite(work, ctx, access, body)


@router.get("/organizers/{organizer_id}/invitations", response_model=InvitationPage, responses=_scoped,
            summary="Open invitations", openapi_extra=openapi(PageParams))  # fmt: skip
async def list_invitations(access: OwnerReadAccess, page: PageQuery, db: ReadConnDep) -> dict[str, Any]:
    """The invitations not yet accepted (expired ones included, until replaced or revoked)."""
    rows = await repository.invitations(await db.get(), access.organizer_id, page.after, page.limit + 1)
    return _page(rows, page.limit, "id")


@router.delete("/organizers/{organizer_id}/invitations/{invitation_id}", status_code=204, responses=_scoped,
               summary="Revoke an invitation")  # fmt: skip
async def revoke_invitation(invitation_id: UUID, access: OwnerAccess, work: UnitOfWorkDep) -> Response:
    await service.revoke_invitation(work.conn, access, invitation_id)
    return Response(status_code=204)


@router.post("/invitations/{token}/accept", response_model=Membership,
             responses={**_signed_in, 403: {"description": "Email not verified, or the invitation is for another"},
                        404: {"description": "Unknown, used or revoked invitation"},
                        409: {"description": "Already a member"}, 410: {"description": "Expired invitation"}},
             summary="Accept an invitation")  # fmt: skip
async def accept_invitation(
    token: Token, subject: VerifiedSubjectDep, work: UnitOfWorkDep, ctx: OrganizersDep,
    body: InvitationAccept | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The signed-in account whose verified email the invitation was sent to joins with its role."""
    return await service.accept_invitation(work, ctx, subject, token)


def _page(rows: list[dict[str, Any]], limit: int, key: str) -> dict[str, Any]:
    """``limit`` rows and the key to continue after (fetched ``limit + 1`` to know there is more)."""
    more = len(rows) > limit
    items = rows[:limit]
    return {"items": items, "next_after": items[-1][key] if more else None}
