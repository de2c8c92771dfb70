"""Recurring events benchmark: materialising a weekly series of 52 occurrences.

``python -m bench --only series --sizes 100000`` (or ``python -m bench.series [--events N] [--rounds R]``).
On the benchmark database of each size (its rollup and search triggers live, as in production),
each round stores one weekly series (``FREQ=WEEKLY;BYDAY=TU;COUNT=52``, 19:00 Europe/Paris, at a
seeded point in a European city) through ``app.series.service.store_series`` and commits: the rule
is validated and expanded, the series row written, and 52 events created through the events
write service (each with its ``event_changes`` row and the tile rollup, term and search
triggers). Figures: p50/p95 of the whole transaction, and per occurrence; a whole-series edit
(rename, every future occurrence rewritten); and the floor, one one-off event created through the
same service in its own transaction. Everything written is deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

from app.db import API_SESSION, BASE_SESSION
from app.events.publishing_schemas import Recurrence
from app.events.schemas import EventCreate, Point
from app.events.service import create_event, delete_events_of_organizers
from app.series import service
from app.series.schemas import SeriesCreate
from bench.dataset import ensure_database
from bench.stats import Summary, markdown_table, ms
from config.settings import SeriesSettings

ROUNDS = 30
OCCURRENCES = 52
CITIES = [(48.8566, 2.3522), (52.52, 13.405), (41.3874, 2.1686), (45.4642, 9.19), (50.0755, 14.4378)]
ZONE = ZoneInfo("Europe/Paris")


def _series(organizer: Any, rng: random.Random, start: datetime) -> SeriesCreate:
    lat, lon = rng.choice(CITIES)
    return SeriesCreate(
        organizer_id=organizer, title="Bench jazz night", category="music", starts_at=start,
        ends_at=start + timedelta(hours=3), timezone="Europe/Paris", status="published", is_free=True,
        location=Point(lat=lat + rng.uniform(-0.05, 0.05), lon=lon + rng.uniform(-0.05, 0.05)),
        recurrence=Recurrence(rrule=f"FREQ=WEEKLY;BYDAY=TU;COUNT={OCCURRENCES}"),
    )  # fmt: skip


async def _measure(url: str, rounds: int, seed: int) -> tuple[Summary, Summary, Summary]:
    options = " ".join(f"-c {k}={v}" for k, v in {**BASE_SESSION, **API_SESSION}.items())
    rng = random.Random(seed)
    now = datetime.now(UTC)
    start = datetime.combine(now.date() + timedelta(days=7), datetime.min.time()).replace(hour=19, tzinfo=ZONE)
    settings = SeriesSettings(horizon_days=400)  # all 52 weeks inside the horizon, whatever today's weekday
    creates: list[float] = []
    edits: list[float] = []
    singles: list[float] = []
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row, options=options) as conn:
        cur = await conn.execute("INSERT INTO organizers (name) VALUES ('bench-series') RETURNING id")
        organizer = (await cur.fetchone())["id"]  # type: ignore[index]
        await conn.commit()
        try:
            for _ in range(rounds):
                began = time.perf_counter()
                first, changes = await service.store_series(conn, _series(organizer, rng, start), settings=settings,
                                                            now=now)  # fmt: skip
                await conn.commit()
                creates.append(time.perf_counter() - began)
                assert len(changes) == OCCURRENCES
                began = time.perf_counter()
                occurrence = await service.occurrence_of(conn, first["id"])
                await service.edit_series(conn, occurrence, {"title": "Bench jazz club"}, recurrence=None,
                                          settings=settings, now=now)  # fmt: skip
                await conn.commit()
                edits.append(time.perf_counter() - began)
                one = _series(organizer, rng, start)
                began = time.perf_counter()
                await create_event(conn, EventCreate.model_validate(one.model_dump(exclude={"recurrence"})))
                await conn.commit()
                singles.append(time.perf_counter() - began)
        finally:
            await conn.rollback()
            await delete_events_of_organizers(conn, [organizer])
            await conn.execute("DELETE FROM organizers WHERE id = %s", (organizer,))
            await conn.commit()
    return Summary.of(creates), Summary.of(edits), Summary.of(singles)


def run(sizes: Sequence[int], seed: int = 42, rounds: int = ROUNDS) -> str:
    rows = []
    for size in sizes:
        url = ensure_database(size, seed)
        create, edit, single = asyncio.run(_measure(url, rounds, seed))
        rows.append([f"{size:,}", "floor: one one-off event (create_event + commit)", ms(single.p50), ms(single.p95),
                     ms(single.p50)])  # fmt: skip
        rows.append([f"{size:,}", "create 52 (store + commit)", ms(create.p50), ms(create.p95),
                     ms(create.p50 / OCCURRENCES)])  # fmt: skip
        rows.append([f"{size:,}", "rename series (52 rewritten)", ms(edit.p50), ms(edit.p95),
                     ms(edit.p50 / OCCURRENCES)])  # fmt: skip
    table = markdown_table(["events", "operation", "p50 ms", "p95 ms", "p50 per occurrence ms"], rows)
    print(f"Weekly series of {OCCURRENCES} occurrences, {rounds} rounds each.\n\n{table}\n", flush=True)
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.series", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    run([args.events], args.seed, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
