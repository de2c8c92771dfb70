"""Queries of the privacy domain (the holders' own queries live with each holder)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.db import Conn


async def account_email(conn: Conn, account_id: UUID) -> str | None:
    cur = await conn.execute("SELECT email FROM accounts WHERE id = %s", (account_id,))
    row = await cur.fetchone()
    return None if row is None else str(row["email"])


async def sign_in_facts(conn: Conn, account_id: UUID, session_id: UUID) -> dict[str, Any] | None:
    """The account's email, whether it has a password, and when the session began."""
    cur = await conn.execute(
        "SELECT a.email, a.password_hash IS NOT NULL AS has_password, s.created_at AS signed_in_at "
        "FROM accounts a JOIN auth_sessions s ON s.account_id = a.id WHERE a.id = %s AND s.id = %s",
        (account_id, session_id),
    )
    return await cur.fetchone()


async def record_erasure(conn: Conn, pseudonym: UUID) -> None:
    await conn.execute("INSERT INTO erasures (pseudonym) VALUES (%s)", (pseudonym,))

