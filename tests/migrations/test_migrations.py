"""Alembic runs from empty to head, back to base, and forward over a populated database."""

from __future__ import annotations

import psycopg
import pytest

from app.migrations_state import downgrade, expected_heads, upgrade
from tests.fixtures.database import create_database, drop_database, unique_name


def _sa(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def scratch_url():  # type: ignore[no-untyped-def]
    name = unique_name("happenings_mig")
    url = create_database(name)
    yield url
    drop_database(name)


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    upgrade(_sa(scratch_url))
    assert {"events", "venues", "organizers", "categories"} <= _tables(scratch_url)
    downgrade(_sa(scratch_url))
    assert _tables(scratch_url) - {"spatial_ref_sys", "alembic_version"} == set()
    upgrade(_sa(scratch_url))
    with psycopg.connect(scratch_url) as conn:
        heads = {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}
    assert heads == expected_heads()


def test_every_migration_runs_forward_on_a_populated_database(scratch_url: str) -> None:
    """Load seeded data, walk the schema back to its first version (the rows stay), then run every
    later migration over them. (The seed writes the head schema, so it loads at head.)"""
    from app.seed.loader import seed_database

    upgrade(_sa(scratch_url))
    seed_database(scratch_url, events=3000, seed=3)
    downgrade(_sa(scratch_url), "0002")
    with psycopg.connect(scratch_url) as conn:
        columns = {r[0] for r in conn.execute("SELECT attname FROM pg_attribute WHERE attrelid = 'events'::regclass")}
    assert not {"venue_name", "search", "px"} & columns
    upgrade(_sa(scratch_url))
    with psycopg.connect(scratch_url) as conn:
        count = conn.execute("SELECT count(*) FROM events").fetchone()
        copies = conn.execute(
            "SELECT count(*) FILTER (WHERE e.venue_name = v.name AND ST_Equals(e.venue_geom, v.geom)), count(v.id) "
            "FROM events e LEFT JOIN venues v ON v.id = e.venue_id"
        ).fetchone()
        postings = conn.execute(
            "SELECT (SELECT count(*) FROM event_terms), (SELECT count(*) FROM events e, unnest(e.search) t "
            "WHERE e.status IN ('published', 'cancelled') AND t.weights && '{A,B}')"
        ).fetchone()
    assert count == (3000,)
    assert copies is not None and copies[0] == copies[1] > 2000  # every event at a venue has its copy back
    assert postings is not None and postings[0] == postings[1] > 3000  # migration 0010 posted every title word
