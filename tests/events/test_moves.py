"""An event moved to another partition cell stays found by every read that reaches it through a
table on the coordinator: recommendation signals, the change log (the worker's notices to
attendees, a page's "rescheduled"), notices, import links and idempotent order requests.

A move is an insert of the same id in the new cell and a delete of the old row (``repository.move_event``),
on a single node as on Citus; these tests run on both (``pytest --citus``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.rows import DictRow, dict_row

from app.events.schemas import EventCreate, EventUpdate, Point
from app.events.service import create_event, update_event
from app.imports import repository as imports
from app.notifications.matching import drain_changes
from app.recommendations import repository as recommendations
from app.recommendations.signals import record_interaction, record_share
from app.sharing.repository import shared_events
from geo.cells import cell_of

PARIS = Point(lat=48.8566, lon=2.3522)
NEW_YORK = Point(lat=40.7128, lon=-74.0060)
# Rows these tests write that this folder's ``clean_db`` does not empty, children first.
_OWN_TABLES = ("notices", "event_changes", "interactions", "order_requests", "import_links", "import_sources",
               "orders", "saved_events", "accounts")  # fmt: skip

Conn = psycopg.AsyncConnection[DictRow]


@pytest.fixture
async def conn(clean_db: str) -> AsyncIterator[Conn]:
    """Before and after: other tests of this folder may leave change-log rows behind (the worker's
    drain would meet them first)."""
    async with await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row) as connection:
        await _empty(connection)
        yield connection
        await connection.rollback()
        await _empty(connection)


async def _empty(conn: Conn) -> None:
    async with conn.transaction():
        for table in _OWN_TABLES:
            await conn.execute(f"DELETE FROM {table}")


async def _organizer(conn: Conn) -> UUID:
    cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Moves') RETURNING id")
    return (await cur.fetchone())["id"]  # type: ignore[index]


async def _account(conn: Conn, email: str) -> UUID:
    cur = await conn.execute("INSERT INTO accounts (email) VALUES (%s) RETURNING id", (email,))
    return (await cur.fetchone())["id"]  # type: ignore[index]


async def _event(conn: Conn, organizer: UUID, point: Point, title: str, starts: datetime) -> dict[str, Any]:
    data = EventCreate.model_validate({
        "organizer_id": organizer, "location": point, "title": title, "category": "music",
        "starts_at": starts, "ends_at": starts + timedelta(hours=2), "timezone": "Europe/Paris",
        "status": "published", "is_free": True,
    })  # fmt: skip
    row, _ = await create_event(conn, data)
    return row


async def _save(conn: Conn, account: UUID, event: dict[str, Any], now: datetime) -> None:
    await conn.execute(
        "INSERT INTO saved_events (cell, event_id, account_id) VALUES (%s, %s, %s)",
        (event["cell"], event["id"], account),
    )
    await record_interaction(conn, account_id=account, cell=event["cell"], event_id=event["id"], kind="save", at=now)


async def test_after_a_move_signals_the_change_log_and_import_links_still_reach_the_event(conn: Conn) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    organizer = await _organizer(conn)
    ana, ben = await _account(conn, "ana@example.com"), await _account(conn, "ben@example.com")
    moving = await _event(conn, organizer, PARIS, "Moving gig", now + timedelta(days=5))
    staying = await _event(conn, organizer, PARIS, "Staying gig", now + timedelta(days=6))
    for person in (ana, ben):
        await _save(conn, person, moving, now)
        await _save(conn, person, staying, now)
    assert await record_share(conn, ana, moving["id"], now)
    cur = await conn.execute(
        "INSERT INTO import_sources (organizer_id, kind) VALUES (%s, 'file') RETURNING id", (organizer,)
    )
    source = (await cur.fetchone())["id"]  # type: ignore[index]
    await conn.execute(
        "INSERT INTO import_links (source_id, uid, key, kind, event_id, content_hash) "
        "VALUES (%s, 'gig@example.org', '', 'event', %s, 'h1')",
        (source, moving["id"]),
    )
    await drain_changes(conn, now, 100)  # the creations: nobody to tell yet
    await conn.commit()

    # A new time logged and not yet handled by the worker, then the move, each committed.
    await update_event(conn, moving["id"], EventUpdate(starts_at=moving["starts_at"] + timedelta(hours=1),
                                                       ends_at=moving["ends_at"] + timedelta(hours=1)))  # fmt: skip
    await conn.commit()
    moved, _ = await update_event(conn, moving["id"], EventUpdate(location=NEW_YORK))
    await conn.commit()
    old_cell, new_cell = moving["cell"], cell_of(NEW_YORK.lat, NEW_YORK.lon)
    assert (moved["cell"], old_cell) == (new_cell, cell_of(PARIS.lat, PARIS.lon))

    # Recommendation signals carry the new cell: the person's signals find the event's facts, and
    # "also went" finds the moved event from the other one and the other one from it.
    cur = await conn.execute("SELECT DISTINCT cell FROM interactions WHERE event_id = %s", (moving["id"],))
    assert await cur.fetchall() == [{"cell": new_cell}]
    signals, _profile = await recommendations.person_of(conn, ana, now - timedelta(days=1), 50)
    titles = {s["kind"]: s["title"] for s in signals if s["event_id"] == moving["id"]}
    assert titles == {"save": "Moving gig", "share": "Moving gig"}
    since = now - timedelta(days=365)
    assert await recommendations.also_went(conn, staying["cell"], staying["id"], since, 10) == [
        (new_cell, moving["id"], 2)
    ]
    assert await recommendations.also_went(conn, new_cell, moving["id"], since, 10) == [
        (staying["cell"], staying["id"], 2)
    ]

    # The worker's drain finds the event where it is now, for the change logged before the move too:
    # both people who saved it hear of the new time and of the new place.
    assert await drain_changes(conn, now, 100) == 2
    await conn.commit()
    cur = await conn.execute(
        "SELECT account_id, kind FROM notices WHERE event_id = %s ORDER BY kind, account_id", (moving["id"],)
    )
    told = [(row["account_id"], row["kind"]) for row in await cur.fetchall()]
    assert told == sorted([(p, k) for p in (ana, ben) for k in ("moved", "rescheduled")], key=lambda t: (t[1], t[0]))

    # Its page still says it was rescheduled; an import of the same entry finds it to update.
    (page,) = await shared_events(conn, [(new_cell, moving["id"])])
    assert page["rescheduled"] is True
    link = await imports.link_of(conn, source, "gig@example.org", "")
    assert link is not None
    found = await imports.event_row(conn, link["event_id"])
    assert found is not None and (found["id"], found["cell"]) == (moving["id"], new_cell)
    await conn.commit()


async def test_an_order_request_follows_its_order_to_the_new_cell(conn: Conn) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    organizer = await _organizer(conn)
    ana = await _account(conn, "ana@example.com")
    event = await _event(conn, organizer, PARIS, "Sold gig", now + timedelta(days=5))
    order = uuid4()
    await conn.execute(
        "INSERT INTO orders (cell, event_id, id, account_id, status, amount, currency, expires_at, created_at, "
        "updated_at) VALUES (%s, %s, %s, %s, 'paid', 0, 'EUR', %s, %s, %s)",
        (event["cell"], event["id"], order, ana, now, now, now),
    )
    await conn.execute(
        "INSERT INTO order_requests (account_id, idempotency_key, request_hash, cell, order_id, created_at) "
        "VALUES (%s, 'k1', %s, %s, %s, %s)",
        (ana, b"\0" * 32, event["cell"], order, now),
    )
    await conn.commit()
    moved, _ = await update_event(conn, event["id"], EventUpdate(location=NEW_YORK))
    await conn.commit()
    cur = await conn.execute("SELECT cell, order_id FROM order_requests WHERE account_id = %s", (ana,))
    request = await cur.fetchone()
    assert request == {"cell": moved["cell"], "order_id": order}
    cur = await conn.execute("SELECT id FROM orders WHERE cell = %s AND id = %s", (request["cell"], order))
    assert await cur.fetchall() == [{"id": order}]
