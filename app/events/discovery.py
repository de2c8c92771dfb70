"""The rules of discovery: pages of public events for an area, nearest-first, and one event in full.

Reads only. The items arrive as JSON text written by PostgreSQL (``app.events.queries``);
this module decides which rows make the page and where the next one starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson

from app.db import Conn
from app.errors import NotFound
from app.events import queries
from app.events.criteria import Criteria
from app.events.paging import Position, encode_cursor
from app.kit.cursor import CursorSigner
from app.kit.read_connection import ReadConnection

# The GiST index orders by distance on a sphere; distances are reported on the WGS84
# spheroid. The two differ by less than 0.6% anywhere; this bound is comfortably above.
SPHERE_ERROR = 0.01


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
    rows = await page_rows(await db.get(), criteria, position, limit, geojson=geojson)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(signer, criteria, position.as_of, (last["sort_key"], last["id"]))
    return Page([row["item"] for row in rows[:limit]], next_cursor)


async def page_rows(
    conn: Conn, criteria: Criteria, position: Position, limit: int, *, geojson: bool = False
) -> list[dict[str, Any]]:
    """Up to ``limit + 1`` rows ``(sort_key, id, item)`` in page order: every statement a page takes."""
    if criteria.sort == "distance":
        return await _nearest(conn, criteria, position, limit, geojson)
    rows = await queries.fetch(conn, queries.list_statement(criteria, position, limit + 1, geojson=geojson))
    if len(rows) <= limit and criteria.sort in queries.WALKED_SORTS:
        # The ordered walk did not fill the page: the area is sparse for its cells, or this is
        # the last page. Only the exact query can tell (see app.events.queries).
        rows = await queries.fetch(conn, queries.exact_statement(criteria, position, limit + 1, geojson=geojson))
    return rows


async def _nearest(
    conn: Conn, criteria: Criteria, position: Position, limit: int, geojson: bool
) -> list[dict[str, Any]]:
    """The ``limit + 1`` nearest rows in exact (spheroid distance, id) order.

    The index walks rows by sphere distance (``knn``), which can swap two rows whose
    distances differ by less than ``SPHERE_ERROR``. So fetch a few more than needed, sort
    them by the true distance, and accept the page once every row not fetched is provably
    farther than the page's last one: its sphere distance is at least the largest fetched,
    so its true distance is at least that times ``1 - SPHERE_ERROR``. Otherwise fetch more
    (rare: it takes many events at almost the same distance).
    """
    fetch = limit + 1 + max(8, limit // 4)
    while True:
        statement = queries.list_statement(criteria, position, fetch, geojson=geojson)
        rows = await queries.fetch(conn, statement)
        ordered = sorted(rows, key=lambda row: (row["sort_key"], row["id"]))
        if len(rows) < fetch:  # the circle holds no more candidates: this is all of them
            return ordered
        page_last = ordered[min(limit, len(ordered)) - 1]["sort_key"]
        if rows[-1]["knn"] * (1 - SPHERE_ERROR) > page_last:
            return ordered
        fetch *= 4


async def get_event(db: ReadConnection, event_id: UUID) -> bytes:
    """The public event in full as JSON, with its times also in its own time zone."""
    # By id alone (every partition's id index): the same generic plan serves all, so it may be prepared.
    rows = await queries.fetch(await db.get(), queries.detail_statement(event_id), prepare=None)
    if not rows:
        raise NotFound(f"event {event_id} does not exist or is not public")
    row = rows[0]
    event: dict[str, Any] = orjson.loads(row["item"])
    event["local_starts_at"] = _local(row["starts_at"], row["timezone"])
    event["local_ends_at"] = _local(row["ends_at"], row["timezone"])
    return orjson.dumps(event)


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat()
