"""Ticketing benchmark: holds per second through the service and its database transaction.

``python -m bench --only ticketing`` (or ``python -m bench.ticketing [--buyers 1,10,50,200]``).
On a database of its own (``happenings_bench_ticketing``, migrated to head and emptied first): one
published event, one tier with a quota far above what the run sells, and ``buyers`` coroutines
each placing one-ticket orders back to back through ``app.ticketing.service.place_order`` on a
pool of ``POOL`` connections (the API's default size times two), each order its own transaction:
transaction 1 of ``POST /orders`` (lock, re-check, hold, insert the order, commit), which is the
part that takes the tier's lock; the payment provider's call comes after it and holds none.

Figures: holds/s (median of ``ROUNDS`` rounds of ``SECONDS`` s) for 1 … 200 concurrent buyers,
p50/p95 of one hold, and the oversell check (held places = orders, ≤ quota).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from app.db import make_pool
from app.events import derived
from app.migrations_state import upgrade
from app.ticketing import service
from app.ticketing.service import LineItem
from bench.dataset import server_url
from bench.stats import Summary, markdown_table, ms
from config.settings import DatabaseSettings, TicketingSettings
from geo.cells import cell_of

DATABASE = "happenings_bench_ticketing"
BUYERS = (1, 10, 50, 100, 200)
POOL = 20
SECONDS = 3.0
ROUNDS = 3


def prepare() -> str:
    admin_url = f"{server_url()}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    url = f"{server_url()}/{DATABASE}"
    upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
    return url


def world(url: str, buyers: int) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    """An event with one tier (quota 10M) and ``buyers`` accounts."""
    starts = datetime.now(UTC) + timedelta(days=30)
    with psycopg.connect(url, autocommit=True) as conn:
        org = conn.execute("INSERT INTO organizers (name) VALUES ('Bench') RETURNING id").fetchone()[0]  # type: ignore[index]
        event = conn.execute(
            "INSERT INTO events (cell, organizer_id, category, title, starts_at, ends_at, timezone, status, geom) "
            "VALUES (%s, %s, 'music', 'On-sale', %s, %s, 'UTC', 'published', "
            "ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326)) "
            "RETURNING id",
            (cell_of(48.85, 2.35), org, starts, starts + timedelta(hours=3)),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(derived.REBUILD)  # its postings and rollup rows (a database of its own: one event)
        conn.execute("INSERT INTO event_places (cell, event_id) VALUES (%s, %s)", (cell_of(48.85, 2.35), event))
        now = datetime.now(UTC)
        tier = conn.execute(
            "INSERT INTO ticket_tiers (cell, event_id, name, price, currency, quota, max_per_order, created_at, "
            "updated_at) "
            "VALUES (%s, %s, 'GA', 2500, 'EUR', 10000000, 10, %s, %s) RETURNING id",
            (cell_of(48.85, 2.35), event, now, now),
        ).fetchone()[0]  # type: ignore[index]
        accounts = [
            row[0]
            for row in conn.execute(
                "INSERT INTO accounts (email) SELECT 'buyer-' || g || '@bench.example.com' "
                "FROM generate_series(1, %s) g "
                "RETURNING id",
                (buyers,),
            ).fetchall()
        ]
    return event, tier, accounts


async def measure(
    url: str, event: uuid.UUID, tier: uuid.UUID, accounts: list[Any], buyers: int
) -> tuple[float, list[float]]:
    settings = TicketingSettings(hold_minutes=60)
    pool = make_pool(
        DatabaseSettings(url=url, pool_min=min(POOL, buyers), pool_max=min(POOL, buyers), acquire_timeout_s=60)
    )
    await pool.open(wait=True)
    latencies: list[float] = []
    done = 0
    stop = time.monotonic() + SECONDS

    async def buyer(account: Any) -> None:
        nonlocal done
        while time.monotonic() < stop:
            began = time.perf_counter()
            async with pool.connection() as conn, conn.transaction():
                await service.place_order(
                    conn,
                    account_id=account,
                    event_id=event,
                    items=[LineItem(tier, 1)],
                    idempotency_key=None,
                    settings=settings,
                    clock=lambda: datetime.now(UTC),
                )
            latencies.append(time.perf_counter() - began)
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(buyer(accounts[i]) for i in range(buyers)))
    elapsed = time.monotonic() - started
    await pool.close()
    return done / elapsed, latencies


def run(sizes: Sequence[int] = (), seed: int = 42, buyer_counts: Sequence[int] = BUYERS) -> str:
    url = prepare()
    event, tier, accounts = world(url, max(buyer_counts))
    rows = []
    for buyers in buyer_counts:
        rates, latencies = [], []
        for _ in range(ROUNDS):
            rate, lat = asyncio.run(measure(url, event, tier, accounts, buyers))
            rates.append(rate)
            latencies += lat
        summary = Summary.of(latencies)
        rows.append([str(buyers), f"{statistics.median(rates):,.0f}", ms(summary.p50), ms(summary.p95)])
        print(f"  {buyers} buyers: {statistics.median(rates):,.0f} holds/s", file=sys.stderr, flush=True)
    with psycopg.connect(url) as conn:
        held, quota = conn.execute("SELECT held, quota FROM ticket_tiers").fetchone()  # type: ignore[misc]
        orders = conn.execute("SELECT count(*) FROM orders").fetchone()[0]  # type: ignore[index]
    table = markdown_table(["concurrent buyers", "holds/s (median)", "hold p50", "hold p95"], rows)
    verdict = "ok" if held == orders <= quota else "MISMATCH"
    report = f"{table}\n\nOversell check: {orders:,} orders, {held:,} places held, quota {quota:,} ({verdict}).\n"
    print(report, flush=True)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ticketing")
    parser.add_argument("--buyers", help="comma-separated counts of concurrent buyers")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.buyers.split(",")] if args.buyers else list(BUYERS)
    run(buyer_counts=counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
