"""Interaction signals: what people do with events and organizers, appended to ``interactions``.

Other domains call ``record_interaction`` inside their own write's transaction (a save, a follow,
an RSVP, a purchase): the signal commits or rolls back with the write. Detail views are many and
must not slow the read, so ``ViewRecorder`` collects them in memory and one background task writes
them in batches (a view lost in a crash costs nothing). Event-bound rows copy the event's organizer
and category from ``events`` by ``(cell, id)``: they persist after the event has passed.

Call sites: ``app.profiles.service`` (save, follow), the event detail endpoint (view),
``app.rsvps.service.answer`` (an answer becoming "going"), ``app.ticketing.service.settle_paid``
(a paid order) and ``place_order`` (a free order, paid at once), ``record_share`` (the share
button: ``POST /api/v1/events/{id}/shares``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from app.db import Conn
from app.events.repository import in_its_cell, locate_many

log = logging.getLogger("happenings.recommendations")

Kind = Literal["view", "save", "share", "rsvp", "purchase", "follow"]
KINDS: tuple[Kind, ...] = ("view", "save", "share", "rsvp", "purchase", "follow")

_EVENT_SIGNAL = (
    "INSERT INTO interactions (account_id, cell, event_id, organizer_id, category, kind, occurred_at) "
    "SELECT %(account_id)s, e.cell, e.id, e.organizer_id, e.category, %(kind)s, %(at)s "
    "FROM events e WHERE e.cell = %(cell)s AND e.id = %(event_id)s"
)
_ORGANIZER_SIGNAL = (
    "INSERT INTO interactions (account_id, organizer_id, kind, occurred_at) "
    "SELECT %(account_id)s, o.id, %(kind)s, %(at)s FROM organizers o WHERE o.id = %(organizer_id)s"
)
# A share: in the event's cell from the id -> cell locator (one partition, one shard on Citus),
# published events only.
_SHARE = _EVENT_SIGNAL + " AND e.status = 'published' RETURNING event_id"
# Views: the batch's events by (cell, id), their cells from the locator; the cells again as
# constants, so that only their partitions (shards) are read.
_VIEWS = (
    "INSERT INTO interactions (account_id, cell, event_id, organizer_id, category, kind, occurred_at) "
    "SELECT v.account_id, e.cell, e.id, e.organizer_id, e.category, 'view', v.at "
    "FROM unnest(%(accounts)s::uuid[], %(cells)s::bigint[], %(events)s::uuid[], %(times)s::timestamptz[]) "
    "AS v(account_id, cell, event_id, at) "
    "JOIN events e ON e.cell = v.cell AND e.id = v.event_id AND e.cell = ANY(%(cells)s) "
    "JOIN accounts a ON a.id = v.account_id"
)


async def record_interaction(
    conn: Conn,
    *,
    account_id: UUID,
    cell: int | None,
    event_id: UUID | None,
    kind: Kind,
    at: datetime,
    organizer_id: UUID | None = None,
) -> None:
    """Append one signal in the caller's transaction: about an event (``cell`` + ``event_id``) or,
    for a follow, about an organizer (``organizer_id``). An unknown event or organizer adds nothing."""
    if kind not in KINDS:
        raise ValueError(f"unknown interaction kind {kind!r}")
    if event_id is not None:
        if cell is None:
            raise ValueError("an event signal carries the event's cell")
        params = {"account_id": account_id, "cell": cell, "event_id": event_id, "kind": kind, "at": at}
        await conn.execute(_EVENT_SIGNAL, params)
    elif organizer_id is not None:
        params2 = {"account_id": account_id, "organizer_id": organizer_id, "kind": kind, "at": at}
        await conn.execute(_ORGANIZER_SIGNAL, params2)
    else:
        raise ValueError("a signal is about an event or an organizer")


async def record_share(conn: Conn, account_id: UUID, event_id: UUID, at: datetime) -> bool:
    """Append a share of a published event in the caller's transaction; False when there is no such
    event. Its cell comes from ``event_locator`` (read again once when the event has just moved)."""

    async def share(cell: int) -> dict[str, Any] | None:
        params = {"account_id": account_id, "cell": cell, "event_id": event_id, "kind": "share", "at": at}
        return await (await conn.execute(_SHARE, params)).fetchone()

    return await in_its_cell(conn, event_id, share) is not None


class ViewRecorder:
    """Detail views by signed-in people, written in batches off the request path.

    ``note`` only appends to a bounded buffer (beyond ``max_pending`` views are dropped, counted);
    a task flushes every ``every_s`` seconds with one INSERT. ``flush`` is public for tests and for
    the shutdown.
    """

    def __init__(self, pool: AsyncConnectionPool[Conn], every_s: float = 2.0, max_pending: int = 10_000) -> None:
        self._pool = pool
        self._every_s = every_s
        self._max_pending = max_pending
        self._pending: list[tuple[UUID, UUID, datetime]] = []
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def note(self, account_id: UUID, event_id: UUID, at: datetime) -> None:
        if len(self._pending) >= self._max_pending:
            self.dropped += 1
            return
        self._pending.append((account_id, event_id, at))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="recommendations-views")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.flush()

    async def flush(self) -> int:
        batch, self._pending = self._pending, []
        if not batch:
            return 0
        async with self._pool.connection() as conn:
            cells = await locate_many(conn, list({row[1] for row in batch}))
            located = [row for row in batch if row[1] in cells]
            params = {
                "accounts": [row[0] for row in located],
                "cells": [cells[row[1]] for row in located],
                "events": [row[1] for row in located],
                "times": [row[2] for row in located],
            }
            if located:
                await conn.execute(_VIEWS, params)
        return len(batch)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            try:
                await self.flush()
            except Exception:  # the database is away: these views are lost, the next ones are not
                log.warning("recording detail views failed", exc_info=True)
