"""Queries of the profile domain: profiles, interests, saved events and followed organizers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from app.db import Conn

# What an insert under a limit did: added now, already there, or refused (the limit is reached).
Added = Literal["added", "present", "full"]

PUBLIC_EVENT = "e.status IN ('published', 'cancelled')"

_PROFILE_COLUMNS = (
    "p.media_token, p.avatar_name, p.locale, p.time_zone, p.units, p.home_consent_at, p.home_cell, p.home_radius_m, "
    "ST_Y(p.home_geom) AS home_lat, ST_X(p.home_geom) AS home_lon"
)


async def account_with_profile(conn: Conn, account_id: UUID) -> dict[str, Any] | None:
    """The account's own columns and its profile's (NULLs when it has none yet), with its interests."""
    cur = await conn.execute(
        f"SELECT a.id, a.email, a.email_verified_at, a.role, a.display_name, a.created_at, {_PROFILE_COLUMNS}, "
        "ARRAY(SELECT category FROM profile_interests i WHERE i.account_id = a.id ORDER BY category) AS interests "
        "FROM accounts a LEFT JOIN profiles p ON p.account_id = a.id WHERE a.id = %s",
        (account_id,),
    )
    return await cur.fetchone()


async def ensure_profile(conn: Conn, account_id: UUID, media_token: str) -> dict[str, Any]:
    """The account's profile row, created with ``media_token`` when missing, locked until commit."""
    await conn.execute(
        "INSERT INTO profiles (account_id, media_token) VALUES (%s, %s) ON CONFLICT (account_id) DO NOTHING",
        (account_id, media_token),
    )
    cur = await conn.execute(
        f"SELECT {_PROFILE_COLUMNS} FROM profiles p WHERE p.account_id = %s FOR UPDATE", (account_id,)
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def set_display_name(conn: Conn, account_id: UUID, display_name: str | None) -> None:
    await conn.execute(
        "UPDATE accounts SET display_name = %s, updated_at = now() WHERE id = %s", (display_name, account_id)
    )


async def update_profile(conn: Conn, account_id: UUID, values: dict[str, Any]) -> None:
    """Write plain columns (``locale``, ``time_zone``, ``units``, ``avatar_name``)."""
    assignments = ", ".join(f"{column} = %({column})s" for column in values)
    await conn.execute(
        f"UPDATE profiles SET {assignments}, updated_at = now() WHERE account_id = %(account_id)s",
        {**values, "account_id": account_id},
    )


async def set_home(
    conn: Conn,
    account_id: UUID,
    *,
    point: tuple[float, float] | None,
    cell: int | None,
    radius_m: int | None,
    consent_at: datetime,
) -> None:
    """Store a consented home: the exact point (lat, lon) or only its cell, never both."""
    lat, lon = point if point is not None else (None, None)
    await conn.execute(
        "UPDATE profiles SET home_consent_at = %(consent_at)s, home_cell = %(cell)s, home_radius_m = %(radius_m)s, "
        "home_geom = CASE WHEN %(lat)s::float8 IS NULL THEN NULL "
        "ELSE ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326) END, updated_at = now() "
        "WHERE account_id = %(account_id)s",
        {
            "consent_at": consent_at, "cell": cell, "radius_m": radius_m, "lat": lat, "lon": lon,
            "account_id": account_id,
        },
    )


async def forget_home(conn: Conn, account_id: UUID) -> None:
    await conn.execute(
        "UPDATE profiles SET home_consent_at = NULL, home_geom = NULL, home_cell = NULL, home_radius_m = NULL, "
        "updated_at = now() WHERE account_id = %s",
        (account_id,),
    )


async def known_categories(conn: Conn, slugs: list[str]) -> set[str]:
    cur = await conn.execute("SELECT slug FROM categories WHERE slug = ANY(%s)", (slugs,))
    return {row["slug"] for row in await cur.fetchall()}


async def replace_interests(conn: Conn, account_id: UUID, categories: list[str]) -> None:
    await conn.execute(
        "DELETE FROM profile_interests WHERE account_id = %s AND NOT (category = ANY(%s))", (account_id, categories)
    )
    await conn.execute(
        "INSERT INTO profile_interests (account_id, category) SELECT %s, unnest(%s::text[]) "
        "ON CONFLICT DO NOTHING",
        (account_id, categories),
    )


# ---------------------------------------------------------------- saved events


async def public_event_cell(conn: Conn, event_id: UUID) -> int | None:
    """The partition cell of a public event, found by id (every partition's id index)."""
    cur = await conn.execute(f"SELECT e.cell FROM events e WHERE e.id = %s AND {PUBLIC_EVENT}", (event_id,))
    row = await cur.fetchone()
    return None if row is None else int(row["cell"])


async def save_event(conn: Conn, account_id: UUID, cell: int, event_id: UUID, limit: int) -> Added:
    """Save the event unless the person already holds ``limit`` saved events."""
    cur = await conn.execute(
        "INSERT INTO saved_events (cell, event_id, account_id) "
        "SELECT %(cell)s, %(event_id)s, %(account_id)s "
        "WHERE (SELECT count(*) FROM saved_events WHERE account_id = %(account_id)s) < %(limit)s "
        "ON CONFLICT DO NOTHING RETURNING 1",
        {"cell": cell, "event_id": event_id, "account_id": account_id, "limit": limit},
    )
    if await cur.fetchone() is not None:
        return "added"
    return "present" if await _is_saved(conn, account_id, cell, event_id) else "full"


async def _is_saved(conn: Conn, account_id: UUID, cell: int, event_id: UUID) -> bool:
    cur = await conn.execute(
        "SELECT 1 FROM saved_events WHERE cell = %s AND event_id = %s AND account_id = %s",
        (cell, event_id, account_id),
    )
    return await cur.fetchone() is not None


async def unsave_event(conn: Conn, account_id: UUID, event_id: UUID) -> None:
    # By id: the row may have moved cell with its event since it was saved.
    await conn.execute("DELETE FROM saved_events WHERE account_id = %s AND event_id = %s", (account_id, event_id))


async def saved_events_page(
    conn: Conn, account_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """Saved public events, most recently saved first, ``limit`` of them after the keyset position ``after``."""
    position = "" if after is None else "AND (s.saved_at, s.event_id) < (%(saved_at)s, %(event_id)s)"
    cur = await conn.execute(
        "SELECT s.event_id, s.saved_at, e.title, e.category, e.starts_at, e.ends_at, e.timezone, e.status "
        "FROM saved_events s JOIN events e ON e.cell = s.cell AND e.id = s.event_id "
        f"WHERE s.account_id = %(account_id)s AND {PUBLIC_EVENT} {position} "
        "ORDER BY s.saved_at DESC, s.event_id DESC LIMIT %(limit)s",
        {
            "account_id": account_id,
            "limit": limit,
            "saved_at": after[0] if after else None,
            "event_id": after[1] if after else None,
        },
    )
    return await cur.fetchall()


# ---------------------------------------------------------------- followed organizers


async def organizer_exists(conn: Conn, organizer_id: UUID) -> bool:
    cur = await conn.execute("SELECT 1 FROM organizers WHERE id = %s", (organizer_id,))
    return await cur.fetchone() is not None


async def follow(conn: Conn, account_id: UUID, organizer_id: UUID, limit: int) -> Added:
    """Follow the organizer unless the person already follows ``limit`` of them."""
    cur = await conn.execute(
        "INSERT INTO organizer_follows (account_id, organizer_id) SELECT %(account_id)s, %(organizer_id)s "
        "WHERE (SELECT count(*) FROM organizer_follows WHERE account_id = %(account_id)s) < %(limit)s "
        "ON CONFLICT DO NOTHING RETURNING 1",
        {"account_id": account_id, "organizer_id": organizer_id, "limit": limit},
    )
    if await cur.fetchone() is not None:
        return "added"
    cur = await conn.execute(
        "SELECT 1 FROM organizer_follows WHERE account_id = %s AND organizer_id = %s", (account_id, organizer_id)
    )
    return "present" if await cur.fetchone() is not None else "full"


async def unfollow(conn: Conn, account_id: UUID, organizer_id: UUID) -> None:
    await conn.execute(
        "DELETE FROM organizer_follows WHERE account_id = %s AND organizer_id = %s", (account_id, organizer_id)
    )


async def following_page(
    conn: Conn, account_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> list[dict[str, Any]]:
    position = "" if after is None else "AND (f.followed_at, f.organizer_id) < (%(followed_at)s, %(organizer_id)s)"
    cur = await conn.execute(
        "SELECT f.organizer_id, o.name, f.followed_at FROM organizer_follows f "
        "JOIN organizers o ON o.id = f.organizer_id "
        f"WHERE f.account_id = %(account_id)s {position} "
        "ORDER BY f.followed_at DESC, f.organizer_id DESC LIMIT %(limit)s",
        {
            "account_id": account_id,
            "limit": limit,
            "followed_at": after[0] if after else None,
            "organizer_id": after[1] if after else None,
        },
    )
    return await cur.fetchall()
