"""The rules of discovery: pages of public events for an area, nearest-first, and one event in full.

Reads only. The items arrive as JSON text written by PostgreSQL (``app.events.queries``);
this module decides which rows make the page and where the next one starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson

from app.db import Conn
from app.errors import NotFound
from app.events import queries, repository, visibility
from app.events.criteria import Criteria
from app.events.paging import Position, encode_cursor
from app.kit.cursor import CursorSigner
from app.kit.read_connection import ReadConnection


@dataclass(frozen=True, slots=True)
class Page:
    items: list[str]  # each item's JSON, as PostgreSQL wrote it
    next_cursor: str | None


async def find_events(
    db: ReadConnection,
    criteria: Criteria,
    position: Position,
    limit: int,
    signer: CursorSigner,
    *,
    geojson: bool = False,
) -> Page:
    """One page of events matching ``criteria`` after ``position``, and the cursor of the next."""
    rows = await db.run(lambda conn: page_rows(conn, criteria, position, limit, geojson=geojson))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(signer, criteria, (last["sort_key"], last["id"]))
    return Page([row["item"] for row in rows[:limit]], next_cursor)


async def page_rows(
    conn: Conn, criteria: Criteria, position: Position, limit: int, *, geojson: bool = False
) -> list[dict[str, Any]]:
    """Up to ``limit + 1`` rows ``(sort_key, id, item)`` in page order: every statement a page takes."""
    distributed = await repository.distributed(conn)
    if criteria.sort == "distance":
        return await _nearest(conn, criteria, position, limit, geojson, distributed)
    statement = queries.list_statement(
        criteria, position, first_fetch(criteria, limit), geojson=geojson, distributed=distributed
    )
    rows = await queries.fetch(conn, statement)
    if len(rows) <= limit and not statement.final:
        # The walk did not fill the page: the area is sparse for its cells, or this is the
        # last page. Only the exact query can tell (see app.events.queries).
        exact = queries.exact_statement(criteria, position, limit + 1, geojson=geojson, distributed=distributed)
        rows = await queries.fetch(conn, exact)
    return rows


def first_fetch(criteria: Criteria, limit: int) -> int:
    """How many rows a page's first statement asks for: one more than the page (is there a next
    one?), and for nearest first more, since the walk's order is only nearly the true one.

    Events at one venue share a point, so their distances tie; when such a group straddles the
    last row fetched, ``_nearest`` must fetch again. Two fifths more rows make that second
    statement rare at a page's cost of a few more rows; a quarter more left it several times as often.
    """
    return limit + 1 + (max(8, limit * 2 // 5) if criteria.sort == "distance" else 0)


async def _nearest(
    conn: Conn, criteria: Criteria, position: Position, limit: int, geojson: bool, distributed: bool
) -> list[dict[str, Any]]:
    """The ``limit + 1`` nearest rows in exact (spheroid distance, id) order.

    The index walks rows in an order close to, but not exactly, the true distance's (sphere or
    Mercator distance), so two rows at almost the same distance may come swapped. Each row's
    ``knn`` is a floor under its own true distance and every later row's of its walk
    (``queries._nearest``), so every row not returned is at least as far as the lowest of: the
    frontier (where a walk was capped) and, when the statement's limit cut the rows, the last
    one. The page stands once that floor is beyond the page's last distance, or beyond the
    radius (every row of the circle is here). Otherwise fetch more (rare: it takes many events
    at almost the same distance).
    """
    radius = criteria.circle.radius_m if criteria.circle is not None else 0.0
    fetch = first_fetch(criteria, limit)
    while True:
        statement = queries.list_statement(criteria, position, fetch, geojson=geojson, distributed=distributed)
        rows = await queries.fetch(conn, statement)
        found = [row for row in rows if not row["frontier"]]
        floors = [row["knn"] for row in rows if row["frontier"]]
        if len(found) >= fetch:
            floors.append(found[-1]["knn"])
        unseen = min(floors, default=math.inf)  # no row left out is nearer than this
        ordered = sorted(found, key=lambda row: (row["sort_key"], row["id"]))
        if unseen > radius or (len(ordered) > limit and unseen > ordered[limit - 1]["sort_key"]):
            return ordered
        fetch *= 4


async def get_event(db: ReadConnection, event_id: UUID, reader: UUID | None = None) -> tuple[bytes, bool]:
    """The public event in full as JSON, with its times also in its own time zone; and whether the
    answer is the reader's own (an approximate event's exact point and venue, which only those who
    may see them get: ``app.events.visibility``; such an answer must not be cached for others)."""
    rows = await db.run(lambda conn: _detail_rows(conn, event_id))
    if not rows:
        raise NotFound(f"event {event_id} does not exist or is not public")
    row = rows[0]
    event: dict[str, Any] = orjson.loads(row["item"])
    event["local_starts_at"] = _local(row["starts_at"], row["timezone"])
    event["local_ends_at"] = _local(row["ends_at"], row["timezone"])
    personal = False
    if (
        row["location_approximate"]
        and reader is not None
        and await visibility.sees_exact_location(await db.get(), reader, row["cell"], event_id)
    ):
        # For this reader the point is exact (``location_approximate`` false: nothing to blur here).
        personal = True
        event.update(lat=row["exact_lat"], lon=row["exact_lon"], location_approximate=False)
        event["venue"] = None if row["venue"] is None else orjson.loads(row["venue"])
    return orjson.dumps(event), personal


async def _detail_rows(conn: Conn, event_id: UUID) -> list[dict[str, Any]]:
    """The detail statement's rows, in the event's cell from ``event_locator`` (as
    ``repository.lock_event`` finds it): read again once when the event has just moved away.
    Without a locator row, single node only, the id alone (every partition's id index: the same
    generic plan serves all, so it may be prepared)."""
    for _ in range(2):
        cell = await repository.locate(conn, event_id)
        if cell is None:
            break
        rows = await queries.fetch(conn, queries.detail_statement(event_id, cell), prepare=None)
        if rows:
            return rows
    if cell is not None or await repository.distributed(conn):
        return []
    return await queries.fetch(conn, queries.detail_statement(event_id, None), prepare=None)


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat()
