"""Share and detail-view signals reach the event's shard alone: its cell comes from ``event_locator``.

Runs only with ``--citus``. The statements the signals run are recorded as they run, then planned
again with ``EXPLAIN``: each reads one shard (by id alone, every shard of ``events`` would be read).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import DictRow, dict_row

from app.events.schemas import EventUpdate
from app.events.service import update_event
from app.recommendations.signals import ViewRecorder, record_share
from tests.citus.conftest import NEW_YORK, PARIS, published_event

pytestmark = pytest.mark.citus


class Recording(psycopg.AsyncConnection[DictRow]):
    """A connection that keeps every statement it runs, with its parameters."""

    statements: list[tuple[str, Any]]

    async def execute(self, query: Any, params: Any = None, **options: Any) -> Any:  # type: ignore[override]
        self.statements.append((str(query), params))
        return await super().execute(query, params, **options)


class OnePool:
    """What ``ViewRecorder`` needs of a pool: the recording connection."""

    def __init__(self, conn: Recording) -> None:
        self.conn = conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Recording]:
        yield self.conn


@pytest.fixture
async def conn(clean_db: str) -> AsyncIterator[Recording]:
    recording = await Recording.connect(clean_db, row_factory=dict_row)
    recording.statements = []
    async with recording:
        yield recording
        await recording.rollback()
        await recording.execute("DELETE FROM interactions")
        await recording.execute("DELETE FROM event_changes")
        await recording.execute("DELETE FROM accounts")
        await recording.commit()


def _task_counts(plan: Any) -> Iterator[int]:
    if isinstance(plan, dict):
        if "Task Count" in plan:
            yield plan["Task Count"]
        for value in plan.values():
            yield from _task_counts(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from _task_counts(value)


async def _signal_plans(conn: Recording) -> list[list[int]]:
    """The task counts of each signal written since the last call (an INSERT into ``interactions``)."""
    written = [(q, p) for q, p in conn.statements if q.startswith("INSERT INTO interactions")]
    conn.statements.clear()
    counts = []
    for query, params in written:
        cur = await conn.execute("EXPLAIN (FORMAT JSON) " + query, params)
        counts.append(list(_task_counts((await cur.fetchone())["QUERY PLAN"])))  # type: ignore[index]
    conn.statements.clear()
    return counts


async def test_share_and_view_signals_read_the_events_shard_alone_also_after_a_move(conn: Recording) -> None:
    cur = await conn.execute("INSERT INTO accounts (email) VALUES ('viewer@example.com') RETURNING id")
    account: UUID = (await cur.fetchone())["id"]  # type: ignore[index]
    row = await published_event(conn, "Shared")
    starts = row["starts_at"]
    await conn.commit()
    views = ViewRecorder(OnePool(conn))  # type: ignore[arg-type]

    for where in (PARIS, NEW_YORK):
        if where is NEW_YORK:
            row, _ = await update_event(conn, row["id"], EventUpdate(location=NEW_YORK))
            await conn.commit()
        conn.statements.clear()
        assert await record_share(conn, account, row["id"], starts)
        views.note(account, row["id"], starts)
        assert await views.flush() == 1
        await conn.commit()
        assert await _signal_plans(conn) == [[1], [1]]  # the share, then the batch of views

    cur = await conn.execute("SELECT kind, cell FROM interactions WHERE event_id = %s ORDER BY kind", (row["id"],))
    assert [(r["kind"], r["cell"]) for r in await cur.fetchall()] == [("share", row["cell"])] * 2 + [
        ("view", row["cell"])
    ] * 2
