"""A page's and a point tile's places counters are read in the shards of their covering cells only.

Runs only with ``--citus``. Every statement a list, nearby or search request runs (recorded from the
request's own path, ``discovery.page_rows``) and the z14 point tile are EXPLAINed on the cluster:
no part of any of them, the ``event_places`` part included, may reach more shards than the covering
cells lie in (joined to the page as it is, Citus reads the whole counters table on every shard).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg
import pytest
from psycopg.rows import DictRow, dict_row

from app.events import discovery, queries
from app.events.criteria import Criteria
from app.events.filters import Filters
from app.events.paging import first_page
from app.events.schemas import EventCreate, Point
from app.events.service import create_event
from config.settings import TileSettings
from geo.bbox import BBox
from geo.circle import Circle
from tests.fixtures.database import CITUS_TEST_SHARDS
from tests.tiles.conftest import decode
from tiles.grid import tile_of
from tiles.service import run_tile_query
from tiles.sql import tile_query

pytestmark = pytest.mark.citus

PARIS = (48.8566, 2.3522)
# The city (its cells in one shard at the test's shard count) and the region around it (cells in
# two shards): one statement on one worker, and statements planned apart whose parts are pruned.
CITY = BBox(2.2, 48.8, 2.5, 48.9)
REGION = BBox(1.5, 48.3, 3.2, 49.3)


@pytest.fixture(autouse=True)
def _only_on_citus(request: pytest.FixtureRequest) -> None:
    if not request.config.getoption("--citus"):
        pytest.skip("runs on the Citus cluster (pytest --citus)")


@pytest.fixture
async def conn(clean_db: str) -> AsyncIterator[psycopg.AsyncConnection[DictRow]]:
    async with await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row, autocommit=True) as conn:
        yield conn


async def _jazz_nights(conn: psycopg.AsyncConnection[DictRow]) -> list[Any]:
    """Three jazz nights in Paris with 10 places each: 0, 8 and 10 taken."""
    cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Citus') RETURNING id")
    organizer = (await cur.fetchone())["id"]  # type: ignore[index]
    starts = datetime.now(UTC) + timedelta(days=1)
    ids = []
    for n, taken in enumerate((0, 8, 10)):
        data = EventCreate.model_validate({
            "organizer_id": organizer, "location": Point(lat=PARIS[0] + n / 1000, lon=PARIS[1]),
            "title": f"Jazz night {n}", "category": "music", "starts_at": starts + timedelta(hours=n),
            "ends_at": starts + timedelta(hours=n + 2), "timezone": "Europe/Paris", "status": "published",
            "capacity": 10,
        })  # fmt: skip
        async with conn.transaction():
            row, _ = await create_event(conn, data)
        await conn.execute(
            "INSERT INTO event_places (cell, event_id, capacity, taken) VALUES (%s, %s, 10, %s) "
            "ON CONFLICT (cell, event_id) DO UPDATE SET taken = EXCLUDED.taken",
            (row["cell"], row["id"], taken),
        )
        ids.append(str(row["id"]))
    return ids


async def _task_counts(conn: psycopg.AsyncConnection[DictRow], sql: str, params: dict[str, Any]) -> list[int]:
    """The ``Task Count`` of every distributed part of the statement's plan (subplans included)."""
    cur = await conn.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
    counts: list[int] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            job = node.get("Distributed Query", {}).get("Job", {})
            if "Task Count" in job:
                counts.append(job["Task Count"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk((await cur.fetchone())["QUERY PLAN"])  # type: ignore[index]
    return counts


async def _shards(conn: psycopg.AsyncConnection[DictRow], cells: list[int]) -> int:
    cur = await conn.execute(
        "SELECT count(DISTINCT get_shard_id_for_distribution_column('event_places', cell)) AS n "
        "FROM unnest(%s::bigint[]) AS cell",
        (cells,),
    )
    return int((await cur.fetchone())["n"])  # type: ignore[index]


@pytest.mark.parametrize("area", [CITY, REGION], ids=["city", "region"])
@pytest.mark.parametrize(
    "criteria",
    [
        lambda area: Criteria(area, "start"),
        lambda area: Criteria(area, "popularity"),
        lambda area: Criteria(area, "relevance", Filters(text="jazz")),
        lambda area: Criteria(area, "relevance", Filters(text="jazz night")),
        lambda area: Criteria(Circle(PARIS[0], PARIS[1], 5_000 if area is CITY else 60_000), "distance"),
    ],
    ids=["list", "popular", "search", "search-words", "nearby"],
)
async def test_every_part_of_a_page_reads_only_the_covering_cells_shards(
    conn: psycopg.AsyncConnection[DictRow], monkeypatch: pytest.MonkeyPatch, area: BBox, criteria: Any
) -> None:
    ids = await _jazz_nights(conn)
    statements: list[queries.Statement] = []
    fetch = queries.fetch

    async def recorded(conn: Any, statement: queries.Statement, **kwargs: Any) -> list[dict[str, Any]]:
        statements.append(statement)
        return await fetch(conn, statement, **kwargs)

    monkeypatch.setattr(queries, "fetch", recorded)
    rows = await discovery.page_rows(conn, criteria(area), first_page(), 20)

    assert sorted(str(row["id"]) for row in rows) == sorted(ids)
    assert sorted(orjson.loads(row["item"])["places_left"] for row in rows) == [0, 2, 10]
    for statement in statements:
        widest = await _shards(conn, statement.params["cells"])
        assert widest < CITUS_TEST_SHARDS
        counts = await _task_counts(conn, statement.sql, statement.params)
        assert counts and max(counts) <= widest, (counts, widest)


async def test_a_point_tile_reads_the_counters_in_its_cells_shard_only(conn: psycopg.AsyncConnection[DictRow]) -> None:
    await _jazz_nights(conn)
    query = tile_query(tile_of(*PARIS, 14), Filters(), TileSettings())
    assert query.citus_sql is not None

    assert await _task_counts(conn, query.citus_sql, query.params) == [1]
    row = await run_tile_query(conn, query)
    shown = sorted(str(feature["properties"].get("availability")) for feature in decode(bytes(row["mvt"])))
    assert shown == ["None", "few_left", "sold_out"]
