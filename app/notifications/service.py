"""The rules of devices, geofences, preferences, location reports and reminders."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from app.db import Conn
from app.errors import InvalidParameter, NotFound
from app.notifications import repository
from app.notifications.errors import LimitReached, TooManyReports, UnsafePushEndpoint
from app.notifications.matching import ATTENDEES, INSERT_NOTICES, match_params, notices_text, write_notices
from app.notifications.push_address import UnsafeEndpoint, check_endpoint
from app.notifications.schemas import (
    CircleArea,
    DeviceIn,
    DeviceRemove,
    GeofenceIn,
    GeofenceOut,
    GeofencePatch,
    NotificationSettingsOut,
    NotificationSettingsPatch,
    PolygonArea,
    QuietHours,
)
from config.settings import NotificationSettings
from geo.geofence import Area, InvalidGeofence, circle, cover, polygon

# ------------------------------------------------------------------------------------------- devices


async def add_device(conn: Conn, account_id: UUID, body: DeviceIn, settings: NotificationSettings) -> dict[str, Any]:
    if body.platform == "webpush":
        assert body.subscription is not None
        try:
            await check_endpoint(body.subscription.endpoint, settings.allowed_push_hosts)
        except UnsafeEndpoint as exc:
            raise UnsafePushEndpoint(str(exc), param="subscription.endpoint") from None
        token, p256dh, auth = body.subscription.endpoint, body.subscription.keys.p256dh, body.subscription.keys.auth
    else:
        assert body.token is not None
        token, p256dh, auth = body.token, None, None
    if await repository.count_devices(conn, account_id) >= settings.max_devices:
        raise LimitReached(f"at most {settings.max_devices} devices per person: remove one first")
    return await repository.upsert_device(conn, account_id, body.platform, token, p256dh, auth)


async def remove_device(conn: Conn, account_id: UUID, body: DeviceRemove) -> None:
    token = body.token if body.token is not None else body.endpoint
    assert token is not None
    await repository.delete_device(conn, account_id, body.platform, token)


# ----------------------------------------------------------------------------------------- geofences


def parse_area(area: CircleArea | PolygonArea, settings: NotificationSettings) -> tuple[Area, dict[str, Any]]:
    try:
        if isinstance(area, CircleArea):
            parsed = circle(
                area.center.lat, area.center.lon, area.radius_m, max_radius_m=settings.max_geofence_radius_m
            )
        else:
            parsed = polygon(
                area.coordinates,
                max_vertices=settings.max_geofence_vertices,
                max_area_km2=settings.max_geofence_area_km2,
            )
    except InvalidGeofence as exc:
        raise InvalidParameter(str(exc), param=exc.param) from None
    return parsed, area.model_dump(mode="json")


def _filters(body: GeofenceIn | GeofencePatch, *, only_set: bool) -> dict[str, Any]:
    names = ("name", "categories", "price_max", "days", "time_from", "time_to")
    given = body.model_fields_set if only_set else set(names)
    values = {name: getattr(body, name) for name in names if name in given}
    if "name" in values and values["name"] is None:
        values["name"] = ""
    return values


async def create_geofence(
    conn: Conn, account_id: UUID, body: GeofenceIn, settings: NotificationSettings
) -> GeofenceOut:
    area, shape = parse_area(body.area, settings)
    await repository.lock_person_geofences(conn, account_id)
    if await repository.count_geofences(conn, account_id) >= settings.max_geofences:
        raise LimitReached(f"at most {settings.max_geofences} geofences per person: remove one first")
    row = await repository.insert_geofence(conn, account_id, area, shape, _filters(body, only_set=False), cover(area))
    return geofence_out(row)


async def update_geofence(
    conn: Conn, account_id: UUID, geofence_id: UUID, body: GeofencePatch, settings: NotificationSettings
) -> GeofenceOut:
    area, shape, cells = None, None, None
    if body.area is not None:
        area, shape = parse_area(body.area, settings)
        cells = cover(area)
    elif "area" in body.model_fields_set:
        raise InvalidParameter("a geofence needs an area", param="area")
    filters = _filters(body, only_set=True)
    filters.pop("area", None)
    row = await repository.update_geofence(conn, account_id, geofence_id, area, shape, filters, cells)
    if row is None:
        raise NotFound(f"geofence {geofence_id} does not exist")
    if (row["time_from"] is None) != (row["time_to"] is None):
        raise InvalidParameter("time_from and time_to go together", param="time_from")
    return geofence_out(row)


async def delete_geofence(conn: Conn, account_id: UUID, geofence_id: UUID) -> None:
    if not await repository.delete_geofence(conn, account_id, geofence_id):
        raise NotFound(f"geofence {geofence_id} does not exist")


def geofence_out(row: dict[str, Any]) -> GeofenceOut:
    return GeofenceOut.model_validate({**row, "area": row["shape"], "days": row["days"]})


# -------------------------------------------------------------------------------------- preferences


async def read_settings(conn: Conn, account_id: UUID, settings: NotificationSettings) -> NotificationSettingsOut:
    row = await repository.read_settings(conn, account_id) or {}
    quiet = None
    if row.get("quiet_start") is not None:
        quiet = QuietHours(start=row["quiet_start"], end=row["quiet_end"])
    else:
        quiet = QuietHours.model_validate({"start": settings.quiet_start, "end": settings.quiet_end})
    return NotificationSettingsOut(
        channels={"fcm": row.get("fcm", True), "webpush": row.get("webpush", True), "inbox": True},
        kinds={k: row.get(k, k != "starting_soon") for k in ("nearby", "changes", "reminders", "starting_soon")},
        quiet_hours=quiet,
        time_zone=row.get("time_zone"),
        daily_cap=settings.daily_cap,
    )


async def update_settings(conn: Conn, account_id: UUID, patch: NotificationSettingsPatch) -> None:
    values: dict[str, Any] = {}
    for group in (patch.channels, patch.kinds):
        if group is not None:
            values.update({k: v for k, v in group.model_dump(exclude_unset=True).items() if v is not None})
    if "quiet_hours" in patch.model_fields_set:
        quiet = patch.quiet_hours
        values["quiet_start"] = None if quiet is None else quiet.start
        values["quiet_end"] = None if quiet is None else quiet.end
    if "time_zone" in patch.model_fields_set:
        values["time_zone"] = patch.time_zone
    await repository.write_settings(conn, account_id, values)


# ------------------------------------------------------------------------------ location and reminders

# Events starting soon inside the person's own geofences that hold the reported point.
_STARTING_SOON = """
    SELECT e.cell, e.id, e.title, e.category, e.starts_at, e.ends_at, e.timezone, e.status, e.is_free, e.price_min,
           ST_Y(e.geom) AS lat, ST_X(e.geom) AS lon, e.venue_name
    FROM events e
    WHERE e.cell = ANY(%(cells)s) AND e.status = 'published'
      AND e.starts_at > %(now)s AND e.starts_at <= %(until)s
      AND ST_DWithin(e.geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius)s)
    ORDER BY e.starts_at LIMIT 20
"""
_OWN_GEOFENCES_HERE = """
    SELECT %(account_id)s::uuid AS account_id FROM geofences g
    WHERE g.account_id = %(account_id)s
      AND ST_Intersects(g.area, ST_SetSRID(ST_MakePoint(%(here_lon)s, %(here_lat)s), 4326))
      AND ST_Intersects(g.area, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
      AND (g.radius_m IS NULL OR ST_DWithin(
            g.center, ST_SetSRID(ST_MakePoint(%(here_lon)s, %(here_lat)s), 4326)::geography, g.radius_m, false))
      AND (g.radius_m IS NULL OR ST_DWithin(
            g.center, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, g.radius_m, false))
      AND (g.categories IS NULL OR %(category)s = ANY (g.categories))
    LIMIT 1
"""


async def report_location(
    conn: Conn, account_id: UUID, lat: float, lon: float, now: datetime, settings: NotificationSettings
) -> int:
    """A device is here: tell about events starting soon near it, inside one of the person's geofences.

    Opt-in (``kinds.starting_soon``) and at most one report per ``location_every_s``; the point is
    used for this query only and never stored.
    """
    from geo.cells import cells_covering_circle

    cur = await conn.execute("SELECT last_location_at FROM notification_settings WHERE account_id = %s", (account_id,))
    row = await cur.fetchone()
    last = None if row is None else row["last_location_at"]
    if last is not None and last > now - timedelta(seconds=settings.location_every_s):
        retry = {"Retry-After": str(settings.location_every_s)}
        raise TooManyReports("one location report per few minutes", headers=retry)
    if not await repository.take_location_slot(conn, account_id, now, settings.location_every_s):
        return 0
    radius = 2000.0
    cells = cells_covering_circle(lat, lon, radius) or []
    cur = await conn.execute(
        _STARTING_SOON,
        {
            "cells": cells,
            "now": now,
            "until": now + timedelta(seconds=settings.starting_soon_s),
            "lat": lat,
            "lon": lon,
            "radius": radius,
        },
    )
    written = 0
    for event in await cur.fetchall():
        written += await _insert_one(
            conn,
            _OWN_GEOFENCES_HERE,
            event,
            "starting_soon",
            "",
            now,
            {"account_id": account_id, "here_lat": lat, "here_lon": lon},
        )
    return written


async def _insert_one(
    conn: Conn, people: str, event: dict[str, Any], kind: str, topic: str, now: datetime, extra: dict[str, Any]
) -> int:
    from psycopg.types.json import Jsonb

    pref = {"starting_soon": "starting_soon", "reminder_24h": "reminders", "reminder_1h": "reminders"}[kind]
    title, body = notices_text(kind, event)
    data = {"event_id": str(event["id"]), "kind": kind, "starts_at": event["starts_at"].isoformat()}
    return await write_notices(
        conn,
        INSERT_NOTICES.format(people=people, pref=pref),
        {
            **match_params(event),
            **extra,
            "cell": event["cell"],
            "event_id": event["id"],
            "kind": kind,
            "topic": topic,
            "title": title,
            "body": body,
            "data": Jsonb(data),
            "now": now,
        },
    )


_REMINDER_EVENTS = """
    SELECT e.cell, e.id, e.title, e.category, e.starts_at, e.ends_at, e.timezone, e.status, e.is_free, e.price_min,
           ST_Y(e.geom) AS lat, ST_X(e.geom) AS lon, e.venue_name
    FROM events e
    WHERE e.status = 'published' AND e.starts_at > %(from)s AND e.starts_at <= %(to)s
      AND (EXISTS (SELECT FROM saved_events s WHERE s.cell = e.cell AND s.event_id = e.id)
           OR EXISTS (SELECT FROM rsvps r WHERE r.cell = e.cell AND r.event_id = e.id
                      AND r.status IN ('going', 'interested', 'waitlisted'))
           OR EXISTS (SELECT FROM tickets t WHERE t.cell = e.cell AND t.event_id = e.id AND t.status = 'valid'))
    ORDER BY e.starts_at, e.id LIMIT %(limit)s
"""


async def write_reminders(conn: Conn, now: datetime, limit: int = 500) -> int:
    """Reminders to the people holding events: 24 h before (for starts more than 1 h away) and 1 h before.

    Idempotent: the notice key includes the start, so a rerun writes nothing new, and a rescheduled
    event is reminded of again at its new time.
    """
    written = 0
    windows = (
        ("reminder_1h", now, now + timedelta(hours=1)),
        ("reminder_24h", now + timedelta(hours=1), now + timedelta(hours=24)),
    )
    for kind, start, end in windows:
        cur = await conn.execute(_REMINDER_EVENTS, {"from": start, "to": end, "limit": limit})
        for event in await cur.fetchall():
            written += await _insert_one(conn, ATTENDEES, event, kind, event["starts_at"].isoformat(), now, {})
    return written
