"""The distributed layout `python -m app distribute` makes, checked on the private Citus cluster.

Runs only with ``--citus`` (the Citus stage of ``make test``); the other suites run there too, with
the same answers as on a single node.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import dict_row

from app.distribution import DISTRIBUTED_TABLES, REFERENCE_TABLES, distribute
from app.events import repository
from app.events.schemas import EventUpdate
from app.events.service import update_event
from geo.cells import cell_of
from tests.citus.conftest import NEW_YORK, PARIS, published_event
from tests.fixtures.database import CITUS_TEST_SHARDS

pytestmark = pytest.mark.citus


def _kinds(url: str) -> dict[str, tuple[str, int]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT logicalrelid::regclass::text, partmethod, colocationid FROM pg_dist_partition"
        ).fetchall()
    return {name: (method, colocation) for name, method, colocation in rows}


def test_events_and_event_bound_tables_are_co_located_by_cell_and_shared_tables_are_reference(
    database_url: str,
) -> None:
    kinds = _kinds(database_url)
    colocation = kinds["events"][1]
    for table in DISTRIBUTED_TABLES:
        assert kinds[table] == ("h", colocation), table
    for table in REFERENCE_TABLES:
        assert kinds[table][0] == "n", table
    with psycopg.connect(database_url) as conn:
        column = conn.execute("SELECT column_to_column_name('events'::regclass, partkey) FROM pg_dist_partition "
                              "WHERE logicalrelid = 'events'::regclass").fetchone()  # fmt: skip
        shards = conn.execute("SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'events'::regclass").fetchone()
        unsafe = conn.execute("SHOW citus.enable_unsafe_triggers").fetchone()
    assert column == ("cell",)
    assert shards == (CITUS_TEST_SHARDS,)
    assert unsafe == ("off",)


def test_distribute_again_changes_nothing(database_url: str) -> None:
    before = _kinds(database_url)
    report = distribute(database_url, CITUS_TEST_SHARDS)
    assert (report.reference, report.distributed) == ([], [])
    assert _kinds(database_url) == before


async def test_a_lookup_by_id_reads_one_shard_through_the_locator_and_a_move_keeps_the_id(
    clean_db: str,
) -> None:
    async with await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row) as conn:
        row = await published_event(conn, "Moving")
        await conn.execute(
            "INSERT INTO event_places (cell, event_id, capacity, taken) VALUES (%s, %s, 10, 3)",
            (row["cell"], row["id"]),
        )
        await conn.commit()
        assert await repository.locate(conn, row["id"]) == cell_of(PARIS.lat, PARIS.lon)
        cur = await conn.execute(
            "EXPLAIN (FORMAT JSON) SELECT * FROM events WHERE cell = %s AND id = %s", (row["cell"], row["id"])
        )
        plan = (await cur.fetchone())["QUERY PLAN"][0]["Plan"]  # type: ignore[index]
        assert plan["Distributed Query"]["Job"]["Task Count"] == 1

        moved, _ = await update_event(conn, row["id"], EventUpdate(location=NEW_YORK))
        await conn.commit()
        new_cell = cell_of(NEW_YORK.lat, NEW_YORK.lon)
        assert (moved["id"], moved["cell"]) == (row["id"], new_cell)
        assert await repository.locate(conn, row["id"]) == new_cell
        cur = await conn.execute("SELECT cell, taken FROM event_places WHERE event_id = %s", (row["id"],))
        assert await cur.fetchall() == [{"cell": new_cell, "taken": 3}]
        cur = await conn.execute("SELECT count(*) AS n FROM events WHERE id = %s", (row["id"],))
        assert (await cur.fetchone())["n"] == 1  # type: ignore[index]
