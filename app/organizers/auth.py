"""Who may act on an organizer: typed permission dependencies for every organizer-scoped endpoint.

Contract (venues, event publishing, check-in and later domains build on these names):

- ``Role``: ``owner`` > ``editor`` > ``checker`` (``app.organizers.roles``). A permission names the
  lowest role that has it: editors publish and edit events and venues, checkers only check tickets
  at the door, owners do everything including running the team.
- ``OrganizerAccess``: what a check grants — ``organizer_id``, ``organizer_name``, ``subject`` (the
  caller, ``app.accounts.auth.Subject``), ``role`` (the caller's membership role, ``None`` for an
  admin who is not a member), ``by_admin`` and ``acts_as`` (the role the caller acts with: its own,
  or ``owner`` for an admin).
- ``require_organizer_role(min_role)``: a dependency for a route whose path holds
  ``{organizer_id}``; runs its query on the request's unit of work (``UnitOfWorkDep``), so use it on
  writes. ``read_organizer_role(min_role)``: the same on the lazy read connection, for reads.
  Ready-made: ``OwnerAccess``, ``EditorAccess``, ``CheckerAccess`` (writes), ``MemberReadAccess``
  (any member) and ``OwnerReadAccess`` (reads).
- ``authorize(conn, subject, organizer_id, min_role, not_found=...)``: the same check for a domain
  whose path names its own object (``/venues/{venue_id}``): load the object, then call this with its
  ``organizer_id`` inside the domain's own dependency, passing the domain's own 404 as ``not_found``.

The answers, in the order they are decided:

1. no or invalid credentials: 401 (``app.accounts.auth``);
2. email not verified: 403 ``email-not-verified`` (organizer work is done by verified addresses);
3. the organizer does not exist, or the caller is neither a member of it nor an admin: 404, the
   same answer in both cases, so nobody learns which organizers exist or who belongs to them;
4. a member whose role is below ``min_role``: 403 ``role-too-low`` (the member knows the organizer
   exists; being told that the role is too low leaks nothing);
5. otherwise the endpoint runs with the ``OrganizerAccess``.

Admins (``Subject.role == "admin"``) may act on every organizer, with an owner's rights, for support
and moderation (``OrganizerAccess.by_admin``), whether or not they are members. Acting as admins
does not make them members: they appear in no member list unless they joined, and an admin who is
not an owner does not count as one for the last-owner rule.

The check is made once, when the request starts. Changes to the team itself (roles, removals)
re-check the caller under the lock of the team's rows (``app.organizers.service``); other domains
need no more than this check, made in the same transaction as their write.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path

from app.accounts.auth import Subject, VerifiedSubjectDep
from app.db import Conn, UnitOfWorkDep
from app.errors import ProblemError
from app.kit.read_connection import ReadConnDep
from app.organizers import repository
from app.organizers.errors import OrganizerNotFound, RoleTooLow
from app.organizers.roles import Role

__all__ = [
    "CheckerAccess",
    "EditorAccess",
    "MemberReadAccess",
    "OrganizerAccess",
    "OwnerAccess",
    "OwnerReadAccess",
    "Role",
    "authorize",
    "read_organizer_role",
    "require_organizer_role",
]


@dataclass(frozen=True, slots=True)
class OrganizerAccess:
    """The caller may act on this organizer with ``acts_as`` (at least the role that was required)."""

    organizer_id: UUID
    organizer_name: str
    subject: Subject
    # The caller's membership role; None when an admin who is not a member acts.
    role: Role | None
    # True when the caller is an admin (who acts with an owner's rights, member or not).
    by_admin: bool

    @property
    def acts_as(self) -> Role:
        if self.by_admin or self.role is None:
            return Role.OWNER
        return self.role

    @property
    def account_id(self) -> UUID:
        return self.subject.account_id


async def authorize(
    conn: Conn, subject: Subject, organizer_id: UUID, min_role: Role, *, not_found: ProblemError | None = None
) -> OrganizerAccess:
    """The caller's access to the organizer, or 404 (``not_found``) when out of scope, 403 when too low."""
    is_admin = subject.role == "admin"
    row = await repository.organizer_in_scope(conn, organizer_id, subject.account_id, any_organizer=is_admin)
    if row is None:
        raise not_found or OrganizerNotFound(f"organizer {organizer_id} not found")
    role = None if row["role"] is None else Role(row["role"])
    if role is not None and not role.includes(min_role) and not is_admin:
        raise RoleTooLow(f"this needs the role {min_role.value} or higher; yours is {role.value}")
    return OrganizerAccess(organizer_id, row["name"], subject, role, is_admin)


@cache
def require_organizer_role(min_role: Role) -> Callable[..., Awaitable[OrganizerAccess]]:
    """A dependency: the caller's access to the ``{organizer_id}`` of the path, with ``min_role`` or higher.

    Its query runs on the request's unit of work (the write's own transaction).
    """

    async def organizer_access(
        organizer_id: Annotated[UUID, Path()], subject: VerifiedSubjectDep, work: UnitOfWorkDep
    ) -> OrganizerAccess:
        return await authorize(work.conn, subject, organizer_id, min_role)

    organizer_access.__name__ = f"organizer_{min_role.value}_access"
    return organizer_access


@cache
def read_organizer_role(min_role: Role) -> Callable[..., Awaitable[OrganizerAccess]]:
    """Like ``require_organizer_role``, on the read connection (no transaction) for read-only endpoints."""

    async def organizer_read_access(
        organizer_id: Annotated[UUID, Path()], subject: VerifiedSubjectDep, db: ReadConnDep
    ) -> OrganizerAccess:
        return await authorize(await db.get(), subject, organizer_id, min_role)

    organizer_read_access.__name__ = f"organizer_{min_role.value}_read_access"
    return organizer_read_access


OwnerAccess = Annotated[OrganizerAccess, Depends(require_organizer_role(Role.OWNER))]
EditorAccess = Annotated[OrganizerAccess, Depends(require_organizer_role(Role.EDITOR))]
CheckerAccess = Annotated[OrganizerAccess, Depends(require_organizer_role(Role.CHECKER))]
MemberReadAccess = Annotated[OrganizerAccess, Depends(read_organizer_role(Role.CHECKER))]
OwnerReadAccess = Annotated[OrganizerAccess, Depends(read_organizer_role(Role.OWNER))]
