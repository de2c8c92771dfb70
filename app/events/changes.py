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

from app.events.schemas import Point

ChangeKind = Literal["created", "updated", "deleted"]

# What about the event changed, for listeners that care about more than its place on the map
# (live map, geofenced push, attendee notices): a write names every aspect it touched.
Aspect = Literal[
    "published", "unpublished", "moved", "rescheduled", "details", "cancelled", "deleted", "capacity"
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
