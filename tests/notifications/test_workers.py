"""Real worker processes (`python -m app worker`): two at once, one killed with SIGKILL mid-batch and
started again. Every notice is written once and delivered exactly once (the development outbox is
written in the notice's own transaction), the daily cap holds per person across both workers, and two
overlapping geofences of one person still make one notice per event."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tests.notifications.synthetic import load_accounts
from tests.notifications.world import PARIS

ROOT = Path(__file__).resolve().parents[2]
PEOPLE, EVENTS, CAP = 10, 150, 100


def zone_at_noon() -> str:
    """A fixed-offset zone where it is now about noon: the cap's local day cannot end during the test."""
    offset = 12 - datetime.now(UTC).hour  # local = UTC + offset
    offset = max(-12, min(14, offset if offset <= 14 else offset - 24))
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")  # POSIX sign: Etc/GMT-2 is UTC+2


def start_worker(database_url: str, redis_prefix: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HAPPENINGS_ENVIRONMENT": "test",
        "HAPPENINGS_LOG_LEVEL": "WARNING",
        "HAPPENINGS_DATABASE__URL": database_url,
        "HAPPENINGS_REDIS__KEY_PREFIX": redis_prefix,
        "HAPPENINGS_NOTIFICATIONS__DAILY_CAP": str(CAP),
        "HAPPENINGS_NOTIFICATIONS__QUIET_START": "00:00",  # start = end: no quiet hours
        "HAPPENINGS_NOTIFICATIONS__QUIET_END": "00:00",
        "HAPPENINGS_NOTIFICATIONS__DELIVER_BATCH": "20",
        "HAPPENINGS_NOTIFICATIONS__MATCH_BATCH": "10",
    }
    return subprocess.Popen([sys.executable, "-m", "app", "worker"], cwd=ROOT, env=env)


def counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM notices) AS notices, "
        "(SELECT count(*) FROM notices WHERE state <> 'pending') AS settled, "
        "(SELECT count(*) FROM mail_outbox WHERE kind = 'push') AS pushed, "
        "(SELECT count(*) FROM event_changes WHERE handled_at IS NULL) AS unhandled"
    ).fetchone()
    assert row is not None
    return dict(row)


def wait_for(conn: psycopg.Connection[Any], done: Any, timeout_s: float = 120.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = counts(conn)
        if done(now):
            return now
        time.sleep(0.05)
    raise AssertionError(f"workers did not get there in time: {counts(conn)}")


def setup_world(conn: psycopg.Connection[Any]) -> list[Any]:
    people = load_accounts(conn, PEOPLE)
    zone = zone_at_noon()
    for account_id in people:
        conn.execute("INSERT INTO notification_settings (account_id, time_zone) VALUES (%s, %s)", (account_id, zone))
        for radius in (5000, 8000):  # two overlapping geofences: still one notice per event
            conn.execute(
                "WITH g AS (INSERT INTO geofences (account_id, area, shape, center, radius_m) VALUES (%(a)s, "
                "ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), 0.2)), '{}', "
                "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(r)s) RETURNING id) "
                "INSERT INTO geofence_cells (cell, geofence_id) SELECT %(cell)s, id FROM g",
                {"a": account_id, "lat": PARIS[0], "lon": PARIS[1], "r": radius, "cell": _cover_cell()},
            )
    return people


def _cover_cell() -> int:
    from geo.geofence import cover_cell

    return cover_cell(PARIS[0], PARIS[1])


async def publish_events(database_url: str) -> None:
    from app.events.schemas import EventCreate, Point
    from app.events.service import create_event

    async with await psycopg.AsyncConnection.connect(database_url, row_factory=dict_row) as conn:
        cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Org') RETURNING id")
        org = (await cur.fetchone() or {})["id"]
        starts = datetime(2031, 6, 7, 18, tzinfo=UTC)
        for i in range(EVENTS):
            data = {
                "organizer_id": org,
                "title": f"Gig {i}",
                "category": "music",
                "timezone": "Europe/Paris",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "status": "published",
                "is_free": True,
                "location": Point(lat=PARIS[0], lon=PARIS[1] + 0.0001 * i),
            }
            await create_event(conn, EventCreate.model_validate(data))
        await conn.commit()


async def test_two_workers_one_killed_mid_batch_deliver_every_notice_exactly_once(
    clean_db: str, redis_prefix: str
) -> None:
    with psycopg.connect(clean_db, autocommit=True, row_factory=dict_row) as conn:
        people = setup_world(conn)
        await publish_events(clean_db)
        first, second = start_worker(clean_db, redis_prefix), start_worker(clean_db, redis_prefix)
        try:
            wait_for(conn, lambda c: c["pushed"] >= 200)
            first.send_signal(signal.SIGKILL)  # mid-batch: both jobs are busy
            first.wait(10)
            midway = counts(conn)
            assert midway["settled"] < PEOPLE * EVENTS or midway["unhandled"] > 0, midway
            first = start_worker(clean_db, redis_prefix)
            final = wait_for(conn, lambda c: c["unhandled"] == 0 and c["settled"] == c["notices"] == PEOPLE * EVENTS)
        finally:
            for process in (first, second):
                process.send_signal(signal.SIGTERM)
            for process in (first, second):
                process.wait(20)

        assert final["pushed"] == PEOPLE * CAP
        # Each pushed notice reached the outbox once (its id is in the body), and no notice twice.
        rows = conn.execute(
            "SELECT substring(body from '\\[notice ([0-9]+) ') AS notice, count(*) AS n FROM mail_outbox "
            "WHERE kind = 'push' GROUP BY 1"
        ).fetchall()
        assert len(rows) == PEOPLE * CAP and all(row["n"] == 1 for row in rows)
        per_person = conn.execute(
            "SELECT account_id, count(*) FILTER (WHERE state = 'sent') AS sent, "
            "count(*) FILTER (WHERE state = 'inbox_only') AS inbox_only, count(DISTINCT event_id) AS events "
            "FROM notices GROUP BY account_id"
        ).fetchall()
        assert {row["account_id"] for row in per_person} == set(people)
        assert all((r["sent"], r["inbox_only"], r["events"]) == (CAP, EVENTS - CAP, EVENTS) for r in per_person)
