"""The write path: placement, partition moves, cross-field rules."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.rows import dict_row

from app.errors import InvalidParameter, NotFound
from app.events import service
from app.events.schemas import EventCreate, EventUpdate, Point
from geo.cells import cell_of

PARIS = Point(lat=48.8566, lon=2.3522)
TOKYO = Point(lat=35.6762, lon=139.6503)


async def _organizer(conn: psycopg.AsyncConnection) -> uuid.UUID:  # type: ignore[type-arg]
    cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Org') RETURNING id")
    row = await cur.fetchone()
    assert row is not None
    return row["id"]  # type: ignore[no-any-return,call-overload]


def _event(organizer_id: uuid.UUID, **overrides: object) -> EventCreate:
    start = datetime.now(UTC) + timedelta(days=2)
    fields: dict[str, object] = {
        "organizer_id": organizer_id,
        "title": "Jazz night",
        "category": "music",
        "starts_at": start,
        "ends_at": start + timedelta(hours=3),
        "timezone": "Europe/Paris",
        "status": "published",
        "is_free": True,
        "location": PARIS,
    }
    fields.update(overrides)
    return EventCreate.model_validate(fields)


@pytest.fixture
async def conn(clean_db: str):  # type: ignore[no-untyped-def]
    async with await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row) as connection:
        yield connection


async def _partition_of(conn, event_id: uuid.UUID) -> str:  # type: ignore[no-untyped-def]
    cur = await conn.execute("SELECT tableoid::regclass::text AS part, cell FROM events WHERE id = %s", (event_id,))
    row = await cur.fetchone()
    return f"{row['part']}:{row['cell']}"


async def test_create_places_event_in_the_cell_of_its_point(conn) -> None:  # type: ignore[no-untyped-def]
    row, change = await service.create_event(conn, _event(await _organizer(conn)))
    assert row["cell"] == cell_of(PARIS.lat, PARIS.lon)
    assert change.kind == "created" and change.points == (PARIS,)


async def test_moving_an_event_moves_its_partition(conn) -> None:  # type: ignore[no-untyped-def]
    row, _ = await service.create_event(conn, _event(await _organizer(conn)))
    before = await _partition_of(conn, row["id"])
    moved, change = await service.update_event(conn, row["id"], EventUpdate(location=TOKYO))
    after = await _partition_of(conn, row["id"])
    assert moved["cell"] == cell_of(TOKYO.lat, TOKYO.lon)
    assert after.split(":")[1] == str(cell_of(TOKYO.lat, TOKYO.lon))
    assert before != after
    assert change.points == (PARIS, TOKYO)
    cur = await conn.execute("SELECT count(*) AS n FROM events")
    assert (await cur.fetchone())["n"] == 1


async def test_event_at_a_venue_takes_the_venue_point(conn) -> None:  # type: ignore[no-untyped-def]
    organizer = await _organizer(conn)
    cur = await conn.execute(
        "INSERT INTO venues (name, timezone, geom) VALUES ('Hall', 'Asia/Tokyo', "
        "ST_SetSRID(ST_MakePoint(%s, %s), 4326)) RETURNING id",
        (TOKYO.lon, TOKYO.lat),
    )
    venue = (await cur.fetchone())["id"]
    row, _ = await service.create_event(conn, _event(organizer, location=None, venue_id=venue))
    assert (row["lat"], row["lon"]) == pytest.approx((TOKYO.lat, TOKYO.lon))


async def test_unknown_venue_is_refused(conn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidParameter):
        await service.create_event(conn, _event(await _organizer(conn), location=None, venue_id=uuid.uuid4()))


async def test_update_rechecks_cross_field_rules_and_changes_nothing(conn) -> None:  # type: ignore[no-untyped-def]
    row, _ = await service.create_event(conn, _event(await _organizer(conn)))
    with pytest.raises(InvalidParameter):
        await service.update_event(conn, row["id"], EventUpdate(price_min=500))  # still is_free
    cur = await conn.execute("SELECT price_min FROM events WHERE id = %s", (row["id"],))
    assert (await cur.fetchone())["price_min"] is None


async def test_update_and_delete_unknown_event(conn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        await service.update_event(conn, uuid.uuid4(), EventUpdate(title="x"))
    with pytest.raises(NotFound):
        await service.delete_event(conn, uuid.uuid4())


def test_inconsistent_input_is_refused_by_the_schema() -> None:
    with pytest.raises(ValueError):
        _event(uuid.uuid4(), is_free=False, price_min=100, price_max=50, currency="EUR")
    with pytest.raises(ValueError):
        _event(uuid.uuid4(), timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        _event(uuid.uuid4(), location=None)


async def _venue(conn, name: str, at: Point) -> uuid.UUID:  # type: ignore[no-untyped-def]
    cur = await conn.execute(
        "INSERT INTO venues (name, timezone, geom) VALUES (%s, 'Asia/Tokyo', ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
        "RETURNING id",
        (name, at.lon, at.lat),
    )
    return (await cur.fetchone())["id"]  # type: ignore[no-any-return]


async def _copy(conn, event_id: uuid.UUID) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    cur = await conn.execute(
        "SELECT venue_id, venue_name, ST_Y(venue_geom) AS lat, ST_X(venue_geom) AS lon FROM events WHERE id = %s",
        (event_id,),
    )
    row = await cur.fetchone()
    return (row["venue_id"], row["venue_name"], row["lat"], row["lon"])


async def test_event_keeps_a_copy_of_its_venue_even_at_its_own_point(conn) -> None:  # type: ignore[no-untyped-def]
    venue = await _venue(conn, "Hall", TOKYO)
    row, _ = await service.create_event(conn, _event(await _organizer(conn), venue_id=venue))  # located in Paris
    assert (row["lat"], row["lon"]) == pytest.approx((PARIS.lat, PARIS.lon))
    assert await _copy(conn, row["id"]) == (venue, "Hall", pytest.approx(TOKYO.lat), pytest.approx(TOKYO.lon))


async def test_renaming_or_moving_a_venue_rewrites_the_copies_of_its_events_only(conn) -> None:  # type: ignore[no-untyped-def]
    organizer = await _organizer(conn)
    hall, club = await _venue(conn, "Hall", TOKYO), await _venue(conn, "Club", TOKYO)
    at_hall, _ = await service.create_event(conn, _event(organizer, location=None, venue_id=hall))
    at_club, _ = await service.create_event(conn, _event(organizer, location=None, venue_id=club))

    await _rename(conn, hall, "Grand Hall", PARIS)

    assert await _copy(conn, at_hall["id"]) == (hall, "Grand Hall", pytest.approx(PARIS.lat), pytest.approx(PARIS.lon))
    assert await _copy(conn, at_club["id"]) == (club, "Club", pytest.approx(TOKYO.lat), pytest.approx(TOKYO.lon))


async def _rename(conn, venue_id: uuid.UUID, name: str, at: Point) -> None:  # type: ignore[no-untyped-def]
    """The venue write (``app.venues.service.update_venue``): the venue row, then its events' copies."""
    await conn.execute(
        "UPDATE venues SET name = %s, geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326) WHERE id = %s",
        (name, at.lon, at.lat, venue_id),
    )
    await service.venue_changed(conn, venue_id, name, at)


async def test_leaving_a_venue_clears_the_copy_and_a_venue_with_events_cannot_go(conn) -> None:  # type: ignore[no-untyped-def]
    hall, club = await _venue(conn, "Hall", TOKYO), await _venue(conn, "Club", PARIS)
    row, _ = await service.create_event(conn, _event(await _organizer(conn), location=None, venue_id=hall))
    await conn.execute("SAVEPOINT before_delete")
    with pytest.raises(psycopg.errors.CheckViolation):  # the foreign key's SET NULL would leave a stale copy
        await conn.execute("DELETE FROM venues WHERE id = %s", (hall,))
    await conn.execute("ROLLBACK TO SAVEPOINT before_delete")
    await service.update_event(conn, row["id"], EventUpdate(venue_id=club, location=TOKYO))
    assert await _copy(conn, row["id"]) == (club, "Club", pytest.approx(PARIS.lat), pytest.approx(PARIS.lon))
    await service.update_event(conn, row["id"], EventUpdate(venue_id=None))
    assert await _copy(conn, row["id"]) == (None, None, None, None)
    await conn.execute("DELETE FROM venues WHERE id = %s", (hall,))


async def test_an_event_without_its_venue_copy_is_refused(conn) -> None:  # type: ignore[no-untyped-def]
    hall = await _venue(conn, "Hall", TOKYO)
    with pytest.raises(psycopg.errors.CheckViolation):
        await conn.execute(
            "INSERT INTO events (cell, organizer_id, venue_id, category, title, starts_at, ends_at, timezone, geom) "
            "VALUES (1, %s, %s, 'music', 'x', now(), now(), 'UTC', ST_SetSRID(ST_MakePoint(0, 0), 4326))",
            (await _organizer(conn), hall),
        )


async def test_a_rename_racing_an_insert_waits_and_reaches_the_new_event(clean_db: str) -> None:
    """The insert holds the venue (a shared advisory lock) until it commits; the rename queues
    behind it, and its copy then reaches the new event."""
    async with (
        await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row) as writer,
        await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row, autocommit=True) as other,
    ):
        hall = await _venue(other, "Hall", TOKYO)
        organizer = await _organizer(other)
        row, _ = await service.create_event(writer, _event(organizer, location=None, venue_id=hall))  # not committed
        renamer = await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row)
        async with renamer:
            rename = asyncio.create_task(_rename(renamer, hall, "Grand Hall", TOKYO))
            await _until_waiting_on_a_lock(other, renamer.info.backend_pid)
            await writer.commit()
            await rename
            await renamer.commit()
        assert await _copy(other, row["id"]) == (hall, "Grand Hall", pytest.approx(TOKYO.lat), pytest.approx(TOKYO.lon))


async def test_an_insert_holding_its_venue_keeps_no_other_venue_waiting(clean_db: str) -> None:
    """Only writes of the held venue wait (on Citus too, where a row lock on the reference table
    ``venues`` would hold every write of the table): another venue is renamed and a new one made
    while the insert is open."""
    async with (
        await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row) as writer,
        await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row, autocommit=True) as other,
        await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row) as renamer,
    ):
        hall, club = await _venue(other, "Hall", TOKYO), await _venue(other, "Club", PARIS)
        organizer = await _organizer(other)
        row, _ = await service.create_event(writer, _event(organizer, location=None, venue_id=hall))  # not committed
        await renamer.execute("SET lock_timeout = '30s'")  # a wait fails the test rather than hanging it
        await _rename(renamer, club, "Club Nouveau", PARIS)
        await _venue(renamer, "Annex", PARIS)
        await renamer.commit()
        await writer.commit()
        assert await _copy(other, row["id"]) == (hall, "Hall", pytest.approx(TOKYO.lat), pytest.approx(TOKYO.lon))


async def _until_waiting_on_a_lock(conn, pid: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        cur = await conn.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,))
        if (await cur.fetchone())["wait_event_type"] == "Lock":
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the rename never waited for the insert")
