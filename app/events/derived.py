"""The data derived from events, kept by the writer in the writing transaction (ADR-9).

- ``event_terms``: the text-search postings of every public event (``event_postings``, migration
  0027). A writer deletes a row's postings *before* it changes or deletes the row (they are found
  by joining the row, on its cell) and inserts the new row's postings after (``forget_terms``,
  ``write_terms``). Both statements name the cell: on Citus each runs on the one co-located shard.
- The tile rollups (``tile_rollup_fine``, ``tile_rollup``, ``tile_rollup_coarse``): a write sends the
  counted rows it took away and put in (``Counted``: position, category, end) to
  ``tile_rollup_apply``, which reads the horizon under its shared lock and changes the rollup rows
  in key order. No statement that changes a rollup reads ``events``: on Citus the rollups are
  reference tables written from the coordinator.
- The venue copy (``venue_name``, ``venue_geom``): written with the row by ``app.events.repository``
  from the venue row the writer holds, and rewritten on the venue's events when a venue is renamed
  or moved (``app.events.service.venue_changed``).

Statements naming rows are never prepared (``prepare=False``): planned with their cells, they
touch and lock only those rows' partitions, whatever the session's plan cache does.

Writes of many rows at once (a bulk statement, a test writing plain SQL) go through ``write_rows``
(``forget`` before the statement, ``record`` after); a load that COPYs, or ``events`` emptied by
TRUNCATE or an unkeyed DELETE, ends with ``REBUILD``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from app.db import Conn

# The statuses a public event has: the ones with postings and counted by the rollups.
PUBLIC = frozenset({"published", "cancelled"})
# The tables derived from events (emptied with it: TRUNCATE reaches none of them by itself).
DERIVED_TABLES = ("event_terms", "tile_rollup_fine", "tile_rollup", "tile_rollup_coarse")
# Everything derived counted again from ``events`` (the rollups against their horizon).
REBUILD = "SELECT events_derived_rebuild()"
# The id -> cell locator made again from ``events`` (part of ``events_derived_rebuild``, migration 0030;
# alone where a bulk load counts the rest in phases of its own).
LOCATOR_REBUILD = ("DELETE FROM event_locator", "INSERT INTO event_locator (id, cell) SELECT id, cell FROM events")
# Columns of ``events`` whose change changes a row's postings (``search`` follows these three).
POSTED = frozenset({"cell", "title", "tags", "description", "status", "starts_at", "ends_at"})

# The postings of the rows ``e`` of ``{source}`` that ``{where}`` picks; rows by key name their cells.
# The row's own cell and id (not the function's copies): Citus then sees the postings stay on the
# row's shard and pushes an INSERT ... SELECT down to it.
_POSTINGS = (
    "SELECT e.cell, p.lexeme, p.sort_key, e.id, p.starts_at, p.ends_at, p.px, p.py FROM {source} e "
    "CROSS JOIN LATERAL event_postings(e.cell, e.id, e.search, e.status, e.starts_at, e.ends_at, e.px, e.py) p "
    "WHERE {where}"
)
_BY_KEY = "e.cell = ANY(%(cells)s) AND e.id = ANY(%(ids)s)"
# One row: plain equalities, which Citus routes to the one shard.
_BY_ONE_KEY = "e.cell = %(cell)s AND e.id = %(id)s"
# A row's postings are found again by their full key (the rank recomputed from the row).
_FORGET = (
    "DELETE FROM event_terms t USING ({postings}) d "
    "WHERE (t.cell, t.lexeme, t.sort_key, t.id) = (d.cell, d.lexeme, d.sort_key, d.id){also}"
)
_TERM_COLUMNS = "cell, lexeme, sort_key, id, starts_at, ends_at, px, py"
_WRITE = f"INSERT INTO event_terms ({_TERM_COLUMNS}) " + _POSTINGS.format(source="events", where=_BY_KEY)
_WRITE_ONE = f"INSERT INTO event_terms ({_TERM_COLUMNS}) " + _POSTINGS.format(source="events", where=_BY_ONE_KEY)
_COUNTED = "SELECT status, px, py, category, ends_at FROM events WHERE cell = ANY(%(cells)s) AND id = ANY(%(ids)s)"


def _items(side: str) -> str:
    """An array of ``tile_rollup_item`` from the four parallel array parameters of ``side``."""
    arrays = ", ".join(
        f"%({side}_{name})s::{kind}[]"
        for name, kind in (("px", "int"), ("py", "int"), ("category", "text"), ("ends_at", "timestamptz"))
    )
    return (
        "ARRAY(SELECT (u.px, u.py, u.category, u.ends_at)::tile_rollup_item "
        f"FROM unnest({arrays}) u (px, py, category, ends_at))"
    )


_APPLY = f"SELECT tile_rollup_apply({_items('removed')}, {_items('added')})"


class Counted(NamedTuple):
    """A public event as the tile rollups count it."""

    px: int
    py: int
    category: str
    ends_at: datetime


Key = tuple[int, UUID]


def counted(row: dict[str, Any] | None) -> list[Counted]:
    """The row as the rollups count it: nothing for a draft (or no row)."""
    if row is None or row["status"] not in PUBLIC:
        return []
    return [Counted(row["px"], row["py"], row["category"], row["ends_at"])]


def is_public(row: dict[str, Any] | None) -> bool:
    return row is not None and row["status"] in PUBLIC


def _keys(keys: Iterable[Key]) -> dict[str, list[Any]]:
    cells, ids = [], []
    for cell, event_id in keys:
        cells.append(cell)
        ids.append(event_id)
    return {"cells": cells, "ids": ids}


async def forget_terms(conn: Conn, keys: Iterable[Key]) -> None:
    """Delete the postings of the rows at ``keys`` as they are now (before they change or go)."""
    params = _keys(keys)
    if len(params["ids"]) == 1:
        one = {"cell": params["cells"][0], "id": params["ids"][0]}
        await conn.execute(_forget_where(_BY_ONE_KEY, " AND t.cell = %(cell)s"), one, prepare=False)
    elif params["ids"]:
        await conn.execute(_forget_where(_BY_KEY), params, prepare=False)


async def forget_terms_of_organizers(conn: Conn, organizer_ids: list[UUID]) -> None:
    """Delete the postings of every event of these organizers (before the events go).

    Without a cell, on every partition (every shard): the rare removal of a whole organizer."""
    where = "e.organizer_id = ANY(%(organizers)s) AND e.status IN ('published', 'cancelled')"
    await conn.execute(_forget_where(where), {"organizers": organizer_ids})


def _forget_where(where: str, also: str = "") -> str:
    return _FORGET.format(postings=_POSTINGS.format(source="events", where=where), also=also)


async def write_terms(conn: Conn, keys: Iterable[Key]) -> None:
    """Insert the postings of the rows at ``keys`` as they are now (after they were written)."""
    params = _keys(keys)
    if len(params["ids"]) == 1:
        await conn.execute(_WRITE_ONE, {"cell": params["cells"][0], "id": params["ids"][0]}, prepare=False)
    elif params["ids"]:
        await conn.execute(_WRITE, params, prepare=False)


async def change_rollup(conn: Conn, removed: Sequence[Counted], added: Sequence[Counted]) -> None:
    """Take ``removed`` out of the tile rollups and put ``added`` in (nothing to do when they match)."""
    if sorted(removed) == sorted(added):
        return
    params: dict[str, list[Any]] = {}
    for side, rows in (("removed", removed), ("added", added)):
        params.update({f"{side}_{name}": [getattr(row, name) for row in rows] for name in Counted._fields})
    await conn.execute(_APPLY, params)


async def forget(conn: Conn, keys: Sequence[Key]) -> list[Counted]:
    """Before a statement that changes or deletes the rows at ``keys``: their postings go, and what
    the rollups count of them is returned (hand it to ``record``)."""
    params = _keys(keys)
    if not params["ids"]:
        return []
    held = await _counted_rows(conn, params)
    await forget_terms(conn, keys)
    return held


async def record(conn: Conn, keys: Sequence[Key], forgotten: Sequence[Counted] = ()) -> None:
    """After a statement that inserted or changed the rows now at ``keys``: their postings, and the
    rollup change from ``forgotten`` (what ``forget`` returned, nothing for new rows) to them."""
    params = _keys(keys)
    held = await _counted_rows(conn, params) if params["ids"] else []
    await write_terms(conn, keys)
    await change_rollup(conn, forgotten, held)


async def _counted_rows(conn: Conn, params: dict[str, list[Any]]) -> list[Counted]:
    rows = await (await conn.execute(_COUNTED, params, prepare=False)).fetchall()
    return [c for row in rows for c in counted(row)]


async def keys_of(conn: Conn, ids: Sequence[UUID] | None = None) -> list[Key]:
    """The keys of the events with these ids (by id alone: every partition), or of every event."""
    where, params = ("", None) if ids is None else (" WHERE id = ANY(%s)", (list(ids),))
    rows = await (await conn.execute(f"SELECT cell, id FROM events{where}", params)).fetchall()
    return [(row["cell"], row["id"]) for row in rows]


async def write_rows(conn: Conn, keys: Sequence[Key], statement: str, params: Any = None) -> None:
    """Run ``statement``, which inserts, changes or deletes the rows at ``keys`` (their cells stay),
    with their derived data following: ``forget`` before it, ``record`` after."""
    forgotten = await forget(conn, keys)
    await conn.execute(statement, params)
    await record(conn, keys, forgotten)


def terms_of_table(table: str) -> str:
    """The statement that inserts the postings of every row of ``table`` (``events`` or one of its
    partitions: a bulk load fills them a partition per connection, into an emptied ``event_terms``)."""
    return f"INSERT INTO event_terms ({_TERM_COLUMNS}) " + _POSTINGS.format(source=table, where="true")


async def rebuild(conn: Conn) -> None:
    """Count everything derived again from ``events`` (after a COPY, a TRUNCATE, plain SQL)."""
    await conn.execute(REBUILD)
