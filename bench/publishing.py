"""Publishing benchmark: an organizer's writes over HTTP and how soon every reader sees them.

``python -m bench --only publishing --sizes 1000000`` (or ``python -m bench.publishing [--events N]``).
Two uvicorn processes of the service on the benchmark database, sharing Redis (as two API
replicas do). Figures:

- **create + publish over HTTP**: ``POST /events`` then ``POST /events/{id}/publish``, one pair at
  a time against process A, p50/p95 of the pair;
- **until visible**: after the publish answer, how long until the event is in the list
  (``GET /events`` for its bbox and start), in its z14 tile (warmed in both processes' caches
  before, so the write must invalidate it) and in process B's list, tile and detail, polled back
  to back (the figure includes one poll's round trip);
- **a write's cost in the database** with the rollup and text-posting triggers at the dataset's
  size: the service's draft, publish and move transactions, timed from the first statement to
  the commit (target: p95 ≤ 25 ms).

Everything it writes (one organizer, its events, audit entries, two accounts) is deleted after,
through the service, so the rollups and the dataset's event count stay as they were.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import psycopg
from psycopg.rows import dict_row

from app.db import API_SESSION, session_options
from app.events import service
from app.events.publishing_schemas import EventDraft, EventEdit
from bench.dataset import ensure_database
from bench.server import run_service
from bench.stats import HttpConnection, Summary, markdown_table, ms
from bench.tiles import places
from tiles.grid import tile_of

DOMAIN = "bench-publishing.example.com"
PASSWORD = "bench password: seven violet trams at dawn"
PREFIX = "bench-publishing:"
HTTP_WRITES = 60
DB_WRITES = 200
POLL_GIVE_UP_S = 5.0
START = datetime(2031, 3, 2, 18, 0)  # far after any seeded event: a list for its minute holds only ours


async def signed_in_editor(http: httpx.AsyncClient, url: str, email: str) -> str:
    response = await http.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 202, response.text
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE accounts SET email_verified_at = now() WHERE email = %s", (email,))
    response = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _poll(check: Callable[[], Awaitable[bool]]) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < POLL_GIVE_UP_S:
        if await check():
            return time.perf_counter() - started
    return float("nan")


def _list_target(lat: float, lon: float, start_utc: datetime) -> str:
    bbox = f"{lon - 0.05:.4f},{lat - 0.05:.4f},{lon + 0.05:.4f},{lat + 0.05:.4f}"
    after = (start_utc - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = (start_utc + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"/api/v1/events?bbox={bbox}&starts_after={after}&starts_before={before}"


def _seen(connection: HttpConnection, target: str, marker: bytes) -> Callable[[], Awaitable[bool]]:
    """A check: whether ``target`` answers with ``marker`` (the event's id) in its body."""

    async def check() -> bool:
        status, content = await connection.get(target)
        return status == 200 and marker in content

    return check


async def measure_http(base_a: str, base_b: str, url: str) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {k: [] for k in ("pair", "list", "tile", "list_b", "tile_b", "detail_b")}
    rng = random.Random(18)
    cities = places()[:20]
    async with httpx.AsyncClient(base_url=base_a, timeout=60) as http:
        token = await signed_in_editor(http, url, f"editor@{DOMAIN}")
        auth = {"Authorization": f"Bearer {token}"}
        response = await http.post("/api/v1/organizers", json={"name": "Bench publishing"}, headers=auth)
        assert response.status_code == 201, response.text
        org = response.json()["id"]
        a, b = HttpConnection(base_a), HttpConnection(base_b)
        try:
            for i in range(HTTP_WRITES):
                city = cities[i % len(cities)]
                lat, lon = city.lat + rng.uniform(-0.02, 0.02), city.lon + rng.uniform(-0.02, 0.02)
                tile = f"/tiles/events/{tile_of(lat, lon, 14)}.mvt"
                for connection in (a, b):  # warm: both processes hold the tile without the event
                    await connection.get(tile)
                local = START + timedelta(minutes=i)
                body = {
                    "organizer_id": org, "title": f"Bench {i}", "category": "music", "timezone": "UTC",
                    "location": {"lat": lat, "lon": lon}, "starts_at": local.isoformat(),
                    "ends_at": (local + timedelta(hours=2)).isoformat(), "is_free": True,
                }  # fmt: skip
                started = time.perf_counter()
                created = await http.post("/api/v1/events", json=body, headers=auth)
                eid = created.json()["id"]
                published = await http.post(f"/api/v1/events/{eid}/publish", headers=auth)
                figures["pair"].append(time.perf_counter() - started)
                assert published.status_code == 200, published.text
                marker = eid.encode()
                listing = _list_target(lat, lon, local.replace(tzinfo=UTC))

                figures["list"].append(await _poll(_seen(a, listing, marker)))
                figures["tile"].append(await _poll(_seen(a, tile, marker)))
                figures["list_b"].append(await _poll(_seen(b, listing, marker)))
                figures["tile_b"].append(await _poll(_seen(b, tile, marker)))
                figures["detail_b"].append(await _poll(_seen(b, f"/api/v1/events/{eid}", marker)))
        finally:
            await a.close()
            await b.close()
    return figures


async def measure_database(url: str) -> dict[str, list[float]]:
    """The service's writes on one connection, each its own transaction, timed to the commit."""
    figures: dict[str, list[float]] = {"draft": [], "publish": [], "move": []}
    rng = random.Random(1818)
    cities = places()
    now = datetime.now(UTC)
    # The API pool's session settings (custom plans, no JIT): the writes run as they do in a request.
    options = session_options(30_000, "bench-publishing", API_SESSION)
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row, options=options) as conn:
        cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Bench publishing (database)') RETURNING id")
        org = (await cur.fetchone() or {})["id"]
        await conn.commit()
        for i in range(DB_WRITES):
            city = cities[i % len(cities)]
            local = START + timedelta(days=1, minutes=i)
            draft = EventDraft(
                organizer_id=org, title=f"Bench db {i}", category="music", timezone="UTC", is_free=True,
                location={"lat": city.lat + rng.uniform(-0.02, 0.02), "lon": city.lon + rng.uniform(-0.02, 0.02)},
                starts_at=local, ends_at=local + timedelta(hours=2),
            )  # fmt: skip
            started = time.perf_counter()
            row, _ = await service.draft_event(conn, None, draft, now)
            await conn.commit()
            figures["draft"].append(time.perf_counter() - started)
            started = time.perf_counter()
            row, _ = await service.change_status(conn, None, await _locked(conn, row["id"]), "publish", now)
            await conn.commit()
            figures["publish"].append(time.perf_counter() - started)
            target = cities[(i + 7) % len(cities)]
            edit = EventEdit(location={"lat": target.lat, "lon": target.lon})
            started = time.perf_counter()
            await service.edit_event(conn, None, await _locked(conn, row["id"]), edit, now)
            await conn.commit()
            figures["move"].append(time.perf_counter() - started)
    return figures


async def _locked(conn: psycopg.AsyncConnection[Any], event_id: UUID) -> dict[str, Any]:
    from app.events import repository

    row = await repository.lock_event(conn, event_id)
    assert row is not None
    return row


async def forget(url: str) -> None:
    """Delete what the benchmark wrote, events through the service (rollups and postings follow)."""
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
        cur = await conn.execute("SELECT id FROM organizers WHERE name LIKE 'Bench publishing%'")
        orgs = [row["id"] for row in await cur.fetchall()]
        await service.delete_events_of_organizers(conn, orgs)
        await conn.execute("DELETE FROM audit_log WHERE organizer_id = ANY(%s)", (orgs,))
        await conn.execute("DELETE FROM organizer_members WHERE organizer_id = ANY(%s)", (orgs,))
        await conn.execute("DELETE FROM organizers WHERE id = ANY(%s)", (orgs,))
        await conn.execute("DELETE FROM mail_outbox WHERE to_address LIKE %s", (f"%@{DOMAIN}",))
        await conn.execute("DELETE FROM accounts WHERE email LIKE %s", (f"%@{DOMAIN}",))
        await conn.commit()


def report(http: dict[str, list[float]], db: dict[str, list[float]], events: int) -> str:
    def row(label: str, values: list[float], note: str = "—") -> tuple[object, ...]:
        s = Summary.of(values)
        return (label, s.n, ms(s.p50), ms(s.p95), ms(max(values)), note)

    db_p95 = max(Summary.of(v).p95 for v in db.values())
    rows = [
        row("create + publish over HTTP (2 requests)", http["pair"]),
        row("publish → in the list (same process)", http["list"], "includes one poll"),
        row("publish → in its z14 tile (same process, was cached)", http["tile"], "includes one poll"),
        row("publish → in the list, second process", http["list_b"]),
        row("publish → in the z14 tile, second process (was cached)", http["tile_b"], "target ≤ 1 s"),
        row("publish → detail, second process", http["detail_b"]),
        row("database: draft (insert, posting, audit, change log)", db["draft"]),
        row("database: publish (rollups, postings, audit)", db["publish"]),
        row("database: move to another city (partition move)", db["move"], f"worst p95 {db_p95 * 1000:.1f} ms (≤ 25)"),
    ]
    table = markdown_table(("what", "n", "p50 ms", "p95 ms", "max ms", "note"), rows)
    return f"### Publishing (database of {events:,} events, two API processes)\n\n{table}\n"


def run(sizes: Sequence[int], seed: int = 42) -> str:
    events = max(sizes)
    url = ensure_database(events, seed)
    asyncio.run(forget(url))
    env = {"HAPPENINGS_LOG_LEVEL": "WARNING", "HAPPENINGS_REDIS__KEY_PREFIX": PREFIX,
           **{f"HAPPENINGS_AUTH__{n}": "1000000/1" for n in ("LOGIN_IP_LIMIT", "REGISTER_IP_LIMIT")}}  # fmt: skip
    try:
        with run_service(url, env=env) as base_a, run_service(url, env=env) as base_b:
            http = asyncio.run(measure_http(base_a, base_b, url))
        db = asyncio.run(measure_database(url))
        section = report(http, db, events)
    finally:
        asyncio.run(forget(url))
    print(section, flush=True)
    return section


def _log(message: str) -> None:
    print(f"[bench publishing] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.publishing", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the benchmark database")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    run([args.events], args.seed)


if __name__ == "__main__":
    main()
