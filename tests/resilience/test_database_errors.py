"""Database failures short of an outage: dead pooled connections, a write whose commit is lost, a
statement cut off, a server that is not there at all. Never a 500, never a write reported as done."""

from __future__ import annotations

import asyncio
import logging

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from app.db import UnitOfWorkDep
from app.kit.read_connection import ReadConnDep
from app.main import create_app
from config.settings import DatabaseSettings, Settings
from tests.conftest import make_settings
from tests.fixtures.private_servers import free_port
from tests.resilience.load import Records, send, serving
from tests.tiles.conftest import Event, EventStore, get_tile
from tiles.grid import tile_of

PARIS = (48.8566, 2.3522)
OUR_POOLS = """
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'happenings%%'
"""


async def _terminate(conn: psycopg.AsyncConnection[tuple[int]], pids: list[int]) -> None:
    """Terminate these backends and wait until they are gone."""
    for pid in pids:
        await conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    for _ in range(1000):
        cur = await conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,))
        if await cur.fetchone() is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"backends {pids} still there")


async def _kill_pooled_connections(url: str) -> int:
    """Terminate every connection of the app's pools (as a restart would), and wait until they are gone."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        pids = [row[0] for row in await (await conn.execute(OUR_POOLS)).fetchall()]
        await _terminate(conn, pids)
    return len(pids)


async def test_dead_pooled_connections_are_replaced_without_an_error(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, clean_db: str
) -> None:
    """A restart nobody saw leaves every idle pooled connection dead: each read still succeeds once."""
    (event,) = await store.add([Event(*PARIS, popularity=1000)])
    tile = tile_of(*PARIS, 14)
    paths = [f"/api/v1/events/{event.id}", "/api/v1/events?bbox=2.3,48.8,2.4,48.9",
             "/api/v1/events/nearby?lat=48.85&lon=2.35"]  # fmt: skip
    for round_ in range(3):
        for path in paths:
            assert (await client.get(path)).status_code == 200
        assert (await get_tile(client, tile, f"min_popularity={round_}")).status_code == 200
        assert await _kill_pooled_connections(clean_db) > 0
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 200, response.text
    response = await get_tile(client, tile, "min_popularity=99")  # not cached: a query on a dead connection
    assert response.status_code == 200, response.text
    assert not app.state.database_breaker.down


async def test_a_write_whose_commit_is_lost_is_a_503_never_a_success(
    app: FastAPI, client: httpx.AsyncClient, clean_db: str
) -> None:
    async def doomed_write(work: UnitOfWorkDep) -> dict[str, str]:
        await work.conn.execute("INSERT INTO organizers (name) VALUES ('doomed')")
        row = await (await work.conn.execute("SELECT pg_backend_pid() AS pid")).fetchone()
        assert row is not None
        async with await psycopg.AsyncConnection.connect(clean_db, autocommit=True) as other:
            await _terminate(other, [row["pid"]])
        return {"written": "yes"}  # the commit after this fails: the connection is gone

    async def write(name: str, work: UnitOfWorkDep) -> dict[str, str]:
        await work.conn.execute("INSERT INTO organizers (name) VALUES (%s)", (name,))
        return {"written": name}

    app.add_api_route("/test/doomed", doomed_write, methods=["POST"])
    app.add_api_route("/test/write", write, methods=["POST"])
    with Records() as logs:
        response = await client.post("/test/doomed")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"]
    assert "before the write was confirmed" in response.json()["detail"]
    assert not logs.with_traceback()
    assert (await client.post("/test/write", params={"name": "after"})).status_code == 200  # the pool recovered
    async with await psycopg.AsyncConnection.connect(clean_db) as conn:
        names = [row[0] for row in await (await conn.execute("SELECT name FROM organizers ORDER BY name")).fetchall()]
    assert names == ["after"]


@pytest.fixture
def slow_settings(clean_db: str, redis_prefix: str) -> Settings:
    settings = make_settings(clean_db, redis_prefix)
    settings.database = settings.database.model_copy(update={"statement_timeout_ms": 100})
    return settings


async def test_a_statement_timeout_is_a_503_with_one_line_in_the_log(slow_settings: Settings) -> None:
    app = create_app(slow_settings)

    async def slow(db: ReadConnDep) -> dict[str, str]:
        await db.run(lambda conn: conn.execute("SELECT pg_sleep(1)"))
        return {"slept": "yes"}

    app.add_api_route("/test/slow", slow)
    async with serving(app) as client:
        with Records() as logs:
            response = await client.get("/test/slow")
    assert response.status_code == 503 and response.headers["retry-after"], response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert not logs.with_traceback()
    assert [r.getMessage() for r in logs.records if r.name == "happenings.database"] == [
        "database error answered 503: canceling statement due to statement timeout"
    ]
    assert not app.state.database_breaker.down  # a slow statement is not an outage


async def test_with_no_database_every_request_that_needs_it_is_a_fast_503(redis_prefix: str) -> None:
    """The server is not there at all (not started yet, or gone): after the first request notices,
    the rest answer 503 at once; tiles, lists and details alike, and /readyz says not ready."""
    settings = make_settings(f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere", redis_prefix)
    settings.database = DatabaseSettings(url=settings.database.url, pool_min=1, pool_max=2, acquire_timeout_s=0.5)
    app = create_app(settings)
    paths = ["/api/v1/events?bbox=2.3,48.8,2.4,48.9", f"/tiles/events/{tile_of(*PARIS, 14)}.mvt",
             "/api/v1/events/00000000-0000-4000-8000-000000000000"]  # fmt: skip
    with Records() as logs:
        async with serving(app, wait=False) as client:
            first = await send(client, "list", "GET", paths[0])
            assert first.unavailable, first
            for _ in range(50):  # the breaker asks the server in the background
                if app.state.database_breaker.down:
                    break
                await asyncio.sleep(0.05)
            assert app.state.database_breaker.down
            answers = [await send(client, "any", "GET", path) for path in paths * 3]
            readiness = await client.get("/readyz")
    assert all(a.unavailable for a in answers), answers
    assert readiness.status_code == 503 and readiness.json()["checks"]["database"].startswith("unreachable")
    assert not logs.with_traceback(), logs.with_traceback()
    breaker_lines = [r for r in logs.records if r.name == "happenings.database"]
    assert len(breaker_lines) == 1 and breaker_lines[0].levelno == logging.WARNING
