"""What the profile domain holds about a person, for the export and the erase (``app.privacy.registry``)."""

from __future__ import annotations

import base64
from typing import Any

from psycopg import sql

from app.db import Conn
from app.kit.media import MediaStore
from app.privacy.registry import Erasure, Exported, ExportFn, Holder, Person, fetch_json
from app.profiles.avatars import MEDIA_TYPE
from app.profiles.repository import PUBLIC_EVENT
from app.profiles.service import AVATARS, avatar_url, home_of

_SAVED_EVENTS = sql.SQL(
    "SELECT coalesce(jsonb_agg(jsonb_build_object("
    "'event_id', s.event_id, 'saved_at', s.saved_at, 'title', e.title, 'starts_at', e.starts_at"
    ") ORDER BY s.saved_at DESC), '[]'::jsonb) AS rows "
    f"FROM saved_events s LEFT JOIN events e ON e.cell = s.cell AND e.id = s.event_id AND {PUBLIC_EVENT} "
    "WHERE s.account_id = %(account_id)s"
)
_FOLLOWING = sql.SQL(
    "SELECT coalesce(jsonb_agg(jsonb_build_object("
    "'organizer_id', f.organizer_id, 'name', o.name, 'followed_at', f.followed_at"
    ") ORDER BY f.followed_at DESC), '[]'::jsonb) AS rows "
    "FROM organizer_follows f JOIN organizers o ON o.id = f.organizer_id WHERE f.account_id = %(account_id)s"
)


def holders(media: MediaStore) -> list[Holder]:
    """The profile, its interests and avatar; saved events; followed organizers."""
    return [
        Holder("profile", ("profiles", "profile_interests"), _profile_exporter(media), _erase_profile),
        Holder("saved_events", ("saved_events",), _export_saved_events, _erase_saved_events),
        Holder("following", ("organizer_follows",), _export_following, _erase_following),
    ]


def _profile_exporter(media: MediaStore) -> ExportFn:
    async def export_profile(conn: Conn, person: Person) -> Exported:
        row = await _profile_row(conn, person)
        if row is None:
            return None
        home = home_of(row)
        avatar = None
        if row["avatar_name"] is not None:
            data = await media.read(AVATARS, row["media_token"], row["avatar_name"])
            avatar = {
                "url": avatar_url(row["media_token"], row["avatar_name"]),
                "media_type": MEDIA_TYPE,
                "base64": None if data is None else base64.b64encode(data).decode("ascii"),
            }
        return {
            "locale": row["locale"],
            "time_zone": row["time_zone"],
            "units": row["units"],
            "interests": list(row["interests"]),
            "home": None if home is None else home.model_dump(mode="json"),
            "avatar": avatar,
            "created_at": row["created_at"].isoformat(),
            "updated_at": row["updated_at"].isoformat(),
        }

    return export_profile


async def _profile_row(conn: Conn, person: Person) -> dict[str, Any] | None:
    cur = await conn.execute(
        "SELECT p.media_token, p.avatar_name, p.locale, p.time_zone, p.units, p.home_consent_at, p.home_cell, "
        "p.home_radius_m, ST_Y(p.home_geom) AS home_lat, ST_X(p.home_geom) AS home_lon, p.created_at, p.updated_at, "
        "ARRAY(SELECT category FROM profile_interests i WHERE i.account_id = p.account_id ORDER BY category) "
        "AS interests FROM profiles p WHERE p.account_id = %s",
        (person.account_id,),
    )
    return await cur.fetchone()


async def _erase_profile(conn: Conn, erasure: Erasure) -> None:
    cur = await conn.execute(
        "DELETE FROM profiles WHERE account_id = %s RETURNING media_token", (erasure.person.account_id,)
    )
    row = await cur.fetchone()
    if row is not None:  # every avatar the person uploaded lives in this one folder
        erasure.media_dirs.add((AVATARS, row["media_token"]))
    await conn.execute("DELETE FROM profile_interests WHERE account_id = %s", (erasure.person.account_id,))


async def _export_saved_events(conn: Conn, person: Person) -> Exported:
    return await fetch_json(conn, _SAVED_EVENTS, {"account_id": person.account_id})


async def _erase_saved_events(conn: Conn, erasure: Erasure) -> None:
    await conn.execute("DELETE FROM saved_events WHERE account_id = %s", (erasure.person.account_id,))


async def _export_following(conn: Conn, person: Person) -> Exported:
    return await fetch_json(conn, _FOLLOWING, {"account_id": person.account_id})


async def _erase_following(conn: Conn, erasure: Erasure) -> None:
    await conn.execute("DELETE FROM organizer_follows WHERE account_id = %s", (erasure.person.account_id,))
