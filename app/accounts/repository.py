"""Every query of the accounts domain. Times come from the caller (the service's clock), never ``now()``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from app.db import Conn

Role = Literal["user", "admin"]
Purpose = Literal["verify", "reset"]
RevokeReason = Literal["logout", "logout-all", "reuse", "password", "erase"]

_ACCOUNT = "id, email, password_hash, role, email_verified_at, display_name, created_at, password_changed_at"


async def find_account_by_email(conn: Conn, email: str) -> dict[str, Any] | None:
    """The account of ``email``, whatever its case."""
    cur = await conn.execute(f"SELECT {_ACCOUNT} FROM accounts WHERE lower(email) = lower(%s)", (email.strip(),))
    return await cur.fetchone()


async def get_account(conn: Conn, account_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute(f"SELECT {_ACCOUNT} FROM accounts WHERE id = %s", (account_id,))
    return await cur.fetchone()


async def create_account(
    conn: Conn,
    email: str,
    *,
    password_hash: str | None,
    now: datetime,
    verified: bool = False,
    display_name: str | None = None,
    role: Role = "user",
) -> dict[str, Any] | None:
    """A new account, or None when the email is taken (whatever its case). No password: social sign-in only."""
    cur = await conn.execute(
        f"INSERT INTO accounts (email, password_hash, role, email_verified_at, display_name, "
        f"password_changed_at, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT ((lower(email))) DO NOTHING RETURNING {_ACCOUNT}",
        (
            email.strip(),
            password_hash,
            role,
            now if verified else None,
            display_name,
            now if password_hash is not None else None,
            now,
            now,
        ),
    )
    return await cur.fetchone()


async def set_password_hash(conn: Conn, account_id: UUID, password_hash: str, now: datetime, *, changed: bool) -> None:
    """Store a new hash; ``changed`` False for the same password rehashed at today's parameters."""
    if changed:
        await conn.execute(
            "UPDATE accounts SET password_hash = %s, password_changed_at = %s, updated_at = %s WHERE id = %s",
            (password_hash, now, now, account_id),
        )
    else:
        await conn.execute("UPDATE accounts SET password_hash = %s WHERE id = %s", (password_hash, account_id))


async def mark_email_verified(conn: Conn, account_id: UUID, now: datetime) -> bool:
    """Record the verification; False when it was already verified."""
    cur = await conn.execute(
        "UPDATE accounts SET email_verified_at = %s, updated_at = %s WHERE id = %s AND email_verified_at IS NULL",
        (now, now, account_id),
    )
    return cur.rowcount == 1


async def create_session(
    conn: Conn, account_id: UUID, *, csrf_hash: bytes | None, now: datetime, expires_at: datetime
) -> UUID:
    cur = await conn.execute(
        "INSERT INTO auth_sessions (account_id, csrf_hash, created_at, expires_at) "
        "VALUES (%s, %s, %s, %s) RETURNING id",
        (account_id, csrf_hash, now, expires_at),
    )
    row = await cur.fetchone()
    assert row is not None
    return UUID(str(row["id"]))


async def add_refresh_token(
    conn: Conn, token_hash: bytes, session_id: UUID, account_id: UUID, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, session_id, account_id, issued_at, expires_at) "
        "VALUES (%s, %s, %s, %s, %s)",
        (token_hash, session_id, account_id, now, expires_at),
    )


async def lock_refresh_token(conn: Conn, token_hash: bytes) -> dict[str, Any] | None:
    """A refresh token with its session, both locked until the transaction ends."""
    cur = await conn.execute(
        "SELECT t.session_id, t.account_id, t.expires_at, t.rotated_at, t.revoked_at, "
        "s.expires_at AS session_expires_at, s.revoked_at AS session_revoked_at, s.csrf_hash "
        "FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id "
        "WHERE t.token_hash = %s FOR UPDATE",
        (token_hash,),
    )
    return await cur.fetchone()


async def mark_rotated(conn: Conn, token_hash: bytes, session_id: UUID, now: datetime) -> None:
    await conn.execute("UPDATE refresh_tokens SET rotated_at = %s WHERE token_hash = %s", (now, token_hash))
    await conn.execute("UPDATE auth_sessions SET last_refreshed_at = %s WHERE id = %s", (now, session_id))


async def revoke_session(conn: Conn, session_id: UUID, reason: RevokeReason, now: datetime) -> UUID | None:
    """End one session and its refresh tokens; its account's id, or None if it was not live."""
    cur = await conn.execute(
        "UPDATE auth_sessions SET revoked_at = %s, revoked_reason = %s "
        "WHERE id = %s AND revoked_at IS NULL RETURNING account_id",
        (now, reason, session_id),
    )
    row = await cur.fetchone()
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = %s WHERE session_id = %s AND revoked_at IS NULL", (now, session_id)
    )
    return None if row is None else UUID(str(row["account_id"]))


async def revoke_sessions_of(conn: Conn, account_id: UUID, reason: RevokeReason, now: datetime) -> int:
    """End every session of an account; how many were live."""
    cur = await conn.execute(
        "UPDATE auth_sessions SET revoked_at = %s, revoked_reason = %s WHERE account_id = %s AND revoked_at IS NULL",
        (now, reason, account_id),
    )
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = %s WHERE account_id = %s AND revoked_at IS NULL", (now, account_id)
    )
    return cur.rowcount


async def session_state(conn: Conn, session_id: UUID) -> dict[str, Any] | None:
    """A live (not revoked) session with its account's role and verification."""
    cur = await conn.execute(
        "SELECT s.account_id, s.expires_at, a.role, a.email_verified_at IS NOT NULL AS email_verified "
        "FROM auth_sessions s JOIN accounts a ON a.id = s.account_id "
        "WHERE s.id = %s AND s.revoked_at IS NULL",
        (session_id,),
    )
    return await cur.fetchone()


async def add_one_time_token(
    conn: Conn, token_hash: bytes, account_id: UUID, purpose: Purpose, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at) "
        "VALUES (%s, %s, %s, %s, %s)",
        (token_hash, account_id, purpose, now, expires_at),
    )


async def use_one_time_token(conn: Conn, token_hash: bytes, purpose: Purpose, now: datetime) -> UUID | None:
    """Spend a token: its account, or None when it is unknown, used, expired or for another purpose."""
    cur = await conn.execute(
        "UPDATE account_tokens SET used_at = %s "
        "WHERE token_hash = %s AND purpose = %s AND used_at IS NULL AND expires_at > %s RETURNING account_id",
        (now, token_hash, purpose, now),
    )
    row = await cur.fetchone()
    return None if row is None else UUID(str(row["account_id"]))


async def account_of_one_time_token(
    conn: Conn, token_hash: bytes, purpose: Purpose, now: datetime
) -> dict[str, Any] | None:
    """The account a usable token belongs to, without spending it."""
    cur = await conn.execute(
        f"SELECT {', '.join('a.' + c for c in _ACCOUNT.split(', '))} FROM account_tokens t "
        "JOIN accounts a ON a.id = t.account_id "
        "WHERE t.token_hash = %s AND t.purpose = %s AND t.used_at IS NULL AND t.expires_at > %s",
        (token_hash, purpose, now),
    )
    return await cur.fetchone()


async def purge_ended(conn: Conn, now: datetime, keep: timedelta) -> int:
    """Delete what ended more than ``keep`` ago: sessions (with their refresh tokens), refresh tokens
    past their expiry (a rotated one replayed after that is merely unknown), one-time tokens. Rows deleted."""
    before = now - keep
    deleted = 0
    for statement in (
        "DELETE FROM auth_sessions WHERE expires_at < %(before)s OR revoked_at < %(before)s",
        "DELETE FROM refresh_tokens WHERE expires_at < %(before)s",
        "DELETE FROM account_tokens WHERE expires_at < %(before)s OR used_at < %(before)s",
    ):
        cur = await conn.execute(statement, {"before": before})
        deleted += cur.rowcount
    return deleted


async def void_one_time_tokens(conn: Conn, account_id: UUID, purpose: Purpose, now: datetime) -> None:
    """Spend every unused token of a purpose (a newer one, or a done reset, replaces them)."""
    await conn.execute(
        "UPDATE account_tokens SET used_at = %s WHERE account_id = %s AND purpose = %s AND used_at IS NULL",
        (now, account_id, purpose),
    )
