"""Make a series' occurrence rows match its rule, template and overrides, through the events write service.

Every occurrence is a real ``events`` row created, changed or deleted by ``app.events.service``, so
tiles, rollups, text postings and the ``event_changes`` log stay true. The caller holds the series
row's lock (``repository.lock_series``): materialisations of one series never interleave.

Rows are matched to the rule's starts by recurrence id; a row whose start the rule no longer gives
is matched by its local date (a series moved from 19:00 to 20:00 keeps each occurrence's id, and its
override follows it), else deleted. Only rows whose recurrence id is at or after ``since`` are
touched: the past stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from app.db import Conn
from app.events import service as events
from app.events.changes import EventChange
from app.events.schemas import Point
from app.series import repository
from app.series.rules import Occurrence, occurrences, parse_rule, to_instant, to_local
from app.series.schemas import OccurrenceCreate, OccurrenceUpdate

# What an occurrence copies from its series (and an override may change in ``details``).
TEMPLATE = (
    "title", "description", "category", "tags", "is_free", "price_min", "price_max", "currency", "capacity",
    "location_approximate",
)


@dataclass(slots=True)
class Outcome:
    """What a materialisation did: the changes to publish and the rows it wrote, by recurrence id."""

    changes: list[EventChange] = field(default_factory=list)
    rows: dict[datetime, dict[str, Any]] = field(default_factory=dict)


def starts(series: dict[str, Any], *, since: datetime, until: datetime) -> list[Occurrence]:
    """The rule's starts (minus exdates) with an instant in [since, until)."""
    zone = ZoneInfo(series["timezone"])
    rule = parse_rule(series["rrule"], zone)
    found = occurrences(rule, series["dtstart_local"], zone, exdates=series["exdates"], before=until)
    return [o for o in found if o.instant >= since]


async def materialise(
    conn: Conn,
    series: dict[str, Any],
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    only: datetime | None = None,
    fresh: bool = False,
) -> Outcome:
    """Create, change and delete the series' rows with a recurrence id in [since, until) (``only``: one).

    ``now`` is when a row published here was first published (``published_at``). ``fresh``: no row
    can exist from ``since`` on (a new series; a horizon extension, whose rows beyond the horizon
    would have been written with it in one transaction), so none is looked for.
    """
    wanted = starts(series, since=since, until=until)
    rows = [] if fresh else await repository.occurrence_rows(conn, series["id"], since)
    if only is not None:
        wanted = [o for o in wanted if o.instant == only]
        rows = [r for r in rows if r["recurrence_id"] == only]
    outcome = Outcome()
    by_rid = await _match(conn, series, wanted, rows, outcome)
    changed = await repository.overrides(conn, series["id"], since)
    points = _Points(conn, series)
    for occ in wanted:
        desired = await _desired(series, occ, changed.get(occ.instant), points)
        row = by_rid.pop(occ.instant, None)
        if row is None:
            published_at = now if desired["status"] == "published" else None
            data = OccurrenceCreate.model_validate({**desired, "published_at": published_at})
            created, change = await events.create_event(conn, data)
            outcome.rows[occ.instant] = created
            outcome.changes.append(change)
        else:
            await _update(conn, row, desired, outcome, now)
    for row in by_rid.values():  # no longer given by the rule (an exdate, a shorter rule)
        outcome.changes.append(await events.delete_event(conn, row["id"], current=row))
    if only is None and not fresh:
        await repository.drop_overrides_except(conn, series["id"], since, [o.instant for o in wanted])
    return outcome


async def _match(
    conn: Conn, series: dict[str, Any], wanted: list[Occurrence], rows: list[dict[str, Any]], outcome: Outcome
) -> dict[datetime, dict[str, Any]]:
    """Rows by the start they stand for; a row whose start is gone takes a new start on its local date."""
    by_rid = {row["recurrence_id"]: row for row in rows}
    given = {o.instant for o in wanted}
    zone = ZoneInfo(series["timezone"])
    orphans = {to_local(rid, zone).date(): rid for rid in by_rid if rid not in given}
    for occ in wanted:
        if occ.instant in by_rid or not orphans:
            continue
        old = orphans.pop(occ.local.date(), None)
        if old is None:
            continue
        row = by_rid.pop(old)
        await repository.rekey_override(conn, series["id"], old, occ.instant)
        patch = OccurrenceUpdate(recurrence_id=occ.instant)
        updated, change = await events.update_event(conn, row["id"], patch, current=row)
        outcome.changes.append(change)
        by_rid[occ.instant] = updated
    return by_rid


class _Points:
    """Venue points read once per materialisation (a venue moved since moves its occurrences)."""

    def __init__(self, conn: Conn, series: dict[str, Any]) -> None:
        self.conn, self.series, self.known = conn, series, dict[UUID, tuple[float, float] | None]()

    async def of(self, venue_id: UUID | None, fallback: tuple[float, float]) -> tuple[float, float]:
        if venue_id is None:
            return fallback
        if venue_id not in self.known:
            self.known[venue_id] = await repository.venue_point(self.conn, venue_id)
        return self.known[venue_id] or fallback


async def _desired(
    series: dict[str, Any], occ: Occurrence, override: dict[str, Any] | None, points: _Points
) -> dict[str, Any]:
    """The occurrence's event fields: the template, the rule's time, then the override's changes."""
    zone = ZoneInfo(series["timezone"])
    fields = {name: series[name] for name in TEMPLATE}
    starts_at, ends_at = occ.instant, to_instant(occ.local + series["duration"], zone)
    venue_id, point = series["venue_id"], (series["lat"], series["lon"])
    status = series["status"]
    if override is not None:
        fields.update({k: v for k, v in override["details"].items() if k in TEMPLATE})
        if override["starts_at"] is not None:
            length = ends_at - starts_at
            starts_at = override["starts_at"]
            ends_at = override["ends_at"] or starts_at + length
        elif override["ends_at"] is not None:
            ends_at = override["ends_at"]
        if override["lat"] is not None or override["venue_id"] is not None:
            venue_id = override["venue_id"]
            point = (override["lat"], override["lon"]) if override["lat"] is not None else point
        if override["cancelled"]:
            status = "cancelled"
    lat, lon = await points.of(venue_id, point)
    return {
        **fields, "organizer_id": series["organizer_id"], "series_id": series["id"], "recurrence_id": occ.instant,
        "starts_at": starts_at, "ends_at": ends_at, "timezone": series["timezone"], "status": status,
        "venue_id": venue_id, "location": Point(lat=lat, lon=lon),
    }


async def _update(
    conn: Conn, row: dict[str, Any], desired: dict[str, Any], outcome: Outcome, now: datetime
) -> None:
    diff = {k: v for k, v in desired.items() if k not in ("location", "organizer_id") and row.get(k) != v}
    location: Point = desired["location"]
    if abs(row["exact_lat"] - location.lat) > 1e-9 or abs(row["exact_lon"] - location.lon) > 1e-9:
        diff["location"] = location
    if not diff:
        return
    patch = OccurrenceUpdate.model_validate(diff)
    updated, change = await events.update_event(conn, row["id"], patch, current=row, now=now)
    outcome.rows[desired["recurrence_id"]] = updated
    outcome.changes.append(change)
