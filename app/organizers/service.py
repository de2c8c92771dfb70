"""The rules of organizer teams: founding, invitations, roles, removals and the last owner.

Services take the request's connection (inside its transaction) and never commit; a mail is
written to the outbox in the same transaction and its delivery published on the unit of work.

Rules:
- A verified account founds an organizer and is its first owner (at most
  ``OrganizerSettings.max_owned_organizers`` owned at once, a cap against abuse that concurrent
  requests may pass by one or two).
- An owner invites an email address to a role. The invitation's token is mailed, never returned;
  inviting the same address again replaces the invitation (the old link stops working).
- An invitation is accepted by the signed-in account whose email is the invitation's address (any
  case) and is verified: the link alone is not enough, so a forwarded or leaked mail lets nobody
  else in, and the address an owner typed is the one that joins. Accepting uses it up.
- An owner changes roles and removes members; any member may leave. The organizer always keeps an
  owner: its last owner can neither leave, nor be removed, nor be demoted (409 ``last-owner``).
  These changes lock the team's membership rows in one order and re-check under the lock
  (``repository.lock_team``), so two owners demoting each other at once leave one owner, not none.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from psycopg.errors import LockNotAvailable

from app.accounts import repository as accounts
from app.accounts.auth import Subject
from app.accounts.tokens import digest, new_secret
from app.db import Conn, UnitOfWork
from app.errors import ServiceUnavailable
from app.kit.mail import enqueue
from app.kit.ratelimit import email_subject
from app.organizers import messages, repository
from app.organizers.auth import OrganizerAccess
from app.organizers.context import OrganizersContext
from app.organizers.errors import (
    AlreadyMember,
    InvitationExpired,
    InvitationForAnotherEmail,
    InvitationNotFound,
    LastOwner,
    MemberNotFound,
    OrganizerNotFound,
    RoleTooLow,
    TeamBusy,
    TooMany,
)
from app.organizers.roles import Role
from app.organizers.schemas import InvitationCreate, OrganizerCreate

Row = dict[str, Any]


# ------------------------------------------------------------------------------------------ organizers


async def found_organizer(work: UnitOfWork, ctx: OrganizersContext, subject: Subject, data: OrganizerCreate) -> Row:
    """Create an organizer with the caller as its owner."""
    cap = ctx.settings.max_owned_organizers
    if await repository.owned_count(work.conn, subject.account_id) >= cap:
        raise TooMany(f"an account owns at most {cap} organizers")
    now = ctx.clock()
    organizer = await repository.insert_organizer(work.conn, data.name, data.email, now)
    await repository.insert_member(work.conn, organizer["id"], subject.account_id, Role.OWNER, now)
    return {**organizer, "role": Role.OWNER}


async def organizer_of(conn: Conn, access: OrganizerAccess) -> Row:
    found = await repository.organizer_in_scope(conn, access.organizer_id, access.account_id, any_organizer=True)
    if found is None:  # deleted since the check
        raise OrganizerNotFound(f"organizer {access.organizer_id} not found")
    return found


# ------------------------------------------------------------------------------------------ invitations


async def invite(work: UnitOfWork, ctx: OrganizersContext, access: OrganizerAccess, data: InvitationCreate) -> Row:
    """Invite ``data.email`` to ``data.role`` and mail the link (replacing an earlier invitation)."""
    conn, org = work.conn, access.organizer_id
    try:
        await ctx.limiter.hit(
            (ctx.limits.invite_organizer, str(org)), (ctx.limits.invite_email, email_subject(data.email))
        )
    except ServiceUnavailable as exc:  # Redis unreachable: no limits, so no mail (fail closed)
        raise ServiceUnavailable("invitations cannot be sent for a moment; try again", headers=exc.headers) from exc
    now = ctx.clock()
    await repository.delete_expired_invitations(conn, org, now)
    if await repository.is_member_email(conn, org, data.email):
        raise AlreadyMember(f"{data.email} is a member already", param="email")
    cap = ctx.settings.max_open_invitations
    if await repository.open_invitation_count(conn, org, now, data.email) >= cap:
        raise TooMany(f"an organizer has at most {cap} open invitations; revoke some first")
    token = new_secret()
    expires_at = now + timedelta(seconds=ctx.settings.invitation_ttl_s)
    invitation = await repository.put_invitation(
        conn,
        {
            "organizer_id": org,
            "email": data.email,
            "role": data.role.value,
            "token_hash": digest(token),
            "invited_by": access.account_id,
            "created_at": now,
            "expires_at": expires_at,
        },
    )
    # The mail belongs to the invitee's account when there is one, so erasing it erases the mail.
    invitee = await accounts.find_account_by_email(conn, data.email)
    mail = messages.invitation(
        data.email,
        None if invitee is None else invitee["id"],
        access.organizer_name,
        data.role,
        token,
        ctx.mail_settings.public_url,
        expires_at,
    )
    work.publish(await enqueue(conn, mail, ctx.clock))
    return invitation


async def revoke_invitation(conn: Conn, access: OrganizerAccess, invitation_id: UUID) -> None:
    if not await repository.delete_invitation(conn, access.organizer_id, invitation_id):
        raise InvitationNotFound(f"invitation {invitation_id} not found")


async def accept_invitation(work: UnitOfWork, ctx: OrganizersContext, subject: Subject, token: str) -> Row:
    """Make the caller a member with the invitation's role, and use the invitation up."""
    conn = work.conn
    invitation = await repository.lock_invitation(conn, digest(token))
    if invitation is None:
        raise InvitationNotFound("this invitation does not exist, was used or was revoked")
    now = ctx.clock()
    if invitation["expires_at"] <= now:
        raise InvitationExpired("this invitation has expired; ask the organizer for a new one")
    account = await accounts.get_account(conn, subject.account_id)
    if account is None or account["email"].strip().lower() != invitation["email"].strip().lower():
        raise InvitationForAnotherEmail(
            "this invitation is addressed to another email address: sign in with the address it was sent to"
        )
    member = await repository.insert_member(
        conn, invitation["organizer_id"], subject.account_id, Role(invitation["role"]), now
    )
    if member is None:
        raise AlreadyMember("you are a member of this organizer already")
    await repository.delete_invitation(conn, invitation["organizer_id"], invitation["id"])
    return {**member, "organizer_name": invitation["organizer_name"]}


async def forget_invitations_to(conn: Conn, emails: list[str]) -> int:
    """Erase step for a person: remove every invitation addressed to one of their addresses.

    Memberships go with the account row (``ON DELETE CASCADE``). An account that is the last owner
    of an organizer leaves it without owners; admins can act on such an organizer.
    """
    return await repository.delete_invitations_to(conn, emails)


# ------------------------------------------------------------------------------------------ the team


async def change_role(
    work: UnitOfWork, ctx: OrganizersContext, access: OrganizerAccess, account_id: UUID, role: Role
) -> Row:
    """An owner (or admin) gives a member another role; the last owner keeps theirs."""
    team = await _lock_team(work.conn, ctx, access)
    _still_at_least(team, access, Role.OWNER)
    current = team.get(account_id)
    if current is None:
        raise MemberNotFound(f"account {account_id} is not a member of this organizer")
    if current is Role.OWNER and role is not Role.OWNER and _owners(team) == 1:
        raise LastOwner("the last owner cannot be demoted: make another member an owner first")
    return await repository.set_role(work.conn, access.organizer_id, account_id, role, ctx.clock())


async def remove_member(work: UnitOfWork, ctx: OrganizersContext, access: OrganizerAccess, account_id: UUID) -> None:
    """An owner (or admin) removes a member, or a member leaves; the last owner stays."""
    team = await _lock_team(work.conn, ctx, access)
    leaving = account_id == access.account_id and not access.by_admin
    _still_at_least(team, access, Role.CHECKER if leaving else Role.OWNER)
    current = team.get(account_id)
    if current is None:
        raise MemberNotFound(f"account {account_id} is not a member of this organizer")
    if current is Role.OWNER and _owners(team) == 1:
        raise LastOwner("the last owner cannot leave or be removed: make another member an owner first")
    await repository.delete_member(work.conn, access.organizer_id, account_id)


async def _lock_team(conn: Conn, ctx: OrganizersContext, access: OrganizerAccess) -> dict[UUID, Role]:
    try:
        rows = await repository.lock_team(conn, access.organizer_id, ctx.settings.lock_timeout_ms)
    except LockNotAvailable as exc:
        raise TeamBusy("the team is being changed by someone else; try again", headers={"Retry-After": "1"}) from exc
    return {row["account_id"]: Role(row["role"]) for row in rows}


def _still_at_least(team: dict[UUID, Role], access: OrganizerAccess, min_role: Role) -> None:
    """Re-check, under the lock, the caller's role that the dependency saw when the request began."""
    if access.by_admin:
        return
    role = team.get(access.account_id)
    if role is None:
        raise OrganizerNotFound(f"organizer {access.organizer_id} not found")
    if not role.includes(min_role):
        raise RoleTooLow(f"this needs the role {min_role.value} or higher; yours is {role.value}")


def _owners(team: dict[UUID, Role]) -> int:
    return sum(1 for role in team.values() if role is Role.OWNER)
