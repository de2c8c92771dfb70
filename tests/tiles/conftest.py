"""Helpers for the tile tests: events written straight to the database, tiles fetched and decoded."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import mapbox_vector_tile
import psycopg
import pytest
from fastapi import FastAPI
from psycopg.rows import dict_row

from app.events import derived
from geo.cells import cell_of
from tiles.grid import EXTENT, Tile

NOW = datetime.now(UTC)

COLUMNS = (
    "cell", "id", "organizer_id", "category", "title", "tags", "starts_at", "ends_at", "timezone", "status",
    "is_free", "price_min", "price_max", "currency", "popularity", "geom",
)


@dataclass
class Event:
    lat: float
    lon: float
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    category: str = "music"
    title: str = "Concert in the park"
    tags: list[str] = field(default_factory=list)
    starts_at: datetime = NOW + timedelta(days=1)
    ends_at: datetime | None = None
    timezone: str = "Europe/Paris"
    status: str = "published"
    is_free: bool = False
    price_min: int | None = 1500
    price_max: int | None = 3000
    currency: str | None = "EUR"
    popularity: int = 0

    def row(self, organizer: uuid.UUID) -> tuple[Any, ...]:
        ends_at = self.ends_at or self.starts_at + timedelta(hours=3)
        price_min, currency = (None, None) if self.is_free else (self.price_min, self.currency)
        return (
            cell_of(self.lat, self.lon), self.id, organizer, self.category, self.title, self.tags, self.starts_at,
            ends_at, self.timezone, self.status, self.is_free, price_min, None if self.is_free else self.price_max,
            currency, self.popularity, f"SRID=4326;POINT({self.lon!r} {self.lat!r})",
        )


class EventStore:
    """Writes events with plain SQL (fast, any field), their derived data through ``app.events.derived``."""

    def __init__(self, conn: psycopg.AsyncConnection[dict[str, Any]], organizer: uuid.UUID) -> None:
        self.conn = conn
        self.organizer = organizer

    async def add(self, events: Iterable[Event]) -> list[Event]:
        events = list(events)
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        async with self.conn.cursor() as cur:
            await cur.executemany(
                f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                [e.row(self.organizer) for e in events],
            )
        await derived.record(self.conn, [(cell_of(e.lat, e.lon), e.id) for e in events])
        return events

    async def change(self, statement: str, ids: list[uuid.UUID]) -> None:
        """Run ``statement`` (one parameter: the ids) on these events, their derived data following."""
        await derived.write_rows(self.conn, await derived.keys_of(self.conn, ids), statement, (ids,))


@pytest.fixture
async def store(clean_db: str) -> AsyncIterator[EventStore]:
    async with await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row, autocommit=True) as conn:
        cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Tiles test') RETURNING id")
        row = await cur.fetchone()
        assert row is not None
        yield EventStore(conn, row["id"])


def scatter(rng: random.Random, n: int, lat: float, lon: float, spread: float, **fields: Any) -> list[Event]:
    return [
        Event(lat + rng.uniform(-spread, spread), lon + rng.uniform(-spread, spread), **fields) for _ in range(n)
    ]


def decode(body: bytes) -> list[dict[str, Any]]:
    """The features of the ``events`` layer, coordinates as encoded (y down)."""
    layers = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    assert set(layers) <= {"events"}
    if not layers:
        return []
    layer = layers["events"]
    assert layer["extent"] == EXTENT
    features: list[dict[str, Any]] = layer["features"]
    return features


def inside(feature: dict[str, Any]) -> bool:
    """Whether a point feature lies in the tile proper (not in its buffer)."""
    x, y = feature["geometry"]["coordinates"]
    return 0 <= x < EXTENT and 0 <= y < EXTENT


async def get_tile(client: httpx.AsyncClient, tile: Tile, query: str = "", **headers: str) -> httpx.Response:
    return await client.get(f"/tiles/events/{tile}.mvt" + (f"?{query}" if query else ""), headers=headers)


async def features_of(client: httpx.AsyncClient, tile: Tile, query: str = "") -> list[dict[str, Any]]:
    response = await get_tile(client, tile, query)
    assert response.status_code in (200, 204), response.text
    return decode(response.content) if response.status_code == 200 else []


class RenderCounter:
    """Counts the database renders of the app's tile service (the cache's misses)."""

    def __init__(self, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[Tile] = []
        service = app.state.tiles
        original = service.render

        async def counting(tile: Tile, filters: Any) -> Any:
            self.calls.append(tile)
            return await original(tile, filters)

        monkeypatch.setattr(service, "render", counting)

    def count(self, tile: Tile | None = None) -> int:
        return len(self.calls) if tile is None else self.calls.count(tile)


@pytest.fixture
def renders(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> RenderCounter:
    return RenderCounter(app, monkeypatch)
