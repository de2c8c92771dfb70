"""Queries on ``account_identities`` (migration 0016). Times come from the caller's clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from app.db import Conn


async def find_identity(conn: Conn, provider: str, subject: str) -> dict[str, Any] | None:
    """The link of (provider, subject) with what the linking rule needs of its account."""
    cur = await conn.execute(
        "SELECT i.account_id, i.email_verified, a.password_hash IS NOT NULL AS has_password "
        "FROM account_identities i JOIN accounts a ON a.id = i.account_id "
        "WHERE i.provider = %s AND i.subject = %s",
        (provider, subject),
    )
    return await cur.fetchone()


async def link_identity(
    conn: Conn, provider: str, subject: str, account_id: UUID, *, email_verified: bool, now: datetime
) -> None:
    """Link (provider, subject) to ``account_id``, replacing a link of it that no longer holds."""
    await conn.execute(
        "INSERT INTO account_identities (provider, subject, account_id, email_verified, created_at, last_used_at) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (provider, subject) DO UPDATE SET "
        "account_id = EXCLUDED.account_id, email_verified = EXCLUDED.email_verified, "
        "created_at = EXCLUDED.created_at, last_used_at = EXCLUDED.last_used_at",
        (provider, subject, account_id, email_verified, now, now),
    )


async def touch_identity(conn: Conn, provider: str, subject: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE account_identities SET last_used_at = %s WHERE provider = %s AND subject = %s",
        (now, provider, subject),
    )


async def identities_of(conn: Conn, account_id: UUID) -> list[dict[str, Any]]:
    """Every provider identity linked to the account (for its export), oldest first."""
    cur = await conn.execute(
        "SELECT provider, subject, email_verified, created_at, last_used_at FROM account_identities "
        "WHERE account_id = %s ORDER BY created_at, provider LIMIT 100",
        (account_id,),
    )
    return await cur.fetchall()
