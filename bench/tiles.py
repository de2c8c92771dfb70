"""Tiles benchmark: our endpoint beside its own SQL, tipg and a bare HTTP ceiling, on 1M events.

``python -m bench --only tiles`` (``make bench`` runs it too), or ``python -m bench.tiles [--events N]
[--quick]``. Six contenders on the same machine:

- (a) **raw SQL**: the very statement the endpoint runs (``tiles.sql.tile_query``), through psycopg
  on a connection with the session settings of the service's pool for that statement
  (``tiles.service.run_tile_query``, ``TilePools``): the floor;
- (b) **our endpoint, cache miss**: every request misses (the cache epoch is bumped first);
- (c) **our endpoint, cache hit**;
- (d) **tipg** 1.6.1 (installed into its own virtualenv under ``.data/bench-venvs/tipg`` on first
  run) serving ``public.events`` with the same feature cap (``TIPG_MAX_FEATURES_PER_TILE``) and the
  same properties;
- (e) **a bare Starlette endpoint** returning fixed bytes: the HTTP ceiling of this machine;
- (f) **the least cached miss** (``least_app``): a bare Starlette endpoint that does only what any
  tile server with a shared Redis cache must do on a miss (our lookup script, the tile's statement
  on one psycopg connection, gzip, our store script after the response). A miss through HTTP and a
  shared cache pays a fixed cost of round trips that (f) pays too, so our misses are judged
  against (f): each tile's miss p50 within (f)'s p50 for that tile + 0.3 ms (``MissCheck``).

Every server is one uvicorn worker (uvloop, httptools). Latency: one request in flight over a
keep-alive connection, ``REPEATS`` rounds over a fixed tile list (zooms 4, 8, 11, 14 at dense and
sparse places). Throughput: 16 keep-alive connections. Raw SQL, misses and (f) run in alternating rounds,
hit and bare throughput in alternating passes, so that each pair sees the same load on the machine.
Then a recorded map-panning session (seeded viewports, 512-pixel tiles, each tile fetched once per
session as a map client would) replayed by 16 connections, against our endpoint (cold and warm
cache) and tipg.
Results: markdown on stdout and in ``.data/bench/tiles-{events}.md``, ending with the run's row for the
history table in ``docs/perf-tiles.md`` (keyed by commit).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.seed.cities import load_cities
from bench.dataset import ensure_database
from bench.server import free_port, run_service
from bench.stats import HttpConnection, Summary, markdown_table, ms, percentile, time_requests
from config.settings import DatabaseSettings, Settings, TileSettings
from geo.mercator import MAX_LAT
from tiles.cache import LOCK_TTL_MS, LOOKUP, STORE, TileKeys, decode_entry, encode_entry
from tiles.filters import parse_filters
from tiles.grid import Tile, tile_of
from tiles.rendered import compress
from tiles.service import make_tile_pool, run_tile_query
from tiles.sql import tile_query

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / ".data" / "bench"  # the full report of the last run per size; not committed
EVENTS = 1_000_000
ZOOMS = (4, 8, 11, 14)
# The widest tiles over the dense places (raw SQL and misses only), so that "z0-z8 p99" covers
# every zoom up to 8 that a map shows.
WIDE_ZOOMS = (0, 1, 2, 3)
PLACES_PER_KIND = 5
REPEATS = 10
CONCURRENCY = 16
CEILING_REQUESTS = 12_000  # per pass; hits and bare alternate CEILING_PASSES times, medians kept
CEILING_PASSES = 3
SESSIONS = 8
STEPS = 40
VIEWPORT = (1280, 800)
TILE_PIXELS = 512
TIPG_VERSION = "1.6.1"
TIPG_VENV = ROOT / ".data" / "bench-venvs" / "tipg"
PROPERTIES = "id,title,category,starts_at,timezone,is_free,price_min,currency,popularity,status"
ACCEPT = (("Accept-Encoding", "gzip"),)
MVT = "application/vnd.mapbox-vector-tile"
GZIPPED = {"Content-Encoding": "gzip"}
PREFIX = "bench-tiles:"
# The miss target: a miss's p50 within the least cached miss's (f) p50 + MISS_OVER_LEAST_S.
MISS_OVER_LEAST_S = 0.0003


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    lat: float
    lon: float
    kind: str  # dense | sparse


@dataclass
class Run:
    """Latencies per tile (seconds) of one contender, plus bytes seen."""

    latencies: dict[Tile, list[float]] = field(default_factory=dict)
    sizes: dict[Tile, int] = field(default_factory=dict)

    def add(self, tile: Tile, seconds: float, size: int) -> None:
        self.latencies.setdefault(tile, []).append(seconds)
        self.sizes[tile] = size

    def at_zoom(self, z: int) -> Summary:
        return Summary.of([s for tile, values in self.latencies.items() if tile.z == z for s in values])

    def merge(self, other: Run) -> None:
        for tile, values in other.latencies.items():
            self.latencies.setdefault(tile, []).extend(values)
        self.sizes.update(other.sizes)

    def low_zoom_p99(self) -> float:
        return Summary.of([s for tile, values in self.latencies.items() if tile.z <= 8 for s in values]).p99

    def p50(self, tile: Tile) -> float:
        return percentile(self.latencies[tile], 50)


@dataclass(frozen=True, slots=True)
class MissCheck:
    """The miss target at one zoom, judged tile by tile: each tile's miss p50 against (f)'s for it.

    Not the zoom's pooled p50s: the list has as many dense tiles as sparse ones, whose latencies
    form two clusters, so a pooled p50 is the mean of the slowest sample of one cluster and the
    fastest of the other, two tails that need not agree between two contenders.
    """

    overs: dict[Tile, float]  # miss p50 - (f) p50, per tile (seconds)

    @classmethod
    def at_zoom(cls, least: Run, miss: Run, z: int) -> MissCheck:
        tiles = [tile for tile in least.latencies if tile.z == z and tile in miss.latencies]
        return cls({tile: miss.p50(tile) - least.p50(tile) for tile in tiles})

    @property
    def median_over(self) -> float:
        return percentile(list(self.overs.values()), 50)

    @property
    def within(self) -> int:
        return sum(over <= MISS_OVER_LEAST_S for over in self.overs.values())

    @property
    def met(self) -> bool:
        """The zoom's median tile is within (f) + ``MISS_OVER_LEAST_S`` (a p50 over tiles)."""
        return self.median_over <= MISS_OVER_LEAST_S


# --- workload -----------------------------------------------------------------------------------


def places(seed: int = 7) -> list[Place]:
    """The most populous cities (dense) and a seeded pick of small towns (sparse)."""
    cities = sorted(load_cities(), key=lambda c: -c.population)
    dense = [Place(c.name, c.lat, c.lon, "dense") for c in cities[:PLACES_PER_KIND]]
    small = [c for c in cities if 20_000 <= c.population <= 40_000]
    sparse = [Place(c.name, c.lat, c.lon, "sparse") for c in random.Random(seed).sample(small, PLACES_PER_KIND)]
    return dense + sparse


def tile_list(where: Sequence[Place], zooms: Sequence[int] = ZOOMS) -> list[Tile]:
    return list(dict.fromkeys(tile_of(p.lat, p.lon, z) for z in zooms for p in where))


def panning_sessions(seed: int = 11) -> list[list[Tile]]:
    """Seeded sessions: zoom into a big city, pan around, zoom out and in again; tiles in request order."""
    rng = random.Random(seed)
    cities = sorted(load_cities(), key=lambda c: -c.population)[:40]
    sessions = []
    for _ in range(SESSIONS):
        city = rng.choice(cities)
        lat, lon, zoom = city.lat, city.lon, rng.randint(3, 5)
        seen: dict[Tile, None] = {}
        for step in range(STEPS):
            if rng.random() < 0.35:
                zoom = min(16, max(2, zoom + (1 if step < STEPS // 2 and rng.random() < 0.8 else rng.choice((-1, 1)))))
            else:
                lat, lon = _pan(lat, lon, zoom, rng.uniform(-0.6, 0.6), rng.uniform(-0.6, 0.6))
            for tile in viewport_tiles(lat, lon, zoom):
                seen.setdefault(tile, None)
        sessions.append(list(seen))
    return sessions


def viewport_tiles(lat: float, lon: float, zoom: int) -> list[Tile]:
    """The 512-pixel tiles a ``VIEWPORT`` map centred on (lat, lon) at integer ``zoom`` shows."""
    world = TILE_PIXELS * 2**zoom
    cx, cy = _to_pixels(lat, lon, world)
    half_w, half_h = VIEWPORT[0] / 2, VIEWPORT[1] / 2
    last = 2**zoom - 1
    xs = range(int((cx - half_w) // TILE_PIXELS), int((cx + half_w) // TILE_PIXELS) + 1)
    ys = range(max(int((cy - half_h) // TILE_PIXELS), 0), min(int((cy + half_h) // TILE_PIXELS), last) + 1)
    return [Tile(zoom, x % 2**zoom, y) for y in ys for x in xs]


def _to_pixels(lat: float, lon: float, world: float) -> tuple[float, float]:
    phi = math.radians(max(min(lat, MAX_LAT), -MAX_LAT))
    return (lon + 180) / 360 * world, (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * world


def _pan(lat: float, lon: float, zoom: int, fx: float, fy: float) -> tuple[float, float]:
    world = TILE_PIXELS * 2**zoom
    x, y = _to_pixels(lat, lon, world)
    x, y = (x + fx * VIEWPORT[0]) % world, min(max(y + fy * VIEWPORT[1], 1), world - 1)
    lat2 = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / world))))
    return lat2, x / world * 360 - 180


# --- contenders ---------------------------------------------------------------------------------


def ours(tile: Tile) -> str:
    return f"/tiles/events/{tile}.mvt"


def tipg(tile: Tile) -> str:
    return f"/collections/public.events/tiles/WebMercatorQuad/{tile}?properties={PROPERTIES}"


def bare_app() -> Starlette:
    """(e): fixed gzip bytes of a typical tile's size, with the headers our hits carry."""
    body = gzip.compress(os.urandom(int(os.environ.get("BENCH_BARE_BYTES", "2000"))), mtime=0)

    async def tile(request: Request) -> Response:
        headers = {"Cache-Control": "public, max-age=60", "ETag": '"0123456789abcdef"', "Content-Encoding": "gzip"}
        return Response(body, media_type="application/vnd.mapbox-vector-tile", headers=headers)

    return Starlette(routes=[Route("/tile", tile)])


def least_app() -> Starlette:
    """(f): a miss with nothing of ours but the SQL and the two Redis scripts (``DATABASE_URL``, ``REDIS_URL``)."""
    url, redis_url = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    keys, settings, filters = TileKeys(PREFIX), TileSettings(), parse_filters("")
    state: dict[str, Any] = {}
    writes: set[asyncio.Task[Any]] = set()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        redis = AsyncRedis.from_url(redis_url)
        state.update(lookup=redis.register_script(LOOKUP), store=redis.register_script(STORE), conns={})
        for generic in (False, True):  # the session settings of our pools
            options = _options(make_tile_pool(DatabaseSettings(url=url), generic=generic))
            state["conns"][generic] = await psycopg.AsyncConnection.connect(
                url, autocommit=True, row_factory=dict_row, options=options
            )
        yield
        for conn in state["conns"].values():
            await conn.close()
        await redis.aclose()

    async def tile(request: Request) -> Response:
        tile = Tile(*(int(request.path_params[name]) for name in ("z", "x", "y")))
        digest = filters.digest
        tile_keys = [keys.epoch, keys.generation(tile), keys.body(tile, digest), keys.lock(tile, digest)]
        stamp, body, _ = await state["lookup"](keys=tile_keys, args=[LOCK_TTL_MS])
        rendered = decode_entry(body, stamp)
        if rendered is None:
            query = tile_query(tile, filters, settings)
            row = await run_tile_query(state["conns"][query.generic], query)
            rendered = await compress(bytes(row["mvt"] or b""), row["features"], row["truncated"])
            entry = encode_entry(rendered, stamp)
            write = asyncio.create_task(state["store"](keys=tile_keys, args=[stamp, entry, 60]))
            writes.add(write)
            write.add_done_callback(writes.discard)
        if rendered.empty:
            return Response(status_code=204)
        return Response(rendered.gzipped, media_type=MVT, headers={**GZIPPED, "ETag": rendered.etag})

    async def ready(request: Request) -> Response:
        return Response(b"ok")

    return Starlette(routes=[Route("/tiles/events/{z}/{x}/{y}.mvt", tile), Route("/ready", ready)], lifespan=lifespan)


def ensure_tipg() -> Path:
    """tipg in a virtualenv of its own (its pins must not touch ours); made once."""
    python = TIPG_VENV / "bin" / "python"
    marker = TIPG_VENV / f".tipg-{TIPG_VERSION}"
    if not marker.exists():
        _log(f"installing tipg {TIPG_VERSION} into {TIPG_VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn"], check=True)
        marker.touch()
    return python


@contextmanager
def serve(command: list[str], env: dict[str, str], ready_path: str) -> Iterator[str]:
    """A uvicorn server in its own process group; yields its base URL once ``ready_path`` answers 200."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(process, base + ready_path)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


def _wait(process: subprocess.Popen[bytes], url: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"server exited with {process.returncode}: {error[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after 120 s")


# --- measuring ----------------------------------------------------------------------------------


class SqlTimer:
    """(a): the endpoint's statement for a tile, through psycopg on a connection set up as the
    service's pool for that statement is (``tiles.service.TilePools``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.settings = TileSettings()
        self.filters = parse_filters("")
        self.options = {generic: _options(make_tile_pool(DatabaseSettings(url=url), generic=generic))
                        for generic in (False, True)}  # fmt: skip
        self.conns: dict[bool, psycopg.AsyncConnection[Any]] = {}

    async def __aenter__(self) -> SqlTimer:
        for generic, options in self.options.items():
            self.conns[generic] = await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, row_factory=dict_row, options=options
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        for conn in self.conns.values():
            await conn.close()

    async def time(self, tiles: Sequence[Tile], run: Run) -> None:
        for tile in tiles:
            query = tile_query(tile, self.filters, self.settings)
            conn = self.conns[query.generic]
            started = time.perf_counter()
            row = await run_tile_query(conn, query)  # as the service runs it
            elapsed = time.perf_counter() - started
            run.add(tile, elapsed, len(row["mvt"] or b""))


def _options(pool: AsyncConnectionPool[Any]) -> str:
    assert isinstance(pool.kwargs, dict)
    return str(pool.kwargs["options"])


async def time_http(
    connection: HttpConnection,
    targets: dict[Tile, str],
    run: Run,
    before: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """One request in flight over one keep-alive connection; ``before`` runs (untimed) before each."""
    for tile, target in targets.items():
        if before is not None:
            await before()
        started = time.perf_counter()
        status, body = await connection.get(target, ACCEPT)
        elapsed = time.perf_counter() - started
        if status not in (200, 204):
            raise RuntimeError(f"{target}: HTTP {status} {body[:300]!r}")
        run.add(tile, elapsed, len(body))


async def latencies(base: str, targets: dict[Tile, str], repeats: int) -> Run:
    run, warmup = Run(), Run()
    connection = HttpConnection(base)
    try:
        await time_http(connection, targets, warmup)
        for _ in range(repeats):
            await time_http(connection, targets, run)
    finally:
        await connection.close()
    return run


async def raw_and_misses(
    url: str, bases: tuple[str, str], tiles: Sequence[Tile], repeats: int, flush: Flusher
) -> tuple[Run, Run, Run]:
    """(a), (b) and (f) in alternating passes, so that all three see the same load on the machine."""
    raw, miss, least, warmup = Run(), Run(), Run(), Run()
    targets = {t: ours(t) for t in tiles}
    connections = [HttpConnection(base) for base in bases]
    try:
        async with SqlTimer(url) as sql:
            await sql.time(tiles, warmup)
            for connection in connections:
                await time_http(connection, targets, warmup, before=flush)
            contenders = list(zip(connections, (miss, least), strict=True))
            for repeat in range(repeats):
                await sql.time(tiles, raw)
                # (b) and (f) take turns going first: the first pass after the raw one starts colder.
                for connection, run in contenders if repeat % 2 == 0 else contenders[::-1]:
                    await time_http(connection, targets, run, before=flush)
    finally:
        for connection in connections:
            await connection.close()
    return raw, miss, least


async def throughput(base: str, targets: Sequence[str], rounds: int = 1,
                     before_round: Callable[[], Awaitable[None]] | None = None) -> float:
    """Requests per second with ``CONCURRENCY`` connections over ``rounds`` passes of ``targets``."""
    done, wall = 0, 0.0
    for _ in range(rounds):
        if before_round is not None:
            await before_round()
        timing = await time_requests(base, targets, concurrency=CONCURRENCY, headers=ACCEPT, check=_ok)
        done += len(timing.latencies)
        wall += timing.wall_s
    return done / wall


def _ok(status: int, body: bytes) -> None:
    if status not in (200, 204):
        raise RuntimeError(f"HTTP {status}: {body[:300]!r}")


class Flusher:
    """Makes the next requests miss, as ``tiles.cache.drop_every_tile`` does: bump the epoch, publish ``*``."""

    def __init__(self, redis_url: str) -> None:
        self.redis = Redis.from_url(redis_url)
        self.keys = TileKeys(PREFIX)

    async def __call__(self) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.incr(self.keys.epoch)
        pipe.publish(self.keys.channel, b"*")
        pipe.execute()

    def close(self) -> None:
        for key in self.redis.scan_iter(match=f"{PREFIX}*", count=1000):
            self.redis.delete(key)
        self.redis.close()


# --- the benchmark ------------------------------------------------------------------------------


@dataclass
class Results:
    tiles: list[Tile]
    where: list[Place]
    raw: Run
    miss: Run
    least: Run
    hit: Run
    tipg: Run
    bare: Run
    rps: dict[str, float]
    sessions: list[list[Tile]]
    pan_rps: dict[str, float]
    load: tuple[float, float]  # the machine's 1-minute load average at the start and at the end


async def measure(url: str, quick: bool) -> Results:
    repeats = 3 if quick else REPEATS
    load_before = os.getloadavg()[0]
    where = places()
    tiles = tile_list(where)
    sessions = panning_sessions()
    pan = _interleave(sessions)
    redis_url = Settings().redis.url
    flush = Flusher(redis_url)
    rps: dict[str, float] = {}
    pan_rps: dict[str, float] = {}
    try:
        env = {"HAPPENINGS_REDIS__KEY_PREFIX": PREFIX, "HAPPENINGS_LOG_LEVEL": "WARNING", "REDIS_URL": redis_url}
        least_command = [sys.executable, "-m", "uvicorn", "bench.tiles:least_app", "--factory"]
        with run_service(url, env=env) as base, serve(least_command, {"DATABASE_URL": url, **env}, "/ready") as floor:
            targets = {t: ours(t) for t in tiles}
            _log("(a) raw SQL, (b) our endpoint, cache miss, and (f) the least cached miss")
            raw, miss, least = await raw_and_misses(url, (base, floor), tiles, repeats, flush)
            _log("(a), (b) and (f) for the widest tiles")
            wide = tile_list([p for p in where if p.kind == "dense"], WIDE_ZOOMS)
            wide_runs = await raw_and_misses(url, (base, floor), wide, repeats, flush)
            for run, wide_run in zip((raw, miss, least), wide_runs, strict=True):
                run.merge(wide_run)
            rps["miss"] = await throughput(base, list(targets.values()), rounds=repeats, before_round=flush)
            _log("(c) our endpoint, cache hit")
            hit = await latencies(base, targets, repeats)
            _log("panning session, ours")
            await flush()
            pan_rps["ours, cold cache"] = await throughput(base, [ours(t) for t in pan])
            pan_rps["ours, warm cache"] = await throughput(base, [ours(t) for t in pan])
            _log("(c) and (e): hit throughput against the bare ceiling, alternating")
            typical = sorted(hit.sizes.values())[len(hit.sizes) // 2]
            command = [sys.executable, "-m", "uvicorn", "bench.tiles:bare_app", "--factory"]
            with serve(command, {"BENCH_BARE_BYTES": str(typical)}, "/tile") as bare_base:
                bare = await latencies(bare_base, {Tile(0, 0, 0): "/tile"}, 200 if quick else 2000)
                rps["hit"], rps["bare"] = await _alternate(base, list(targets.values()), bare_base, quick)
        _log("(d) tipg")
        with tipg_server(url) as base:
            targets = {t: tipg(t) for t in tiles}
            tipg_run = await latencies(base, targets, max(2, repeats // 2))
            rps["tipg"] = await throughput(base, list(targets.values()), rounds=max(2, repeats // 2))
            pan_rps["tipg"] = await throughput(base, [tipg(t) for t in pan])
    finally:
        flush.close()
    load = (load_before, os.getloadavg()[0])
    return Results(tiles, where, raw, miss, least, hit, tipg_run, bare, rps, sessions, pan_rps, load)


async def _alternate(base: str, targets: list[str], bare_base: str, quick: bool) -> tuple[float, float]:
    """Hit and bare throughput measured in turns (the machine's load drifts), medians of each."""
    requests = 2_000 if quick else CEILING_REQUESTS
    hits = targets * (requests // len(targets) + 1)
    ours_rps, bare_rps = [], []
    for _ in range(CEILING_PASSES):
        ours_rps.append(await throughput(base, hits[:requests]))
        bare_rps.append(await throughput(bare_base, ["/tile"] * requests))
    return sorted(ours_rps)[len(ours_rps) // 2], sorted(bare_rps)[len(bare_rps) // 2]


@contextmanager
def tipg_server(url: str) -> Iterator[str]:
    python = ensure_tipg()
    env = {
        # The same session setting as our tile pool, so neither pays for JIT compilation.
        "DATABASE_URL": f"{url}?jit=off",
        "TIPG_MAX_FEATURES_PER_TILE": str(TileSettings().max_features),
        "TIPG_DB_TABLES": '["public.events"]',
        "TIPG_DB_SPATIAL_EXTENT": "false",
        "TIPG_DB_DATETIME_EXTENT": "false",
        "TIPG_DEBUG": "false",
    }
    with serve([str(python), "-m", "uvicorn", "tipg.main:app"], env, "/healthz") as base:
        yield base


def _interleave(sessions: list[list[Tile]]) -> list[Tile]:
    """Sessions side by side, as several people panning at the same time."""
    merged = []
    for step in range(max(len(s) for s in sessions)):
        merged += [s[step] for s in sessions if step < len(s)]
    return merged


def report(r: Results, url: str) -> str:
    """The markdown tables, with every ratio and the targets."""
    where = ", ".join(f"{p.name} ({p.kind})" for p in r.where)
    return "\n\n".join([
        f"### Tiles benchmark, {url.rsplit('/', 1)[-1]}",
        f"Commit {commit()}, {os.cpu_count()} CPUs, database `{url.rsplit('/', 1)[-1]}`. "
        f"Tile list: zooms {', '.join(map(str, ZOOMS))} at {where} ({len(r.tiles)} tiles); raw SQL and misses "
        f"also at zooms {', '.join(map(str, WIDE_ZOOMS))} over the dense places. Latencies in ms, "
        f"one request in flight; throughput with {CONCURRENCY} keep-alive connections; every server one "
        f"uvicorn worker. Bare ceiling latency p50 {ms(r.bare.at_zoom(0).p50)} ms. Least miss: (f), a bare "
        f"endpoint doing only a miss's round trips (lookup script, statement, gzip, store script). Panning: "
        f"{len(r.sessions)} sessions, {sum(len(s) for s in r.sessions)} tile requests. Load average "
        f"(1 min) {r.load[0]:.1f} at the start, {r.load[1]:.1f} at the end: other work on the machine skews "
        f"every figure.",
        "#### Targets", _targets(r),
        "#### Latency per zoom", _latency(r),
        "#### Misses against the least miss, tile by tile", _misses_by_tile(r),
        "#### Throughput", _throughput(r), _panning(r),
        "#### Tile sizes", _sizes(r),
        "#### Row for docs/perf-tiles.md", history_row(r, url),
    ])  # fmt: skip


def _checks(r: Results) -> dict[int, MissCheck]:
    return {z: MissCheck.at_zoom(r.least, r.miss, z) for z in (*WIDE_ZOOMS, *ZOOMS)}


def _worst(checks: dict[int, MissCheck]) -> int:
    return max(checks, key=lambda z: checks[z].median_over)


def _over(seconds: float) -> str:
    return f"{seconds * 1000:+.2f}"


def _targets(r: Results) -> str:
    bare, pan = r.rps["bare"], r.pan_rps["ours, cold cache"] / r.pan_rps["tipg"]
    checks = _checks(r)
    worst = _worst(checks)
    miss = f"z{worst} the worst: median tile {_over(checks[worst].median_over)} ms"
    worst_hit = max(r.hit.at_zoom(z).p50 for z in ZOOMS)
    low = f"miss {ms(r.miss.low_zoom_p99())} ms, hit {ms(r.hit.low_zoom_p99())} ms"
    rows = [
        ["miss p50 <= (f) p50 + 0.3 ms, every zoom (tile by tile)", miss, _yes(all(c.met for c in checks.values()))],
        ["hit p50 <= 2 ms, every zoom", f"{ms(worst_hit)} ms at the worst zoom", _yes(worst_hit <= 0.002)],
        ["hit throughput >= 70% of bare", f"{r.rps['hit'] / bare:.0%}", _yes(r.rps["hit"] >= 0.7 * bare)],
        ["panning throughput >= 5 x tipg, cold cache", f"{pan:.1f}x", _yes(pan >= 5)],
        ["z0-z8 p99 <= 50 ms", low, _yes(max(r.miss.low_zoom_p99(), r.hit.low_zoom_p99()) <= 0.05)],
    ]
    return markdown_table(["target", "measured", "met"], rows)


def _latency(r: Results) -> str:
    rows = []
    checks = _checks(r)
    for z in (*WIDE_ZOOMS, *ZOOMS):
        raw, miss, least, check = r.raw.at_zoom(z), r.miss.at_zoom(z), r.least.at_zoom(z), checks[z]
        common = [
            z, ms(raw.p50), ms(raw.p95), ms(miss.p50), ms(miss.p95), ms(miss.p99), ms(least.p50),
            f"{miss.p50 / raw.p50:.2f}x", _over(check.median_over), f"{check.within}/{len(check.overs)}",
        ]  # fmt: skip
        if z in WIDE_ZOOMS:
            rows.append([*common, "", "", "", "", "", ""])
            continue
        hit, peer = r.hit.at_zoom(z), r.tipg.at_zoom(z)
        rows.append([
            *common, ms(hit.p50), ms(hit.p95), ms(peer.p50), ms(peer.p95), f"{peer.p50 / miss.p50:.1f}x",
            f"{peer.p50 / hit.p50:.0f}x",
        ])  # fmt: skip
    headers = [
        "z", "raw p50", "raw p95", "miss p50", "miss p95", "miss p99", "least miss p50", "miss/raw",
        "miss - least, median tile", "tiles within least + 0.3", "hit p50", "hit p95", "tipg p50", "tipg p95",
        "tipg/miss", "tipg/hit",
    ]  # fmt: skip
    return markdown_table(headers, rows)


def _misses_by_tile(r: Results) -> str:
    """Each tile's raw, miss and least-miss p50: the data the miss target is judged on."""
    places: dict[Tile, list[str]] = {}
    for place in r.where:
        for z in ZOOMS if place.kind == "sparse" else (*WIDE_ZOOMS, *ZOOMS):  # as ``measure`` lists them
            places.setdefault(tile_of(place.lat, place.lon, z), []).append(f"{place.name} ({place.kind})")
    rows = []
    for tile in sorted(r.miss.latencies, key=lambda t: (t.z, t.x, t.y)):
        raw, miss, least = r.raw.p50(tile), r.miss.p50(tile), r.least.p50(tile)
        rows.append([
            tile.z, str(tile), ", ".join(places.get(tile, [])), ms(raw), ms(miss), ms(least),
            _over(miss - least), f"{r.raw.sizes[tile]:,}",
        ])  # fmt: skip
    headers = ["z", "tile", "place", "raw p50", "miss p50", "least miss p50", "miss - least", "MVT bytes"]
    return markdown_table(headers, rows)


HISTORY_HEADERS = [
    "commit", "runs", "miss - (f), worst zoom", "zooms within", "raw p50 z0 / z8 / z14", "miss p50 z0 / z8 / z14",
    "hit p50, worst zoom", "hit throughput, of bare", "panning cold, x tipg", "z0-z8 p99 (miss)", "notes",
]  # fmt: skip


def history_row(r: Results, url: str) -> str:
    """One line of the run history in ``docs/perf-tiles.md`` (its table is keyed by commit)."""
    checks = _checks(r)
    worst = _worst(checks)
    zooms = (0, 8, 14)
    cells = [
        commit(), "1", f"{_over(checks[worst].median_over)} (z{worst})",
        f"{sum(c.met for c in checks.values())}/{len(checks)}",
        " / ".join(ms(r.raw.at_zoom(z).p50) for z in zooms), " / ".join(ms(r.miss.at_zoom(z).p50) for z in zooms),
        ms(max(r.hit.at_zoom(z).p50 for z in ZOOMS)), f"{r.rps['hit'] / r.rps['bare']:.0%}",
        f"{r.pan_rps['ours, cold cache'] / r.pan_rps['tipg']:.1f}", ms(r.miss.low_zoom_p99()),
        f"{_events(url)} events; load average {r.load[0]:.1f} to {r.load[1]:.1f}",
    ]  # fmt: skip
    return markdown_table(HISTORY_HEADERS, [cells])


def _events(url: str) -> str:
    size = url.rsplit("_", 1)[-1]
    return f"{int(size):,}" if size.isdigit() else size


def commit() -> str:
    """The checked-out commit (short hash, ``+`` when the work tree has changes): the key of a run."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+" if dirty else head


def _throughput(r: Results) -> str:
    bare, peer = r.rps["bare"], r.rps["tipg"]
    names = {"miss": "(b) ours, cache miss", "hit": "(c) ours, cache hit", "tipg": "(d) tipg",
             "bare": "(e) bare Starlette, fixed bytes"}  # fmt: skip
    rows = [[label, f"{r.rps[key]:.0f}", f"{r.rps[key] / bare:.0%}", f"{r.rps[key] / peer:.1f}x"]
            for key, label in names.items()]  # fmt: skip
    return markdown_table(["fixed tile list, 16 connections", "tiles/s", "of bare", "vs tipg"], rows)


def _panning(r: Results) -> str:
    rows = [[name, f"{value:.0f}", f"{value / r.pan_rps['tipg']:.1f}x"] for name, value in r.pan_rps.items()]
    return markdown_table(["panning session, 16 connections", "tiles/s", "vs tipg"], rows)


def _sizes(r: Results) -> str:
    rows = [
        [z, _mean_size(r.hit, z), _max_size(r.hit, z), _mean_size(r.tipg, z), _max_size(r.tipg, z),
         _max_size(r.raw, z)]
        for z in ZOOMS
    ]  # fmt: skip
    headers = ["z", "ours mean (gzip B)", "ours max", "tipg mean (gzip B)", "tipg max", "ours raw MVT max"]
    return markdown_table(headers, rows)


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def _mean_size(run: Run, z: int) -> str:
    values = [size for tile, size in run.sizes.items() if tile.z == z]
    return f"{sum(values) / len(values):,.0f}" if values else "—"


def _max_size(run: Run, z: int) -> str:
    values = [size for tile, size in run.sizes.items() if tile.z == z]
    return f"{max(values):,}" if values else "—"


def _log(message: str) -> None:
    print(f"[bench tiles] {message}", file=sys.stderr, flush=True)


def run(sizes: Sequence[int] = (EVENTS,), seed: int = 42, *, quick: bool = False) -> str:
    """Entry point of ``python -m bench``: for each size, build or reuse the database, measure, report."""
    sections = []
    for events in sizes:
        url = ensure_database(events, seed)
        section = report(asyncio.run(measure(url, quick)), url)
        print(section, flush=True)
        sections.append(section)
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / f"tiles-{events}.md").write_text(section + "\n", encoding="utf-8")
    return "\n\n".join(sections)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tiles", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--events", type=int, default=EVENTS, help="events in the benchmark database")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    run([args.events], args.seed, quick=args.quick)


if __name__ == "__main__":
    main()
