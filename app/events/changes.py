"""What a write did to an event's place on the map, for whoever must react after commit.

Tile caches, live map updates and geofenced push all need the same fact: an event changed
here (and, if it moved, there). Services return an ``EventChange``; the caller publishes it
once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from app.db import Conn
from app.events.schemas import Point

ChangeKind = Literal["created", "updated", "deleted"]

# What about the event changed, for listeners that care about more than its place on the map
# (live map, geofenced push, attendee notices): a write names every aspect it touched.
# ``sold_out``, ``available`` (no longer sold out) and ``few_left`` say that the event's availability
# level changed (``app.ticketing.availability``): its places, not its record, moved.
Aspect = Literal[
    "published", "unpublished", "moved", "rescheduled", "details", "cancelled", "deleted", "capacity",
    "sold_out", "available", "few_left",
]


@dataclass(frozen=True, slots=True)
class EventChange:
    event_id: UUID
    kind: ChangeKind
    before: Point | None
    after: Point | None
    aspects: frozenset[Aspect] = frozenset()

    @property
    def points(self) -> tuple[Point, ...]:
        """Every location whose map views the change touches (old and new, once each)."""
        return tuple(dict.fromkeys(p for p in (self.before, self.after) if p is not None))


ChangeListener = Callable[[EventChange], Awaitable[None]]


async def log_change(conn: Conn, change: EventChange) -> None:
    """Write ``change`` into ``event_changes`` in the caller's transaction (durable, unlike after-commit).

    The log keeps no cell: a move would leave it stale, and its readers find the event's cell in
    ``event_locator`` (migration 0031).
    """
    before, after = change.before, change.after
    await conn.execute(
        "INSERT INTO event_changes (event_id, kind, aspects, before_geom, after_geom) VALUES "
        "(%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
        (
            change.event_id, change.kind, sorted(change.aspects),
            None if before is None else before.lon, None if before is None else before.lat,
            None if after is None else after.lon, None if after is None else after.lat,
        ),
    )
