"""Every query of the organizers domain: organizers, their members and invitations.

Statements are small and keyed by the organizer (or the account); every list is bounded by its
``limit`` and paged by a key (``after``), never by an offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from app.db import Conn, set_lock_timeout
from app.organizers.roles import Role

Row = dict[str, Any]

_ORGANIZER = "o.id, o.name, o.email, o.created_at"


async def insert_organizer(conn: Conn, name: str, email: str | None, now: datetime) -> Row:
    cur = await conn.execute(
        "INSERT INTO organizers (name, email, created_at, updated_at) VALUES (%s, %s, %s, %s) "
        "RETURNING id, name, email, created_at",
        (name, email, now, now),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def owned_count(conn: Conn, account_id: UUID) -> int:
    """How many organizers ``account_id`` owns."""
    cur = await conn.execute(
        "SELECT count(*) AS n FROM organizer_members WHERE account_id = %s AND role = 'owner'", (account_id,)
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def organizer_in_scope(conn: Conn, organizer_id: UUID, account_id: UUID, *, any_organizer: bool) -> Row | None:
    """The organizer with the account's ``role`` in it (NULL when not a member), if the account may see it.

    A member sees the organizers they belong to; with ``any_organizer`` (an admin) every organizer is
    in scope. Anything else is ``None``, exactly as for an organizer that does not exist.
    """
    join = "LEFT JOIN" if any_organizer else "JOIN"
    cur = await conn.execute(
        f"SELECT {_ORGANIZER}, m.role FROM organizers o "
        f"{join} organizer_members m ON m.organizer_id = o.id AND m.account_id = %s "
        "WHERE o.id = %s",
        (account_id, organizer_id),
    )
    return await cur.fetchone()


async def my_organizers(conn: Conn, account_id: UUID, after: UUID | None, limit: int) -> list[Row]:
    cur = await conn.execute(
        f"SELECT {_ORGANIZER}, m.role FROM organizer_members m JOIN organizers o ON o.id = m.organizer_id "
        "WHERE m.account_id = %s AND (%s::uuid IS NULL OR m.organizer_id > %s) "
        "ORDER BY m.organizer_id LIMIT %s",
        (account_id, after, after, limit),
    )
    return await cur.fetchall()


async def insert_member(conn: Conn, organizer_id: UUID, account_id: UUID, role: Role, now: datetime) -> Row | None:
    """Add the account to the organizer; ``None`` when it is a member already (its role unchanged)."""
    cur = await conn.execute(
        "INSERT INTO organizer_members (organizer_id, account_id, role, joined_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (organizer_id, account_id) DO NOTHING "
        "RETURNING organizer_id, account_id, role, joined_at",
        (organizer_id, account_id, role.value, now, now),
    )
    return await cur.fetchone()


async def members(conn: Conn, organizer_id: UUID, after: UUID | None, limit: int) -> list[Row]:
    cur = await conn.execute(
        "SELECT m.account_id, a.email, a.display_name, m.role, m.joined_at "
        "FROM organizer_members m JOIN accounts a ON a.id = m.account_id "
        "WHERE m.organizer_id = %s AND (%s::uuid IS NULL OR m.account_id > %s) "
        "ORDER BY m.account_id LIMIT %s",
        (organizer_id, after, after, limit),
    )
    return await cur.fetchall()


async def lock_team(conn: Conn, organizer_id: UUID, lock_timeout_ms: int) -> list[Row]:
    """Every membership row of the organizer, locked until the transaction ends.

    Rows are locked in one fixed order (by account id), so two requests changing the same team
    queue behind each other instead of deadlocking; waiting longer than ``lock_timeout_ms`` raises
    ``psycopg.errors.LockNotAvailable``. Rows changed by a transaction that committed while this one
    waited are read as they are now (READ COMMITTED re-reads locked rows), so the caller re-checks
    its rules on what this returns.
    """
    await set_lock_timeout(conn, lock_timeout_ms)
    cur = await conn.execute(
        "SELECT account_id, role FROM organizer_members WHERE organizer_id = %s ORDER BY account_id FOR UPDATE",
        (organizer_id,),
    )
    return await cur.fetchall()


async def set_role(conn: Conn, organizer_id: UUID, account_id: UUID, role: Role, now: datetime) -> Row:
    cur = await conn.execute(
        "UPDATE organizer_members m SET role = %s, updated_at = %s FROM accounts a "
        "WHERE m.organizer_id = %s AND m.account_id = %s AND a.id = m.account_id "
        "RETURNING m.account_id, a.email, a.display_name, m.role, m.joined_at",
        (role.value, now, organizer_id, account_id),
    )
    row = await cur.fetchone()
    assert row is not None  # the caller holds the row's lock (lock_team)
    return row


async def delete_member(conn: Conn, organizer_id: UUID, account_id: UUID) -> None:
    await conn.execute(
        "DELETE FROM organizer_members WHERE organizer_id = %s AND account_id = %s", (organizer_id, account_id)
    )


async def is_member_email(conn: Conn, organizer_id: UUID, email: str) -> bool:
    """True when an account with this email (in any case) is a member of the organizer."""
    cur = await conn.execute(
        "SELECT 1 FROM organizer_members m JOIN accounts a ON a.id = m.account_id "
        "WHERE m.organizer_id = %s AND lower(a.email) = lower(%s)",
        (organizer_id, email),
    )
    return await cur.fetchone() is not None


async def delete_expired_invitations(conn: Conn, organizer_id: UUID, now: datetime) -> None:
    await conn.execute(
        "DELETE FROM organizer_invitations WHERE organizer_id = %s AND expires_at <= %s", (organizer_id, now)
    )


async def open_invitation_count(conn: Conn, organizer_id: UUID, now: datetime, besides: str) -> int:
    """Unexpired invitations of the organizer, not counting the one to ``besides`` (it would be replaced)."""
    cur = await conn.execute(
        "SELECT count(*) AS n FROM organizer_invitations "
        "WHERE organizer_id = %s AND expires_at > %s AND lower(email) <> lower(%s)",
        (organizer_id, now, besides),
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


_INVITATION = "id, organizer_id, email, role, created_at, expires_at, invited_by"


async def put_invitation(conn: Conn, values: Row) -> Row:
    """Insert the invitation, or replace the one to the same address (and with it the old token)."""
    cur = await conn.execute(
        "INSERT INTO organizer_invitations "
        "(organizer_id, email, role, token_hash, invited_by, created_at, expires_at) VALUES "
        "(%(organizer_id)s, %(email)s, %(role)s, %(token_hash)s, %(invited_by)s, %(created_at)s, %(expires_at)s) "
        "ON CONFLICT (organizer_id, lower(email)) DO UPDATE SET "
        "email = EXCLUDED.email, role = EXCLUDED.role, token_hash = EXCLUDED.token_hash, "
        "invited_by = EXCLUDED.invited_by, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at "
        f"RETURNING {_INVITATION}",
        values,
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def invitations(conn: Conn, organizer_id: UUID, after: UUID | None, limit: int) -> list[Row]:
    cur = await conn.execute(
        f"SELECT {_INVITATION} FROM organizer_invitations "
        "WHERE organizer_id = %s AND (%s::uuid IS NULL OR id > %s) ORDER BY id LIMIT %s",
        (organizer_id, after, after, limit),
    )
    return await cur.fetchall()


async def lock_invitation(conn: Conn, token_hash: bytes) -> Row | None:
    """The invitation with this token, with its organizer's name, locked until the transaction ends.

    Two acceptances of one token queue on the row; the second finds it gone (accepting deletes it).
    """
    cur = await conn.execute(
        "SELECT i.id, i.organizer_id, i.email, i.role, i.expires_at, o.name AS organizer_name "
        "FROM organizer_invitations i JOIN organizers o ON o.id = i.organizer_id "
        "WHERE i.token_hash = %s FOR UPDATE OF i",
        (token_hash,),
    )
    return await cur.fetchone()


async def delete_invitation(conn: Conn, organizer_id: UUID, invitation_id: UUID) -> bool:
    cur = await conn.execute(
        "DELETE FROM organizer_invitations WHERE organizer_id = %s AND id = %s", (organizer_id, invitation_id)
    )
    return cur.rowcount > 0


async def delete_invitations_to(conn: Conn, emails: Sequence[str]) -> int:
    """Remove every invitation addressed to one of ``emails`` (any case): the erase of a person."""
    cur = await conn.execute(
        "DELETE FROM organizer_invitations WHERE lower(email) = ANY(%s)", ([e.lower() for e in emails],)
    )
    return cur.rowcount


# ------------------------------------------------------------------------------ the erase of a person


async def lock_teams_of(conn: Conn, account_id: UUID, lock_timeout_ms: int) -> list[Row]:
    """Every membership row of every organizer ``account_id`` belongs to, with the organizer's name,
    locked until the transaction ends: by organizer, then by account id, the order ``lock_team``
    keeps within one organizer, so a team change and an erase queue instead of deadlocking."""
    await set_lock_timeout(conn, lock_timeout_ms)
    cur = await conn.execute(
        "SELECT m.organizer_id, o.name AS organizer_name, m.account_id, m.role "
        "FROM organizer_members m JOIN organizers o ON o.id = m.organizer_id "
        "WHERE m.organizer_id IN (SELECT organizer_id FROM organizer_members WHERE account_id = %s) "
        "ORDER BY m.organizer_id, m.account_id FOR UPDATE OF m",
        (account_id,),
    )
    return await cur.fetchall()


async def organizers_only_of(conn: Conn, account_id: UUID) -> list[UUID]:
    """The organizers whose one member is ``account_id``."""
    cur = await conn.execute(
        "SELECT m.organizer_id FROM organizer_members m WHERE m.account_id = %s AND NOT EXISTS "
        "(SELECT 1 FROM organizer_members o WHERE o.organizer_id = m.organizer_id AND o.account_id <> m.account_id) "
        "ORDER BY m.organizer_id",
        (account_id,),
    )
    return [row["organizer_id"] for row in await cur.fetchall()]


async def delete_organizers(conn: Conn, organizer_ids: list[UUID]) -> None:
    """Members, invitations and follows go with them (``ON DELETE CASCADE``); venues stay, unowned."""
    await conn.execute("DELETE FROM organizers WHERE id = ANY(%s)", (organizer_ids,))


async def delete_memberships_of(conn: Conn, account_id: UUID) -> None:
    await conn.execute("DELETE FROM organizer_members WHERE account_id = %s", (account_id,))


async def forget_contact_email(conn: Conn, email: str, now: datetime) -> None:
    """An organizer whose contact address is ``email`` (any case) keeps no contact address."""
    await conn.execute(
        "UPDATE organizers SET email = NULL, updated_at = %s WHERE lower(email) = lower(%s)", (now, email)
    )
