"""The rules of recurring events: create a series, edit it (one occurrence, this and following, all),
cancel or exclude one occurrence, and extend its horizon. Services never commit.

Decisions (docs/ARCHITECTURE.md, "Recurring events"):
- A series is a row of ``event_series`` (template, rule, local start, duration, zone, place); its
  occurrences are ``events`` rows made by ``app.series.materialise`` up to ``materialised_until``.
- Times are wall-clock times of the series' zone: 19:00 stays 19:00 across daylight-saving changes.
- Publishing (or unpublishing) any occurrence publishes the whole series; cancelling cancels one
  occurrence (it stays visible as cancelled) unless the scope is ``series``; deleting one
  occurrence adds its start to the exdates.
- ``scope=occurrence`` stores an override (kept across re-materialisation); ``scope=series``
  changes the template and rule and rewrites the future occurrences (past ones stay as they were);
  ``scope=following`` splits the series: the old one ends (UNTIL) before the occurrence, a new one
  starts with it, taking the later occurrences (same ids) and their overrides along.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg.errors import LockNotAvailable

from app.db import Conn
from app.errors import InvalidParameter, ServiceUnavailable
from app.events.changes import EventChange
from app.events.publishing_schemas import Recurrence
from app.events.repository import RETURNED
from app.series import repository
from app.series.errors import InvalidRecurrence, NotAnOccurrence
from app.series.materialise import TEMPLATE, materialise, starts
from app.series.rules import Rule, RuleError, check_size, occurrences, parse_rule, to_local
from app.series.schemas import SeriesCreate
from config.settings import SeriesSettings

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def store_series(
    conn: Conn, data: SeriesCreate, *, settings: SeriesSettings, now: datetime
) -> tuple[dict[str, Any], list[EventChange]]:
    """Store the series and materialise its occurrences up to the horizon; the first one and the changes.

    (``app.series.organizing.create_series`` is the organizers' way in: local times, audit.)
    """
    zone = ZoneInfo(data.timezone)
    start_local, end_local = to_local(data.starts_at, zone), to_local(data.ends_at, zone)
    rule, exdates = _recurrence(data.recurrence, zone, settings)
    horizon = now + timedelta(days=settings.horizon_days)
    rule_ends = _check(rule, start_local, zone, horizon, settings)
    point = await _point(conn, data.organizer_id, data.venue_id, data.location)
    values = {
        **data.model_dump(include=set(TEMPLATE) | {"organizer_id", "venue_id", "status", "timezone"}),
        "rrule": rule.text, "exdates": exdates, "dtstart_local": start_local,
        "duration": max(end_local - start_local, data.ends_at - data.starts_at), "materialised_until": horizon,
        "rule_ends_at": rule_ends,
    }
    series = await repository.insert_series(conn, values, *point)
    outcome = await materialise(conn, series, since=EPOCH, until=horizon, now=now, fresh=True)
    if not outcome.rows:
        raise InvalidRecurrence("the rule gives no occurrence before the horizon", param="recurrence.rrule")
    return outcome.rows[min(outcome.rows)], outcome.changes


async def occurrence_of(conn: Conn, event_id: UUID, lock_timeout_ms: int | None = None) -> dict[str, Any]:
    """The event's series row (locked) with the occurrence's ``recurrence_id``, ``event_id`` and status.

    404 when the event is no occurrence. ``lock_timeout_ms``: a request already holds the event's
    row when it asks for the series', while the series' writers lock the series first and its rows
    after; waiting no longer than this (then 503 with Retry-After) ends such a crossing at once.
    """
    event = await repository.series_of_event(conn, event_id)
    if event is None or event["series_id"] is None:
        raise NotAnOccurrence(f"event {event_id} is not an occurrence of a series")
    try:
        series = await repository.lock_series(conn, event["series_id"], lock_timeout_ms)
    except LockNotAvailable:
        raise ServiceUnavailable(
            "the series is being changed by another request; try again", headers={"Retry-After": "1"}
        ) from None
    if series is None:
        raise NotAnOccurrence(f"event {event_id} is not an occurrence of a series")
    return {**series, "recurrence_id": event["recurrence_id"], "event_id": event_id}


async def any_occurrence(conn: Conn, series_id: UUID) -> dict[str, Any]:
    """An occurrence to answer with when the edited one is gone: the next one, else the last."""
    cur = await conn.execute(
        f"SELECT {RETURNED} FROM events WHERE series_id = %s ORDER BY recurrence_id >= now() DESC, "
        "CASE WHEN recurrence_id >= now() THEN recurrence_id END, recurrence_id DESC LIMIT 1",
        (series_id,),
    )
    row = await cur.fetchone()
    if row is None:
        raise NotAnOccurrence(f"series {series_id} has no occurrence left")
    return row


async def edit_occurrence(
    conn: Conn, occurrence: dict[str, Any], changes: dict[str, Any], *, now: datetime
) -> tuple[dict[str, Any], list[EventChange]]:
    """Change one occurrence on its own: an override, applied now and on every re-materialisation.

    ``changes`` holds event fields (template fields, ``starts_at``, ``ends_at``, ``venue_id``,
    ``location``, ``status`` cancelled).
    """
    rid = occurrence["recurrence_id"]
    override: dict[str, Any] = {"details": {k: v for k, v in changes.items() if k in TEMPLATE}}
    for name in ("starts_at", "ends_at"):
        if changes.get(name) is not None:
            override[name] = changes[name]
    if changes.get("venue_id") is not None or changes.get("location") is not None:
        venue_id, location = changes.get("venue_id"), changes.get("location")
        override["venue_id"] = venue_id
        override["point"] = await _point(conn, occurrence["organizer_id"], venue_id, location)
    if "status" in changes:
        override["cancelled"] = changes["status"] == "cancelled"
    await repository.upsert_override(conn, occurrence["id"], rid, override)
    return await _rewrite_one(conn, occurrence, rid, now)


async def cancel_occurrence(
    conn: Conn, occurrence: dict[str, Any], *, now: datetime
) -> tuple[dict[str, Any], list[EventChange]]:
    """Cancel one occurrence: it stays (and shows) as cancelled."""
    await repository.upsert_override(conn, occurrence["id"], occurrence["recurrence_id"], {"cancelled": True})
    return await _rewrite_one(conn, occurrence, occurrence["recurrence_id"], now)


async def exclude_occurrence(conn: Conn, occurrence: dict[str, Any], *, now: datetime) -> list[EventChange]:
    """Remove one occurrence: its local start joins the exdates and its row is deleted."""
    zone = ZoneInfo(occurrence["timezone"])
    local = to_local(occurrence["recurrence_id"], zone)
    series = await repository.update_series(
        conn, occurrence["id"], {"exdates": sorted({*occurrence["exdates"], local})}
    )
    outcome = await materialise(
        conn, series, since=occurrence["recurrence_id"], until=series["materialised_until"], now=now
    )
    return outcome.changes


async def edit_series(
    conn: Conn,
    occurrence: dict[str, Any],
    changes: dict[str, Any],
    *,
    recurrence: Recurrence | None,
    settings: SeriesSettings,
    now: datetime,
    since: datetime | None = None,
) -> tuple[dict[str, Any] | None, list[EventChange]]:
    """Change the whole series from ``since`` (default: now) on; past occurrences stay as they were.

    New times given for this occurrence move every occurrence by the same wall-clock shift (and set
    the duration); a new place, template field, status or recurrence applies to all.
    """
    zone = ZoneInfo(occurrence["timezone"])
    values: dict[str, Any] = {k: v for k, v in changes.items() if k in (*TEMPLATE, "status")}
    start_local = occurrence["dtstart_local"]
    if changes.get("starts_at") is not None or changes.get("ends_at") is not None:
        start_local, values["duration"] = _shifted(occurrence, changes, zone)
        values["dtstart_local"] = start_local
        shift = start_local - occurrence["dtstart_local"]  # excluded starts move with the others
        values["exdates"] = [d + shift for d in occurrence["exdates"]]
    point = None
    if changes.get("venue_id") is not None or changes.get("location") is not None:
        values["venue_id"] = changes.get("venue_id")
        point = await _point(conn, occurrence["organizer_id"], changes.get("venue_id"), changes.get("location"))
    elif "venue_id" in changes:  # detached from its venue, the series keeps its point
        values["venue_id"] = None
    if changes.get("timezone") is not None:  # the same wall-clock times, read in the new zone
        values["timezone"] = changes["timezone"]
        zone = ZoneInfo(changes["timezone"])
    horizon = max(occurrence["materialised_until"], now + timedelta(days=settings.horizon_days))
    rule = parse_rule(occurrence["rrule"], zone)
    if recurrence is not None:
        rule, values["exdates"] = _recurrence(recurrence, zone, settings)
        values["rrule"] = rule.text
    if recurrence is not None or "dtstart_local" in values:
        values["rule_ends_at"] = _check(rule, start_local, zone, horizon, settings)
    values["materialised_until"] = horizon
    series = await repository.update_series(conn, occurrence["id"], values, point)
    outcome = await materialise(conn, series, since=since or now, until=horizon, now=now)
    row = await _row_of(conn, series, occurrence, outcome.rows)
    return row, outcome.changes


async def split_series(
    conn: Conn,
    occurrence: dict[str, Any],
    changes: dict[str, Any],
    *,
    recurrence: Recurrence | None,
    settings: SeriesSettings,
    now: datetime,
) -> tuple[dict[str, Any] | None, list[EventChange]]:
    """"This and following": the series ends before this occurrence; a new one starts with it, edited."""
    zone = ZoneInfo(occurrence["timezone"])
    rid = occurrence["recurrence_id"]
    rule = parse_rule(occurrence["rrule"], zone)
    before = starts(occurrence, since=EPOCH, until=rid)
    if not before:  # the first occurrence: "this and following" is the whole series
        return await edit_series(
            conn, occurrence, changes, recurrence=recurrence, settings=settings, now=now, since=min(now, rid)
        )
    split_local = to_local(rid, zone)
    new_parts = {k: v for k, v in rule.parts.items() if k != "COUNT"}
    if rule.count is not None:  # COUNT counts the excluded starts too (RFC 5545)
        given = occurrences(rule, occurrence["dtstart_local"], zone, before=rid)
        new_parts["COUNT"] = str(rule.count - sum(1 for _ in given))
    old_parts = {k: v for k, v in rule.parts.items() if k != "COUNT"}
    old_parts["UNTIL"] = (rid - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    old_exdates = [d for d in occurrence["exdates"] if d < split_local]
    await repository.update_series(
        conn, occurrence["id"],
        {"rrule": _text(old_parts), "exdates": old_exdates, "rule_ends_at": before[-1].instant},
    )
    values = {name: occurrence[name] for name in (*TEMPLATE, "organizer_id", "venue_id", "status", "timezone")}
    values |= {
        "rrule": _text(new_parts), "exdates": [d for d in occurrence["exdates"] if d >= split_local],
        "dtstart_local": split_local, "duration": occurrence["duration"],
        "materialised_until": occurrence["materialised_until"], "rule_ends_at": occurrence["rule_ends_at"],
    }
    new = await repository.insert_series(conn, values, occurrence["lat"], occurrence["lon"])
    await repository.move_overrides(conn, occurrence["id"], new["id"], rid)
    moved = await _move_rows(conn, occurrence["id"], new["id"], rid)
    locked = await repository.lock_series(conn, new["id"])
    assert locked is not None
    row, edits = await edit_series(
        conn, {**locked, "recurrence_id": rid, "event_id": occurrence["event_id"]}, changes,
        recurrence=recurrence, settings=settings, now=now, since=min(now, rid),
    )
    return row, moved + edits


async def extend_horizon(conn: Conn, series: dict[str, Any], *, until: datetime, now: datetime) -> list[EventChange]:
    """Materialise the occurrences between the series' horizon and ``until`` (idempotent)."""
    if until <= series["materialised_until"]:
        return []
    outcome = await materialise(
        conn, series, since=series["materialised_until"], until=until, now=now, fresh=True
    )
    await repository.update_series(conn, series["id"], {"materialised_until": until})
    return outcome.changes


async def _rewrite_one(
    conn: Conn, occurrence: dict[str, Any], rid: datetime, now: datetime
) -> tuple[dict[str, Any], list[EventChange]]:
    end = rid + timedelta(microseconds=1)
    outcome = await materialise(conn, occurrence, since=rid, until=end, now=now, only=rid)
    row = await _row_of(conn, occurrence, occurrence, outcome.rows)
    assert row is not None
    return row, outcome.changes


async def _row_of(
    conn: Conn, series: dict[str, Any], occurrence: dict[str, Any], written: dict[datetime, dict[str, Any]]
) -> dict[str, Any] | None:
    """The edited occurrence's row as it is now (None when the edit removed it)."""
    for row in written.values():
        if row["id"] == occurrence["event_id"]:
            return row
    cur = await conn.execute(f"SELECT {RETURNED} FROM events WHERE id = %s", (occurrence["event_id"],))
    return await cur.fetchone()


async def _move_rows(conn: Conn, from_series: UUID, to_series: UUID, since: datetime) -> list[EventChange]:
    """Hand the occurrences from ``since`` on to the new series (same event ids: RSVPs and links stay)."""
    from app.events import service as events
    from app.series.schemas import OccurrenceUpdate

    changes = []
    for row in await repository.occurrence_rows(conn, from_series, since):
        _, change = await events.update_event(conn, row["id"], OccurrenceUpdate(series_id=to_series), current=row)
        changes.append(change)
    return changes


def _shifted(occurrence: dict[str, Any], changes: dict[str, Any], zone: ZoneInfo) -> tuple[datetime, timedelta]:
    """The series' new local start and duration from this occurrence's new times (a wall-clock shift)."""
    was_local = to_local(occurrence["recurrence_id"], zone)
    new_start = changes.get("starts_at") or occurrence["recurrence_id"]
    new_start_local = to_local(new_start, zone)
    if changes.get("ends_at") is not None:
        duration = to_local(changes["ends_at"], zone) - new_start_local
    else:
        duration = occurrence["duration"]
    if duration < timedelta(0):
        raise InvalidParameter("ends_at must not be before starts_at", param="ends_at")
    return occurrence["dtstart_local"] + (new_start_local - was_local), duration


def _recurrence(recurrence: Recurrence, zone: ZoneInfo, settings: SeriesSettings) -> tuple[Rule, list[datetime]]:
    try:
        rule = parse_rule(recurrence.rrule, zone)
    except RuleError as exc:
        raise InvalidRecurrence(str(exc), param="recurrence.rrule") from None
    if len(recurrence.exdates) > settings.max_exdates:
        raise InvalidRecurrence(f"at most {settings.max_exdates} exdates", param="recurrence.exdates")
    exdates = sorted({d if d.tzinfo is None else to_local(d, zone) for d in recurrence.exdates})
    return rule, exdates


def _check(rule: Rule, start_local: datetime, zone: ZoneInfo, horizon: datetime, settings: SeriesSettings) -> Any:
    try:
        return check_size(rule, start_local, zone, horizon_end=horizon, limit=settings.max_occurrences)
    except RuleError as exc:
        raise InvalidRecurrence(str(exc), param="recurrence.rrule") from None


async def _point(conn: Conn, organizer_id: UUID, venue_id: UUID | None, location: Any) -> tuple[float, float]:
    if venue_id is not None:
        venue = await repository.organizer_venue(conn, venue_id, organizer_id)
        return (venue["lat"], venue["lon"])
    if location is None:
        raise InvalidParameter("an event needs a venue or a location", param="location")
    return (location.lat, location.lon)


def _text(parts: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in parts.items())

