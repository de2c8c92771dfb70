"""Notifications benchmark: matching with 100k geofences, delivery throughput, live fan-out latency.

``python -m bench --only notifications`` (or ``python -m bench.notifications``).

On a database of its own, made afresh (migrated, empty). Figures:

- **publish → notices enqueued**: 100,000 geofences (half circles of 0.3-20 km, half polygons, over
  Europe, ten per person) are bulk-loaded; then events are published one at a time at random points
  in Europe through the events write service, and each change is drained by the worker's own
  ``drain_changes`` (H3 prefilter, GiST, exact test, filters, the notices insert) in its own
  transaction. The figure is commit-of-the-publish to commit-of-the-notices, p50/p95, the worker's
  poll (1 s by default) aside; and the notices written per publish.
- **notices delivered per second by one worker**: 5,000 due notices for 500 people (no quiet hours, a
  cap out of the way), delivered by one ``Delivery`` (4 concurrent loops, one transaction per notice)
  to the development outbox: what the queue machinery costs (locks, cap count, state), no network.
- **publish → live message received**: one API process (uvicorn) with 1,000 open ``GET /api/v1/live``
  streams on the same view; changes published through the after-commit listener's own function;
  the time until each stream has the message, p50/p95 over every (stream, message).

Everything it writes is removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from redis.asyncio import Redis

from app.events import derived
from app.events.changes import EventChange
from app.events.schemas import EventCreate, Point
from app.events.service import create_event
from app.live.hub import LivePublisher
from app.notifications.delivery import Delivery
from app.notifications.matching import drain_changes
from app.notifications.push import Transports
from bench.dataset import server_url
from bench.server import run_service
from bench.stats import Summary, markdown_table, ms
from config.settings import NotificationSettings
from geo.geofence import InvalidGeofence, circle, polygon
from tests.notifications.synthetic import Fence, load_accounts, load_fences

GEOFENCES = 100_000
PER_PERSON = 10
PUBLISHES = 200
DELIVERIES = 5_000
LIVE_CLIENTS = 1_000
LIVE_MESSAGES = 20
EUROPE = (36.0, 60.0, -10.0, 30.0)  # south, north, west, east
PREFIX = "bench-live:"


def _europe(rng: random.Random) -> tuple[float, float]:
    south, north, west, east = EUROPE
    return rng.uniform(south, north), rng.uniform(west, east)


def _fence(rng: random.Random, account_id: uuid.UUID) -> Fence:
    import math

    while True:
        lat, lon = _europe(rng)
        try:
            if rng.random() < 0.5:
                radius = rng.randint(300, 20_000)
                area = circle(lat, lon, radius, max_radius_m=50_000)
                return Fence(uuid.uuid4(), account_id, area, {"center": {"lat": lat, "lon": lon}, "radius_m": radius})
            size = rng.uniform(0.02, 0.25)
            angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(rng.randint(4, 12)))
            ring = [
                [lon + size * rng.uniform(0.3, 1) * math.cos(a), lat + size * rng.uniform(0.3, 1) * math.sin(a)]
                for a in angles
            ]
            ring.append(ring[0])
            area = polygon([ring], max_vertices=200, max_area_km2=100_000)
            return Fence(uuid.uuid4(), account_id, area, {"type": "Polygon", "coordinates": [ring]})
        except InvalidGeofence:
            continue


def _cleanup(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM accounts WHERE email LIKE 'fence-%%@example.com'")
        conn.execute("DELETE FROM events WHERE organizer_id IN (SELECT id FROM organizers WHERE name = 'bench-push')")
        conn.execute("DELETE FROM organizers WHERE name = 'bench-push'")
        conn.execute(derived.REBUILD)  # a database of its own: only this benchmark's events
        conn.execute("DELETE FROM event_changes")
        conn.execute("DELETE FROM mail_outbox WHERE kind = 'push'")


async def _matching(url: str, rng: random.Random) -> list[list[object]]:
    started = time.monotonic()
    with psycopg.connect(url) as conn:
        accounts = load_accounts(conn, GEOFENCES // PER_PERSON)
        load_fences(conn, [_fence(rng, accounts[i // PER_PERSON]) for i in range(GEOFENCES)])
        conn.execute("ANALYZE geofences; ANALYZE geofence_cells")
    print(f"(loaded {GEOFENCES:,} geofences in {time.monotonic() - started:.0f} s)", flush=True)
    now = datetime.now(UTC)
    latencies, written = [], []
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row, autocommit=True) as conn:
        cur = await conn.execute("INSERT INTO organizers (name) VALUES ('bench-push') RETURNING id")
        org = (await cur.fetchone() or {})["id"]
        await conn.execute("UPDATE event_changes SET handled_at = now() WHERE handled_at IS NULL")
        for _ in range(PUBLISHES):
            lat, lon = _europe(rng)
            data = {
                "organizer_id": org,
                "title": "Bench gig",
                "category": "music",
                "timezone": "Europe/Paris",
                "starts_at": now + timedelta(days=3),
                "ends_at": now + timedelta(days=3, hours=2),
                "status": "published",
                "is_free": True,
                "location": Point(lat=lat, lon=lon),
            }
            async with conn.transaction():
                row, _ = await create_event(conn, EventCreate.model_validate(data))
            committed = time.perf_counter()
            async with conn.transaction():
                await drain_changes(conn, now, 10)
            latencies.append(time.perf_counter() - committed)
            cur = await conn.execute("SELECT count(*) AS n FROM notices WHERE event_id = %s", (row["id"],))
            written.append(((await cur.fetchone()) or {"n": 0})["n"])
    s = Summary.of(latencies)
    per = sorted(written)
    return [
        [
            "publish → notices enqueued (100k geofences)",
            s.n,
            ms(s.p50),
            ms(s.p95),
            f"{sum(per) / len(per):.1f} notices/publish (max {per[-1]})",
        ]
    ]


async def _delivery(url: str) -> list[list[object]]:
    with psycopg.connect(url, autocommit=True) as conn:
        people = load_accounts(conn, DELIVERIES // 10)
        now = datetime.now(UTC)
        with conn.cursor().copy(
            "COPY notices (account_id, cell, event_id, kind, title, body, created_at, next_attempt_at) FROM STDIN"
        ) as copy:
            for i in range(DELIVERIES):
                copy.write_row((people[i % len(people)], 0, uuid.uuid4(), "nearby", "Bench", "Body", now, now))
    from app.db import make_pool
    from config.settings import DatabaseSettings

    pool = make_pool(DatabaseSettings(url=url, pool_max=8), application_name="bench-deliver")
    await pool.open()
    settings = NotificationSettings(quiet_start="00:00", quiet_end="00:00", daily_cap=1000)
    delivery = Delivery(pool, Transports(None, None), settings, lambda: datetime.now(UTC), outbox=True)
    started = time.perf_counter()
    settled = 0
    while (n := await delivery.deliver_due(500)) > 0:
        settled += n
    elapsed = time.perf_counter() - started
    await pool.close()
    return [["notices delivered by one worker (dev outbox)", settled, "—", "—", f"{settled / elapsed:.0f} notices/s"]]


async def _live(url: str) -> list[list[object]]:
    env = {
        "HAPPENINGS_REDIS__KEY_PREFIX": PREFIX,
        "HAPPENINGS_LOG_LEVEL": "WARNING",
        "HAPPENINGS_NOTIFICATIONS__LIVE_MAX_CONNECTIONS": str(LIVE_CLIENTS + 10),
    }
    sent: dict[str, float] = {}
    received: list[float] = []
    with run_service(url, env=env) as base:
        host, port = base.removeprefix("http://").split(":")
        ready = asyncio.Event()
        opened = [0]  # streams whose first line came: the server's hub has subscribed them

        async def client() -> None:
            reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
            writer.write(f"GET /api/v1/live?bbox=2.2,48.8,2.5,48.95 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            await writer.drain()
            started = False
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                while True:
                    line = await reader.readline()
                    if not line:
                        return
                    if not started and line.startswith(b"retry:"):
                        started = True
                        opened[0] += 1
                        if opened[0] == LIVE_CLIENTS:
                            ready.set()
                    if line.startswith(b"data: "):
                        at = time.perf_counter()
                        key = line.split(b'"event_id":"', 1)[1][:36].decode()
                        if key in sent:
                            received.append(at - sent[key])
            writer.close()

        tasks = [asyncio.create_task(client()) for _ in range(LIVE_CLIENTS)]
        await asyncio.wait_for(ready.wait(), 120)
        redis = Redis.from_url("redis://127.0.0.1:6379/0")
        publisher = LivePublisher(redis, PREFIX, 200)
        for _ in range(LIVE_MESSAGES):
            event_id = uuid.uuid4()
            sent[str(event_id)] = time.perf_counter()
            await publisher.publish(
                EventChange(event_id, "created", None, Point(lat=48.85, lon=2.35), frozenset({"published"}))
            )
            await asyncio.sleep(0.25)
        await asyncio.sleep(3.0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        keys = [key async for key in redis.scan_iter(match=f"{PREFIX}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    s = Summary.of(received)
    share = len(received) / (LIVE_CLIENTS * LIVE_MESSAGES)
    return [
        [
            f"publish → live message received ({LIVE_CLIENTS:,} SSE clients, one process)",
            s.n,
            ms(s.p50),
            ms(s.p95),
            f"{share:.1%} of (client, message) pairs heard",
        ]
    ]


def private_database() -> str:
    """A migrated database of this benchmark's own (the shared ``happenings_bench_N`` ones are rebuilt by
    whichever checkout's migrations differ): geofences and notices need no background of events."""
    from app.migrations_state import upgrade

    name = "happenings_bench_notifications"
    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{server_url()}/{name}"
    upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
    return url


def run(sizes: list[int], seed: int, *, matching: bool = True) -> str:
    del sizes  # not sized by events: by geofences, notices and streams (module constants)
    url = private_database()
    rng = random.Random(seed)
    _cleanup(url)
    rows: list[list[object]] = []
    try:
        if matching:
            rows += asyncio.run(_matching(url, rng))
            _cleanup(url)
        rows += asyncio.run(_delivery(url))
        _cleanup(url)
        rows += asyncio.run(_live(url))
    finally:
        _cleanup(url)
    table = markdown_table(["what", "n", "p50 ms", "p95 ms", "figure"], rows)
    print(table + "\n", flush=True)
    return table


if __name__ == "__main__":
    import sys

    # --no-matching: only delivery and the live fan-out (loading 100k geofences takes minutes)
    print(run([100_000], 42, matching="--no-matching" not in sys.argv[1:]))
