"""Discovery benchmark: five scenarios over real HTTP, each beside the same SQL run directly.

For every scenario a fixed, seeded workload (``REQUESTS`` requests around the most populous
cities of the seed data) is sent to the service (uvicorn, one request in flight, keep-alive),
then the very statements the service runs (``app.events.queries``) are run through psycopg
in this process: the floor. Both are warmed up first, so prepared statements are in place.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
import psycopg
from psycopg.rows import dict_row

from app.db import API_SESSION, session_options
from app.events.criteria import Criteria
from app.events.discovery import page_rows
from app.events.filters import Filters
from app.events.paging import Position
from app.seed.cities import City, load_cities
from bench.server import run_service
from bench.stats import HttpConnection, Summary, markdown_table, ms, time_requests
from geo.bbox import BBox
from geo.circle import Circle

REQUESTS = 500
WARMUP = 40
PAGES = 10
DENSE_CITIES = 20
SCREEN = (1280, 800)  # pixels of the map view whose bbox is asked for
WORDS = (
    "jazz", "concert", "yoga", "market", "comedy", "festival", "workshop", "wine", "cinema", "running",
    "hiking", "quiz", "python", "dance", "brunch", "theatre", "kids", "vinyl",
)  # fmt: skip
TYPOS = ("jaz", "concrt", "comdy", "festivl", "workshp", "theatr")


@dataclass(frozen=True, slots=True)
class Call:
    """One API request and the criteria its SQL is built from."""

    target: str
    criteria: Criteria
    limit: int


@dataclass(frozen=True, slots=True)
class Result:
    scenario: str
    api: Summary
    sql: Summary
    items: float

    @property
    def ratio(self) -> float:
        return self.api.p50 / self.sql.p50

    @property
    def meets_ratio(self) -> bool:
        return self.api.p50 <= 1.5 * self.sql.p50 + 0.001


def web_mercator_view(lat: float, lon: float, zoom: int, size: tuple[int, int] = SCREEN) -> BBox:
    """The bbox a ``size``-pixel map view centred on (lat, lon) at ``zoom`` shows (256-pixel tiles)."""
    world = 256 << zoom
    x = (lon + 180.0) / 360.0 * world
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * world

    def lat_at(py: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / world))))

    def lon_at(px: float) -> float:
        return px / world * 360.0 - 180.0

    half_w, half_h = size[0] / 2, size[1] / 2
    return BBox(lon_at(x - half_w), lat_at(y + half_h), lon_at(x + half_w), lat_at(y - half_h))


class Workload:
    """Seeded request generators, one per scenario."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now.replace(second=0, microsecond=0)
        self.cities = sorted(load_cities(), key=lambda city: -city.population)[:DENSE_CITIES]

    def _centre(self) -> tuple[float, float]:
        city: City = self.rng.choice(self.cities)
        spread = city.radius_km / 111.32 * 0.5
        lat = city.lat + self.rng.gauss(0, spread)
        lon = city.lon + self.rng.gauss(0, spread / math.cos(math.radians(city.lat)))
        return round(lat, 5), round(lon, 5)

    def _next_30_days(self, bbox: BBox) -> Criteria:
        window = Filters(starts_after=self.now, starts_before=self.now + timedelta(days=30))
        return Criteria(area=bbox, sort="start", filters=window)

    def city(self) -> Call:
        bbox = web_mercator_view(*self._centre(), zoom=12)
        return self._call("/api/v1/events", self._next_30_days(bbox), 100)

    def region(self) -> Call:
        bbox = web_mercator_view(*self._centre(), zoom=8)
        return self._call("/api/v1/events", Criteria(area=bbox, sort="popularity"), 100)

    def nearby(self) -> Call:
        lat, lon = self._centre()
        return self._call("/api/v1/events/nearby", Criteria(area=Circle(lat, lon, 5_000), sort="distance"), 50)

    def text(self) -> Call:
        bbox = web_mercator_view(*self._centre(), zoom=12)
        q = self.rng.choice(TYPOS) if self.rng.random() < 0.2 else self.rng.choice(WORDS)
        return self._call("/api/v1/events", Criteria(area=bbox, sort="relevance", filters=Filters(text=q)), 50)

    def walk(self) -> Call:
        """The first page of a walk; later pages follow the cursors."""
        bbox = web_mercator_view(*self._centre(), zoom=12)
        return self._call("/api/v1/events", self._next_30_days(bbox), 50)

    @staticmethod
    def _call(path: str, criteria: Criteria, limit: int) -> Call:
        filters = criteria.filters.query  # the filters' canonical query string
        return Call(f"{path}?{urlencode(_query(criteria, limit))}{'&' if filters else ''}{filters}", criteria, limit)


def _query(criteria: Criteria, limit: int) -> dict[str, Any]:
    query: dict[str, Any] = {"limit": limit}
    if isinstance(criteria.area, BBox):
        b = criteria.area
        query["bbox"] = f"{b.west:.5f},{b.south:.5f},{b.east:.5f},{b.north:.5f}"
        query["sort"] = criteria.sort
    else:
        query.update(lat=criteria.area.lat, lon=criteria.area.lon, radius_m=criteria.area.radius_m)
    return query


def _reparse(call: Call) -> Criteria:
    """The criteria as the service sees them (the bbox rounded as sent), so both run identical SQL."""
    if isinstance(call.criteria.area, BBox):
        b = call.criteria.area
        bbox = BBox(*(float(f"{v:.5f}") for v in (b.west, b.south, b.east, b.north)))
        return dataclasses.replace(call.criteria, area=bbox)
    return call.criteria


class _Floor:
    """The same statements the service runs for a page (``app.events.discovery.page_rows``), on a
    psycopg connection set up like the service's read connections: the floor."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn

    @classmethod
    async def connect(cls, url: str) -> _Floor:
        options = session_options(60_000, "bench-floor", API_SESSION)
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row, options=options)
        return cls(conn)

    async def page(self, criteria: Criteria, position: Position, limit: int) -> tuple[float, Position | None]:
        """Seconds the page took, and where the next page starts (None after the last)."""
        started = time.perf_counter()
        rows = await page_rows(self.conn, criteria, position, limit)
        elapsed = time.perf_counter() - started
        if len(rows) <= limit:
            return elapsed, None
        last = rows[limit - 1]
        return elapsed, Position(as_of=position.as_of, after=(last["sort_key"], last["id"]))


class _Items:
    """Checks each answer and counts its items."""

    def __init__(self) -> None:
        self.pages = 0
        self.items = 0

    def __call__(self, status: int, body: bytes) -> str | None:
        """The answer's next_cursor."""
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:500]!r}")
        page = orjson.loads(body)
        self.pages += 1
        self.items += len(page["items"])
        cursor: str | None = page["next_cursor"]
        return cursor

    @property
    def mean(self) -> float:
        return self.items / self.pages if self.pages else math.nan


async def _measure(
    api: HttpConnection, floor: _Floor, calls: Sequence[Call], pages: int, counter: _Items
) -> tuple[list[float], list[float]]:
    """API and floor latencies, interleaved request by request (alternating which goes first) so
    that both see the same machine; ``pages`` > 1 follows the cursors (the floor its own keys)."""
    api_latencies: list[float] = []
    sql_latencies: list[float] = []
    as_of = datetime.now(UTC)
    for n, call in enumerate(calls):
        target: str | None = call.target
        position: Position | None = Position(as_of=as_of)
        criteria = _reparse(call)
        for page in range(pages):
            if target is None or position is None:
                break
            this_page, api_first = target, (n + page) % 2 == 0
            if api_first:
                target = await _api_page(api, this_page, call, api_latencies, counter)
            elapsed, position = await floor.page(criteria, position, call.limit)
            sql_latencies.append(elapsed)
            if not api_first:
                target = await _api_page(api, this_page, call, api_latencies, counter)
    return api_latencies, sql_latencies


async def _api_page(
    api: HttpConnection, target: str, call: Call, latencies: list[float], counter: _Items
) -> str | None:
    """GET one page, record its latency; the target of the next page (None after the last)."""
    started = time.perf_counter()
    status, body = await api.get(target)
    latencies.append(time.perf_counter() - started)
    cursor = counter(status, body)
    return None if cursor is None else f"{call.target}&{urlencode({'cursor': cursor})}"


async def _scenario(name: str, base_url: str, floor: _Floor, calls: Sequence[Call], pages: int) -> Result:
    api = HttpConnection(base_url)
    try:
        warmup = max(1, WARMUP // pages)
        await _measure(api, floor, calls[:warmup], pages, _Items())
        counter = _Items()
        api_latencies, sql_latencies = await _measure(api, floor, calls[warmup:], pages, counter)
    finally:
        await api.close()
    return Result(name, Summary.of(api_latencies), Summary.of(sql_latencies), counter.mean)


async def run_discovery(database_url: str, *, seed: int = 42) -> tuple[list[Result], float]:
    """Every scenario against a service on ``database_url``; also city-viewport throughput (req/s, 8 clients)."""
    workload = Workload(seed, datetime.now(UTC))
    walks = REQUESTS // PAGES
    plan = [
        ("city viewport (z12, next 30 days, 100)", [workload.city() for _ in range(WARMUP + REQUESTS)], 1),
        ("region viewport (z8, popularity, 100)", [workload.region() for _ in range(WARMUP + REQUESTS)], 1),
        ("nearby 5 km (50 nearest)", [workload.nearby() for _ in range(WARMUP + REQUESTS)], 1),
        ("text search in a city viewport (50)", [workload.text() for _ in range(WARMUP + REQUESTS)], 1),
        ("paging, 10 pages of 50 (per page)", [workload.walk() for _ in range(WARMUP // PAGES + walks)], PAGES),
    ]
    results = []
    with run_service(database_url) as base_url:
        floor = await _Floor.connect(database_url)
        try:
            for name, calls, pages in plan:
                results.append(await _scenario(name, base_url, floor, calls, pages))
        finally:
            await floor.conn.close()
        city_targets = [call.target for call in plan[0][1]] * 4
        throughput = (await time_requests(base_url, city_targets, concurrency=8)).throughput
    return results, throughput


def results_table(results: Sequence[Result]) -> str:
    rows = [
        [
            r.scenario, r.api.n, f"{r.items:.0f}", ms(r.api.p50), ms(r.api.p95), ms(r.sql.p50), ms(r.sql.p95),
            f"{r.ratio:.2f}x", "yes" if r.meets_ratio else "NO",
        ]
        for r in results
    ]  # fmt: skip
    headers = ["scenario", "requests", "items", "API p50 ms", "API p95 ms", "SQL p50 ms", "SQL p95 ms",
               "API/SQL p50", "<= 1.5x+1ms"]  # fmt: skip
    return markdown_table(headers, rows)


def scaling_table(by_size: dict[int, list[Result]]) -> str:
    """API p50/p95 per scenario at each size, and the p50 slowdown from each size to the next."""
    sizes = sorted(by_size)
    steps = list(itertools.pairwise(sizes))
    headers = [
        "scenario",
        *(f"p50 / p95 ms at {size:,}" for size in sizes),
        *(f"{big:,} vs {small:,}" for small, big in steps),
    ]
    rows = []
    for index, result in enumerate(by_size[sizes[0]]):
        row: list[object] = [result.scenario]
        row += [f"{ms(by_size[s][index].api.p50)} / {ms(by_size[s][index].api.p95)}" for s in sizes]
        row += [f"{by_size[big][index].api.p50 / by_size[small][index].api.p50:.2f}x" for small, big in steps]
        rows.append(row)
    return markdown_table(headers, rows)


def run(sizes: Sequence[int], seed: int = 42) -> str:
    """The discovery section of ``python -m bench``: one table per size, then the scaling table."""
    from bench.dataset import ensure_database

    by_size: dict[int, list[Result]] = {}
    sections = []
    for size in sizes:
        url = ensure_database(size, seed)
        results, throughput = asyncio.run(run_discovery(url, seed=seed))
        by_size[size] = results
        sections.append(
            f"### Discovery, {size:,} events\n\n{results_table(results)}\n\n"
            f"City viewport throughput, 8 concurrent clients: {throughput:.0f} requests/s\n"
        )
        print(sections[-1], flush=True)
    if len(sizes) > 1:
        sections.append(f"### Discovery, API latency by table size\n\n{scaling_table(by_size)}\n")
        print(sections[-1], flush=True)
    return "\n".join(sections)
