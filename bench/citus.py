"""Citus benchmark: the same requests on a single node and on a local Citus cluster, side by side.

``python -m bench --only citus --sizes 100000`` (the smallest of ``--sizes`` is used: the cluster is
built anew each run). Steps:

- the single node is the shared server's cached ``happenings_bench_{N}`` (``bench.dataset``);
- a private cluster (``scripts/citus/cluster.py``: a coordinator and two workers on loopback, data
  folders of their own) is started, its database migrated, seeded with the same rows (same seed,
  count and reference date as the single node's), distributed by ``app.distribution`` with
  ``SHARDS`` shards, vacuumed and analysed; set up without fsync, then restarted as durable as the
  shared server (fsync, full pages and synchronous commit on) before anything is measured;
- **latency**: one service (uvicorn, one worker) on each, one request in flight; per scenario the
  same seeded requests go to both, alternating which goes first, p50/p95 over HTTP. Tiles are
  distinct per request and each service has a Redis prefix of its own: every tile is a cache miss;
- **shards touched**: the same scenarios once more against a Citus service whose sessions log
  ``citus.log_remote_commands`` (the distinct shards a request's statements were sent to) and, for
  reads, ``auto_explain`` (every plan: the ``Task Count`` of the request's widest statement);
- **throughput**: a fixed mix of reads (list, nearby, search, detail) from ``CONCURRENCY`` keep-alive
  connections of one load generator, against 1 and 2 uvicorn workers on each; the median of
  ``ROUNDS`` rounds.

What the benchmark writes on the single node (an organizer, its events, RSVPs and an account) is
deleted after, through the service (``bench.publishing.forget``). ``BENCH_CITUS_KEEP_LOG=PATH``
copies the coordinator's log there before the cluster is removed (the probes' plans, remote
commands and any error).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import h11
import httpx
import psycopg
from psycopg import sql

from app.distribution import distribute
from app.migrations_state import upgrade
from app.seed.cities import load_cities
from bench.dataset import ensure_database, reference_date
from bench.discovery import Workload
from bench.publishing import DOMAIN, forget, signed_in_editor
from bench.server import run_service
from bench.stats import HttpConnection, Summary, markdown_table, ms, time_requests
from scripts.citus.cluster import CitusCluster
from tiles.grid import tile_of

SHARDS = 32
LATENCY_REQUESTS = 150
WRITES = 40
WARMUP = 20
PROBES = 5
CONCURRENCY = 16
MIX_REQUESTS = 800
ROUNDS = 3
TILE_ZOOMS = (8, 11, 14)
START = datetime(2031, 4, 6, 18, 0)  # far after any seeded event
SERVICE_ENV = {
    "HAPPENINGS_LOG_LEVEL": "WARNING",
    **{f"HAPPENINGS_AUTH__{n}": "1000000/1" for n in ("LOGIN_IP_LIMIT", "REGISTER_IP_LIMIT")},
}
# Redis keys of this run only (tiles must miss, whatever an earlier run cached).
RUN = uuid.uuid4().hex[:8]
TASK_COUNT = re.compile(r"Task Count: (\d+)")
SHARD_NAME = re.compile(r"\b[a-z][a-z0-9_]*_(\d{6,})\b")  # a shard's table: the table's name, _, the shard id


def _env(name: str) -> dict[str, str]:
    """The services' settings, with Redis keys of their own."""
    return {**SERVICE_ENV, "HAPPENINGS_REDIS__KEY_PREFIX": f"bench-citus-{RUN}-{name}:"}


Request = Callable[[HttpConnection], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    single: list[Request]
    citus: list[Request]


@dataclass
class Row:
    name: str
    single: list[float] = field(default_factory=list)
    citus: list[float] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    widest: list[int] = field(default_factory=list)
    shards: list[int] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ the cluster


@contextmanager
def citus_database(single_url: str, events: int, seed: int, shards: int) -> Iterator[tuple[CitusCluster, str]]:
    """A private cluster holding the single node's rows, distributed; removed after."""
    cluster = CitusCluster()
    try:
        started = time.monotonic()
        cluster.start()
        url = cluster.create_database("happenings_bench")
        upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
        _log(f"cluster started and migrated in {time.monotonic() - started:.0f} s")
        _seed(url, events, seed, single_url)
        started = time.monotonic()
        distribute(url, shards)
        _log(f"distributed ({shards} shards per table) in {time.monotonic() - started:.0f} s")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        cluster.restart(durable=True)
        yield cluster, url
    finally:
        if os.environ.get("BENCH_CITUS_KEEP_LOG"):
            shutil.copy(cluster.coordinator.log, os.environ["BENCH_CITUS_KEEP_LOG"])
        cluster.remove()


def _seed(url: str, events: int, seed: int, single_url: str) -> None:
    """The single node's rows: the seed loader on the still local tables (distributing moves them)."""
    from app.seed.loader import seed_database  # heavy

    started = time.monotonic()
    seed_database(url, events, seed, reference_date=reference_date(single_url))
    _log(f"seeded {events:,} events in {time.monotonic() - started:.0f} s")


# ------------------------------------------------------------------------------------------ requests


def _get(target: str) -> Request:
    ok = (200, 204) if target.startswith("/tiles/") else (200,)  # 204: a tile with no event in view

    async def request(connection: HttpConnection) -> None:
        status, body = await connection.get(target)
        if status not in ok:
            raise RuntimeError(f"GET {target}: HTTP {status}: {body[:300]!r}")

    return request


def read_targets(single_url: str, seed: int) -> dict[str, list[str]]:
    """Seeded targets per read scenario (``LATENCY_REQUESTS + WARMUP`` each)."""
    n = LATENCY_REQUESTS + WARMUP
    workload = Workload(seed, datetime.now(UTC))
    targets = {
        "list by bbox (z12 viewport, next 30 days, 100)": [workload.city().target for _ in range(n)],
        "nearby 5 km (50 nearest)": [workload.nearby().target for _ in range(n)],
        "text search in a z12 viewport (50)": [workload.text().target for _ in range(n)],
        "detail by id": [f"/api/v1/events/{event_id}" for event_id in _public_ids(single_url, n, seed)],
    }
    rng = random.Random(seed)
    cities = sorted(load_cities(), key=lambda city: -city.population)
    for zoom in TILE_ZOOMS:
        tiles: dict[str, None] = {}  # distinct, in a seeded order: each one a cache miss
        for city in itertools.cycle(cities):
            if len(tiles) >= n:
                break
            spread = city.radius_km / 111.32 * (0.5 if zoom >= 11 else 3.0)
            tiles[
                f"/tiles/events/{tile_of(city.lat + rng.gauss(0, spread), city.lon + rng.gauss(0, spread), zoom)}.mvt"
            ] = None
        targets[f"tile z{zoom} ({'clusters' if zoom < 12 else 'points'}, cache miss)"] = list(tiles)
    return targets


def _public_ids(url: str, count: int, seed: int) -> list[str]:
    with psycopg.connect(url) as conn:
        conn.execute("SELECT setseed(%s)", (1 / (seed + 2),))
        rows = conn.execute(
            "SELECT id FROM events WHERE status = 'published' ORDER BY random() LIMIT %s",
            (count,),
        ).fetchall()
    return [str(row[0]) for row in rows]


class Writer:
    """An organizer's writes over HTTP: create + publish an event, and RSVP ``going`` to it."""

    def __init__(self, base_url: str, database_url: str, label: str) -> None:
        self.base_url, self.database_url, self.label = base_url, database_url, label
        self.http = httpx.AsyncClient(base_url=base_url, timeout=60)
        self.auth: dict[str, str] = {}
        self.organizer = ""
        self.published: list[str] = []
        self.rng = random.Random(23)
        self.cities = sorted(load_cities(), key=lambda city: -city.population)[:20]

    async def start(self) -> None:
        token = await signed_in_editor(self.http, self.database_url, f"citus-{self.label}@{DOMAIN}")
        self.auth = {"Authorization": f"Bearer {token}"}
        response = await self.http.post(
            "/api/v1/organizers", json={"name": "Bench publishing (citus)"}, headers=self.auth
        )
        if response.status_code != 201:
            raise RuntimeError(f"organizer: HTTP {response.status_code}: {response.text[:300]}")
        self.organizer = response.json()["id"]

    async def publish(self, _: HttpConnection) -> None:
        i = len(self.published)
        city = self.cities[i % len(self.cities)]
        lat, lon = city.lat + self.rng.uniform(-0.02, 0.02), city.lon + self.rng.uniform(-0.02, 0.02)
        local = START + timedelta(minutes=i)
        body = {
            "organizer_id": self.organizer, "title": f"Bench citus {i}", "category": "music", "timezone": "UTC",
            "location": {"lat": lat, "lon": lon},
            "starts_at": local.isoformat(), "ends_at": (local + timedelta(hours=2)).isoformat(), "is_free": True,
        }  # fmt: skip
        created = await self.http.post("/api/v1/events", json=body, headers=self.auth)
        if created.status_code != 201:
            raise RuntimeError(f"create: HTTP {created.status_code}: {created.text[:300]}")
        event_id = created.json()["id"]
        published = await self.http.post(f"/api/v1/events/{event_id}/publish", headers=self.auth)
        if published.status_code != 200:
            raise RuntimeError(f"publish: HTTP {published.status_code}: {published.text[:300]}")
        self.published.append(event_id)

    async def rsvp(self, _: HttpConnection) -> None:
        event_id = self.published.pop()
        response = await self.http.put(f"/api/v1/events/{event_id}/rsvp", json={"status": "going"}, headers=self.auth)
        if response.status_code != 200:
            raise RuntimeError(f"RSVP: HTTP {response.status_code}: {response.text[:300]}")

    async def close(self) -> None:
        await self.http.aclose()


# ------------------------------------------------------------------------------------------ latency


async def _timed(request: Request, connection: HttpConnection) -> float:
    started = time.perf_counter()
    await request(connection)
    return time.perf_counter() - started


async def measure_latency(bases: dict[str, str], urls: dict[str, str], seed: int) -> list[Row]:
    """Every scenario on both services, request by request (alternating which goes first)."""
    targets = read_targets(urls["single"], seed)
    writers = {kind: Writer(bases[kind], urls[kind], kind) for kind in bases}
    connections = {kind: HttpConnection(base) for kind, base in bases.items()}
    rows: list[Row] = []
    try:
        for writer in writers.values():
            await writer.start()
        plan: list[tuple[str, dict[str, list[Request]], int]] = [
            (name, {kind: [_get(t) for t in found] for kind in bases}, WARMUP) for name, found in targets.items()
        ]
        plan.append(
            ("event create + publish (2 requests)", {k: [w.publish] * (WRITES + 5) for k, w in writers.items()}, 5)
        )
        plan.append(("RSVP going (a ticket issued)", {k: [w.rsvp] * (WRITES + 5) for k, w in writers.items()}, 5))
        for name, requests, warmup in plan:
            _log(f"latency: {name}")
            rows.append(await _scenario(name, requests, connections, bases, warmup))
            print(f"- {name}: {_cells(rows[-1])} {rows[-1].errors or ''}", file=sys.stderr, flush=True)
    finally:
        for connection in connections.values():
            await connection.close()
        for writer in writers.values():
            await writer.close()
    return rows


async def _scenario(
    name: str,
    requests: dict[str, list[Request]],
    connections: dict[str, HttpConnection],
    bases: dict[str, str],
    warmup: int,
) -> Row:
    row = Row(name)
    kinds = list(requests)
    for n in range(len(requests[kinds[0]])):
        order = kinds if n % 2 == 0 else kinds[::-1]
        for kind in order:
            if kind in row.errors:
                continue
            try:
                elapsed = await _timed(requests[kind][n], connections[kind])
            except (RuntimeError, OSError, IndexError, h11.ProtocolError) as exc:
                # The rest of this scenario is skipped there; the next one starts on a new connection.
                row.errors[kind] = str(exc)
                await connections[kind].close()
                connections[kind] = HttpConnection(bases[kind])
                continue
            if n >= warmup:
                getattr(row, kind).append(elapsed)
    return row


# ------------------------------------------------------------------------------------------ shards touched


async def count_tasks(cluster: CitusCluster, url: str, rows: list[Row], seed: int, single_url: str) -> None:
    """Each scenario's Citus tasks and shards per request, from the coordinator's log.

    Reads run with ``auto_explain`` (every statement's plan logged: its ``Task Count``) and
    ``citus.log_remote_commands`` (every statement sent to a shard: the shards it names). Writes run
    with the remote commands only: Citus cannot EXPLAIN an INSERT … SELECT of bound parameters on a
    worker (the parameters go as text), so auto_explain would abort the write.
    """
    targets = read_targets(single_url, seed + 1)
    remote = {"citus.log_remote_commands": "on", "log_min_messages": "notice"}
    explained = {**remote, "session_preload_libraries": "auto_explain", "auto_explain.log_min_duration": "0"}
    reads = [[_get(t) for t in found[:PROBES]] for found in targets.values()]
    async with _probing(cluster, url, explained) as (base, _):
        for row, requests in zip(rows, reads, strict=False):
            for request in requests:
                await _probe(cluster, row, request, base)
    async with _probing(cluster, url, remote) as (base, writer):
        writes: list[list[Request]] = [[writer.publish] * PROBES, [writer.rsvp] * PROBES]
        for row, requests in zip(rows[len(reads) :], writes, strict=True):
            for request in requests:
                await _probe(cluster, row, request, base)


@asynccontextmanager
async def _probing(cluster: CitusCluster, url: str, settings: dict[str, str]) -> AsyncIterator[tuple[str, Writer]]:
    """A Citus service whose sessions have ``settings`` (set on its database, then reset), and a writer on it."""
    dbname = url.rsplit("/", 1)[1]
    with psycopg.connect(cluster.coordinator.url(), autocommit=True) as admin:
        for name, value in settings.items():
            admin.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                sql.Identifier(dbname), sql.SQL(name), sql.Literal(value)))  # fmt: skip
    try:
        with run_service(url, env=_env("probe")) as base:
            writer = Writer(base, url, f"probe-{len(settings)}")
            try:
                await writer.start()
                yield base, writer
            finally:
                await writer.close()
    finally:
        with psycopg.connect(cluster.coordinator.url(), autocommit=True) as admin:
            for name in settings:
                admin.execute(sql.SQL("ALTER DATABASE {} RESET {}").format(sql.Identifier(dbname), sql.SQL(name)))


async def _probe(cluster: CitusCluster, row: Row, request: Request, base: str) -> None:
    log = cluster.coordinator.log
    offset = log.stat().st_size
    connection = HttpConnection(base)
    try:
        await request(connection)
    except (RuntimeError, OSError, IndexError, h11.ProtocolError, httpx.HTTPError) as exc:
        row.errors.setdefault("probe", f"{type(exc).__name__}: {str(exc)[:300]}")
        return
    finally:
        await connection.close()
    await asyncio.sleep(0.05)  # the log is written by the server processes
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode(errors="replace")
    counts = [int(found) for found in TASK_COUNT.findall(text)]
    if counts:
        row.widest.append(max(counts))
    shards = {shard for line in text.splitlines() if "issuing" in line for shard in SHARD_NAME.findall(line)}
    row.shards.append(len(shards))


# ------------------------------------------------------------------------------------------ throughput


def mix_targets(single_url: str, seed: int) -> list[str]:
    """The read mix: list, nearby, search and detail in turn."""
    found = read_targets(single_url, seed + 2)
    kinds = [targets for name, targets in found.items() if not name.startswith("tile")]
    mix = [target for group in zip(*kinds, strict=False) for target in group]
    return list(itertools.islice(itertools.cycle(mix), MIX_REQUESTS))


async def _rounds(base: str, targets: list[str]) -> list[float]:
    def check(status: int, body: bytes) -> None:
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:300]!r}")

    await time_requests(base, targets[: MIX_REQUESTS // 4], concurrency=CONCURRENCY, check=check)  # warm
    found = []
    for _ in range(ROUNDS):
        found.append((await time_requests(base, targets, concurrency=CONCURRENCY, check=check)).throughput)
    return found


def measure_throughput(urls: dict[str, str], seed: int) -> dict[tuple[str, int], list[float]]:
    targets = mix_targets(urls["single"], seed)
    results: dict[tuple[str, int], list[float]] = {}
    for workers in (1, 2):
        for kind, url in urls.items():
            _log(f"throughput: {kind}, {workers} API process(es)")
            with run_service(url, env=_env(f"{kind}-{workers}"), workers=workers) as base:
                results[kind, workers] = asyncio.run(_rounds(base, targets))
    return results


# ------------------------------------------------------------------------------------------ report


def _cells(row: Row) -> list[str]:
    def pair(kind: str) -> list[str]:
        if kind in row.errors:
            return ["failed", "failed"]
        summary = Summary.of(getattr(row, kind))
        return [ms(summary.p50), ms(summary.p95)]

    single, citus = pair("single"), pair("citus")
    ratio = "—"
    if "single" not in row.errors and "citus" not in row.errors:
        ratio = f"{statistics.median(row.citus) / statistics.median(row.single):.2f}x"
    widest = f"{statistics.median(row.widest):g}" if row.widest else "—"
    shards = f"{statistics.median(row.shards):g}" if row.shards else "—"
    return [single[0], single[1], citus[0], citus[1], ratio, widest, shards]


def report(rows: list[Row], throughput: dict[tuple[str, int], list[float]], events: int, shards: int) -> str:
    headers = ["scenario", "single p50 ms", "single p95 ms", "Citus p50 ms", "Citus p95 ms", "Citus/single p50",
               "tasks (EXPLAIN, widest statement)", "shards touched"]  # fmt: skip
    latency = markdown_table(headers, [[row.name, *_cells(row)] for row in rows])
    errors = [
        f"- {row.name}, {kind}: {error}"
        for row in rows
        for kind, error in row.errors.items()
        if not (kind == "probe" and "citus" in row.errors)  # the same failure again
    ]
    rps_rows = []
    for workers in (1, 2):
        single = statistics.median(throughput["single", workers])
        citus = statistics.median(throughput["citus", workers])
        rps_rows.append([f"{workers} API process{'es' if workers > 1 else ''}", f"{single:.0f}", f"{citus:.0f}",
                         f"{citus / single:.2f}x"])  # fmt: skip
    rps = markdown_table(["API", "single node req/s", "Citus req/s", "Citus/single"], rps_rows)
    return "\n".join(
        [
            f"### Single node vs Citus ({events:,} events; Citus: coordinator + 2 workers on this machine, "
            f"{shards} shards per table)\n",
            f"Latency over HTTP, one request in flight, {LATENCY_REQUESTS} requests per read scenario and "
            f"{WRITES} per write. Citus's `Task Count` (EXPLAIN, logged by auto_explain) of the request's widest "
            f"statement, and the shards its statements were sent to (`citus.log_remote_commands`), median of "
            f"{PROBES} requests:\n",
            latency,
            *(["\nFailed:", *errors] if errors else []),
            f"\nThroughput: a mix of list, nearby, search and detail reads, {CONCURRENCY} connections, "
            f"median of {ROUNDS} rounds of {MIX_REQUESTS}:\n",
            rps,
            "",
        ]
    )


def run(sizes: Sequence[int], seed: int = 42, *, shards: int = SHARDS) -> str:
    """Entry point of ``python -m bench``: the smallest size, single node beside a fresh Citus cluster."""
    events = min(sizes)
    single_url = ensure_database(events, seed)
    asyncio.run(forget(single_url))
    try:
        with citus_database(single_url, events, seed, shards) as (cluster, citus_url):
            urls = {"single": single_url, "citus": citus_url}
            with ExitStack() as stack:
                bases = {
                    kind: stack.enter_context(
                        run_service(
                            url, env={**SERVICE_ENV, "HAPPENINGS_REDIS__KEY_PREFIX": f"bench-citus-{RUN}-{kind}:"}
                        )
                    )
                    for kind, url in urls.items()
                }
                rows = asyncio.run(measure_latency(bases, urls, seed))
            _log("shards touched (auto_explain on the coordinator)")
            asyncio.run(count_tasks(cluster, citus_url, rows, seed, single_url))
            throughput = measure_throughput(urls, seed)
    finally:
        asyncio.run(forget(single_url))
    section = report(rows, throughput, events, shards)
    print(section, flush=True)
    return section


def _log(message: str) -> None:
    print(f"[bench citus] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.citus", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events in both databases")
    parser.add_argument("--shards", type=int, default=SHARDS, help="shards per distributed table")
    parser.add_argument("--quick", action="store_true", help="few requests (a smoke run)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.quick:
        global LATENCY_REQUESTS, WRITES, MIX_REQUESTS, ROUNDS
        LATENCY_REQUESTS, WRITES, MIX_REQUESTS, ROUNDS = 10, 5, 100, 1
    run([args.events], args.seed, shards=args.shards)


if __name__ == "__main__":
    main()
