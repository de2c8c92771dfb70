"""Precise event fixtures for the discovery tests: every coordinate, time and zone is chosen."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import DictRow, dict_row

from app.events import derived
from app.events.schemas import EventCreate, Point
from app.events.service import create_event

NOW = datetime.now(UTC).replace(microsecond=0)
PARIS = (48.8566, 2.3522)


class World:
    """Creates organizers, venues and events through the write-side service."""

    def __init__(self, conn: psycopg.AsyncConnection[DictRow]) -> None:
        self.conn = conn
        # Each test's own "now" (not the import's): "ended an hour ago" stays true however long the run.
        self.now = datetime.now(UTC).replace(microsecond=0)
        self._organizer: UUID | None = None
        self._titles = itertools.count(1)

    async def organizer(self, name: str = "Ville Lumière Events") -> UUID:
        cur = await self.conn.execute("INSERT INTO organizers (name) VALUES (%s) RETURNING id", (name,))
        row = await cur.fetchone()
        assert row is not None
        return UUID(str(row["id"]))

    async def venue(self, lat: float, lon: float, name: str = "Le Lieu", timezone: str = "Europe/Paris") -> UUID:
        cur = await self.conn.execute(
            "INSERT INTO venues (name, address, city, country_code, timezone, geom) "
            "VALUES (%s, '1 rue Exemple', 'Paris', 'FR', %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) RETURNING id",
            (name, timezone, lon, lat),
        )
        row = await cur.fetchone()
        assert row is not None
        return UUID(str(row["id"]))

    async def event(
        self,
        lat: float | None = PARIS[0],
        lon: float | None = PARIS[1],
        *,
        venue_id: UUID | None = None,
        starts_in: timedelta = timedelta(days=1),
        duration: timedelta = timedelta(hours=3),
        **fields: Any,
    ) -> dict[str, Any]:
        """A published event at (lat, lon) (or at its venue) starting ``starts_in`` from now."""
        if self._organizer is None:
            self._organizer = await self.organizer()
        starts_at = fields.pop("starts_at", self.now + starts_in)
        data = {
            "organizer_id": self._organizer,
            "venue_id": venue_id,
            "location": None if lat is None or lon is None else Point(lat=lat, lon=lon),
            "title": f"Event {next(self._titles)}",
            "category": "music",
            "starts_at": starts_at,
            "ends_at": fields.pop("ends_at", starts_at + duration),
            "timezone": "Europe/Paris",
            "status": "published",
            **fields,
        }
        popularity = data.pop("popularity", None)
        row, _ = await create_event(self.conn, EventCreate.model_validate(data))
        if popularity is not None:
            await self.conn.execute("UPDATE events SET popularity = %s WHERE id = %s", (popularity, row["id"]))
            row["popularity"] = popularity
        return row


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    """The shared fixture's contract (empty data tables after each test), with DELETE instead of
    TRUNCATE: truncating 64 partitions and their indexes costs about half a second per test,
    deleting the handful of rows a test made costs milliseconds; the derived tables are then
    counted again (from nothing)."""
    yield database_url
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        # On Citus, reference tables are written after the shards of `events`, one connection per worker.
        conn.execute("SELECT set_config('citus.multi_shard_modify_mode', 'sequential', true)")
        for table in ("events", "event_locator", "venues", "organizers"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute(derived.REBUILD)  # emptied: no posting or rollup row is left


@pytest.fixture
async def db(clean_db: str) -> AsyncIterator[psycopg.AsyncConnection[DictRow]]:
    async with await psycopg.AsyncConnection.connect(clean_db, autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture
def world(db: psycopg.AsyncConnection[DictRow]) -> World:
    return World(db)


def ids(body: dict[str, Any]) -> list[str]:
    """The ids of a response's items (JSON) or features (GeoJSON), in order."""
    items = body["items"] if "items" in body else [f["properties"] for f in body["features"]]
    return [item["id"] for item in items]


def bbox_param(west: float, south: float, east: float, north: float) -> str:
    return f"{west},{south},{east},{north}"


async def get_page(client: Any, path: str = "/api/v1/events", **params: Any) -> dict[str, Any]:
    """GET a discovery page, insisting on 200."""
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def walk(client: Any, path: str = "/api/v1/events", **params: Any) -> list[list[str]]:
    """Follow ``next_cursor`` to the end; the ids of each page."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        body = await get_page(client, path, **params, **({"cursor": cursor} if cursor else {}))
        pages.append(ids(body))
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "paging does not end"
