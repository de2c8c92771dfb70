"""Seeding a real (migrated) database: what lands in the tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from app.events import derived
from app.seed import loader
from app.seed.generator import build_world, iter_events
from app.seed.timeplan import DAYS_AFTER, DAYS_BEFORE
from geo.cells import cell_of

REFERENCE = date(2025, 3, 14)
EVENTS = 2_000


@pytest.fixture(scope="module")
def seeded(database_url: str) -> Iterator[str]:
    """The suite's database seeded once for this module (like clean_db, emptied afterwards)."""
    report = loader.seed_database(database_url, EVENTS, seed=11, reference_date=REFERENCE, truncate=True)
    assert (report.events, report.organizers, report.venues) == (EVENTS, 40, 200)
    yield database_url
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE events, venues, organizers CASCADE")
        conn.execute(derived.REBUILD)


def fetch(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()  # type: ignore[arg-type]


def scalar(url: str, query: str) -> object:
    return fetch(url, query)[0][0]


def test_rows_match_the_generator(seeded: str) -> None:
    expected = {row.uuid: row for row in iter_events(build_world(11, EVENTS, REFERENCE))}
    stored = fetch(seeded, "SELECT id, title, tags, starts_at, ends_at, price_min, price_max, currency FROM events")
    assert len(stored) == EVENTS
    for event_id, title, tags, starts_at, ends_at, price_min, price_max, currency in stored:
        row = expected[event_id]  # type: ignore[index]
        assert (title, tags, starts_at, ends_at) == (row.title, list(row.tags), row.starts_at, row.ends_at)
        assert (price_min, price_max, (currency or None)) == (row.price_min, row.price_max, row.currency)


def test_cell_is_the_partition_cell_of_the_point(seeded: str) -> None:
    for cell, lat, lon in fetch(seeded, "SELECT cell, ST_Y(geom), ST_X(geom) FROM events"):
        assert cell == cell_of(lat, lon)  # type: ignore[arg-type]


def test_venue_events_sit_on_their_venue(seeded: str) -> None:
    at_venue = scalar(seeded, "SELECT count(*) FROM events WHERE venue_id IS NOT NULL")
    assert 0.75 * EVENTS < at_venue < 0.85 * EVENTS  # type: ignore[operator]
    misplaced = "SELECT count(*) FROM events e JOIN venues v ON v.id = e.venue_id WHERE NOT ST_Equals(e.geom, v.geom)"
    assert scalar(seeded, misplaced) == 0
    copied = (
        "SELECT count(*) FROM events e JOIN venues v ON v.id = e.venue_id "
        "WHERE e.venue_name = v.name AND ST_Equals(e.venue_geom, v.geom)"
    )
    assert scalar(seeded, copied) == at_venue


def test_free_share_and_prices(seeded: str) -> None:
    free = scalar(seeded, "SELECT avg(is_free::int) FROM events")
    assert 0.28 < free < 0.42  # type: ignore[operator]
    assert scalar(seeded, "SELECT count(*) FROM events WHERE NOT is_free AND currency IS NULL") == 0


def test_times_are_in_the_window_and_mostly_local_evenings(seeded: str) -> None:
    earliest, latest = fetch(seeded, "SELECT min(starts_at), max(starts_at) FROM events")[0]
    # Local days of the window, seen from UTC: a zone is at most 14 hours off, a start at most 23:30.
    midnight = datetime(REFERENCE.year, REFERENCE.month, REFERENCE.day, tzinfo=UTC)
    assert earliest >= midnight - timedelta(days=DAYS_BEFORE, hours=14)  # type: ignore[operator]
    assert latest <= midnight + timedelta(days=DAYS_AFTER + 1, hours=14)  # type: ignore[operator]
    hours = [hour for (hour,) in fetch(seeded, "SELECT extract(hour FROM starts_at AT TIME ZONE timezone) FROM events")]
    assert min(hours) >= 9  # type: ignore[type-var]
    evening = sum(1 for hour in hours if 18 <= hour <= 22)  # type: ignore[operator]
    assert evening > 0.5 * len(hours)
    weekend = scalar(seeded, "SELECT avg((extract(isodow FROM starts_at AT TIME ZONE timezone) >= 5)::int) FROM events")
    assert weekend > 0.5  # type: ignore[operator]


def test_every_category_is_used(seeded: str) -> None:
    used = {slug for (slug,) in fetch(seeded, "SELECT DISTINCT category FROM events")}
    assert used == {slug for (slug,) in fetch(seeded, "SELECT slug FROM categories")}
    assert len(used) == 12


def test_a_load_fills_the_event_locator(seeded: str) -> None:
    """Every loaded event is found by its id alone through ``event_locator`` (one cell, one shard)."""
    with psycopg.connect(seeded) as conn:
        missing = conn.execute(
            "SELECT count(*) FROM events e LEFT JOIN event_locator l ON l.id = e.id AND l.cell = e.cell "
            "WHERE l.id IS NULL"
        ).fetchone()
        counts = conn.execute("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM event_locator)").fetchone()
    assert missing == (0,)
    assert counts is not None and counts[0] == counts[1] > 0
