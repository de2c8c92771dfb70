"""A PostgreSQL crash and restart under load: 503s with Retry-After while it is down, never a 500.

The test runs its own cluster (``tests.fixtures.private_servers``), migrated and seeded, behind
the real app, and keeps clients busy with tiles, lists, nearby, details and writes while the
server is killed (``pg_ctl stop -m immediate``), left down, and started again.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from app.db import UnitOfWorkDep
from app.main import create_app
from app.migrations_state import upgrade
from tests.conftest import make_settings
from tests.fixtures.private_servers import PrivatePostgres
from tests.resilience.load import Load, Picker, Records, Request, send, serving, until_ok
from tests.tiles.conftest import EventStore, scatter
from tiles.grid import tile_of

pytestmark = pytest.mark.outage

PARIS = (48.8566, 2.3522)
SPREAD = 0.05
EVENTS = 300
BEFORE_S, DOWN_S, AFTER_S = 2.0, 3.0, 2.0
# After the restart every kind of request must succeed within this many tries, this far apart.
RECOVERY_TRIES, RECOVERY_EVERY_S = 40, 0.25


def prepare(server: PrivatePostgres) -> str:
    url = server.create_database("happenings")
    upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
    return url


async def seed(url: str) -> list[uuid.UUID]:
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row, autocommit=True) as conn:
        cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Outage test') RETURNING id")
        row = await cur.fetchone()
        assert row is not None
        rng = random.Random(7)
        events = scatter(rng, EVENTS, *PARIS, SPREAD, popularity=0)
        for event in events:
            event.popularity = rng.randrange(1000)
        await EventStore(conn, row["id"]).add(events)
    return [event.id for event in events]


async def add_organizer(name: str, work: UnitOfWorkDep) -> dict[str, str]:
    """A write, to see that one the database may have lost is never answered as done."""
    await work.conn.execute("INSERT INTO organizers (name) VALUES (%s)", (name,))
    return {"name": name}


def mix(ids: list[uuid.UUID]) -> tuple[list[Request], Picker]:
    """One request of each kind, and the picker of the load's mixed requests."""
    lat, lon = PARIS
    bbox = f"{lon - SPREAD},{lat - SPREAD},{lon + SPREAD},{lat + SPREAD}"

    def tile(rng: random.Random) -> str:
        z = rng.choice((4, 11, 14, 14))  # a wide tile (generic-plan pool) and point tiles (custom plans)
        where = tile_of(lat + rng.uniform(-SPREAD, SPREAD), lon + rng.uniform(-SPREAD, SPREAD), z)
        # Half of them with a filter seen for the first time: not in any cache, so it needs the database.
        return f"/tiles/events/{where}.mvt" + (f"?min_popularity={rng.randrange(1000)}" if rng.random() < 0.5 else "")

    def pick(rng: random.Random) -> Request:
        roll = rng.random()
        if roll < 0.3:
            return ("tile", "GET", tile(rng))
        if roll < 0.55:
            return ("list", "GET", f"/api/v1/events?bbox={bbox}&min_popularity={rng.randrange(900)}&limit=20")
        if roll < 0.7:
            return ("nearby", "GET", f"/api/v1/events/nearby?lat={lat}&lon={lon}&radius_m={rng.randrange(500, 5000)}")
        if roll < 0.85:
            return ("detail", "GET", f"/api/v1/events/{rng.choice(ids)}")
        return ("write", "POST", f"/test/organizers?name={uuid.uuid4()}")

    each = [("tile", "GET", f"/tiles/events/{tile_of(lat, lon, 14)}.mvt?min_popularity=1001"),
            ("list", "GET", f"/api/v1/events?bbox={bbox}&limit=5"),
            ("nearby", "GET", f"/api/v1/events/nearby?lat={lat}&lon={lon}&radius_m=2000"),
            ("detail", "GET", f"/api/v1/events/{ids[0]}"),
            ("write", "POST", f"/test/organizers?name={uuid.uuid4()}")]  # fmt: skip
    return each, pick


async def test_a_database_restart_is_503s_while_down_and_nothing_after(
    private_postgres: PrivatePostgres, redis_prefix: str
) -> None:
    url = await asyncio.to_thread(prepare, private_postgres)
    ids = await seed(url)
    app = create_app(make_settings(url, redis_prefix))
    app.add_api_route("/test/organizers", add_organizer, methods=["POST"])
    each, pick = mix(ids)
    with Records() as logs:
        async with serving(app) as client:
            load = Load(client, pick, clients=6)
            load.start()
            try:
                await asyncio.sleep(BEFORE_S)
                down_from = time.monotonic()
                await asyncio.to_thread(private_postgres.stop_immediately)
                await asyncio.sleep(DOWN_S)
                readiness = await send(client, "readyz", "GET", "/readyz")
                await asyncio.to_thread(private_postgres.start)
                tries = {r[0]: await until_ok(client, r, RECOVERY_TRIES, RECOVERY_EVERY_S) for r in each}
                settled_at = time.monotonic()
                await asyncio.sleep(AFTER_S)
            finally:
                await load.stop()
            assert (await send(client, "readyz", "GET", "/readyz")).status == 200

    answers = load.answers
    waits = sorted(a.ended - a.started for a in answers if a.status == 503) or [0.0]
    median, slowest = waits[len(waits) // 2], waits[-1]
    print(f"{len(answers)} answers: {load.summary()}; 503s answered in {median * 1000:.0f} ms (median), "
          f"{slowest:.2f} s (slowest); tries after the restart: {tries}")  # fmt: skip
    assert not load.failures(), load.failures()[:5]  # no 500, no exception, no timeout: only successes and 503s
    assert not logs.with_traceback(), logs.with_traceback()[:3]
    assert readiness.status == 503
    before = [a for a in answers if a.ended < down_from]
    after = [a for a in answers if a.started > settled_at]
    unavailable = [a for a in answers if a.status == 503]
    assert before and all(a.ok for a in before)
    assert after and all(a.ok for a in after), [a for a in after if not a.ok][:5]
    assert unavailable and all(a.overlaps(down_from, settled_at) for a in unavailable)
    assert {a.kind for a in after} >= {"tile", "list", "nearby", "detail", "write"}
    # A write answered as done is in the database, whatever happened around it.
    written = {a.url.rsplit("=", 1)[1] for a in answers if a.kind == "write" and a.ok}
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute("SELECT name FROM organizers WHERE name = ANY(%s)", (list(written),))
        assert {row[0] for row in await cur.fetchall()} == written
