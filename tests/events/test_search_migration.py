"""Migration 0003 runs forward on a populated table and back down cleanly."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from app.migrations_state import downgrade, upgrade
from tests.fixtures.database import create_database, drop_database, unique_name


@pytest.fixture
def populated_at_0002() -> Iterator[str]:
    name = unique_name("happenings_migration")
    url = create_database(name)
    upgrade(_sqlalchemy(url), "0002")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            WITH o AS (INSERT INTO organizers (name) VALUES ('Org') RETURNING id)
            INSERT INTO events (cell, organizer_id, category, title, description, tags, starts_at, ends_at,
                                timezone, status, geom)
            SELECT n, o.id, 'music', 'Café concert ' || n, 'Jazz in the park', '{jazz,live}', now(),
                   now() + interval '2 hours', 'Europe/Paris', 'published', ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326)
            FROM o, generate_series(1, 200) AS n
            """
        )
    yield url
    drop_database(name)


def test_upgrade_populated_then_downgrade(populated_at_0002: str) -> None:
    url = populated_at_0002
    upgrade(_sqlalchemy(url), "0003")
    with psycopg.connect(url) as conn:
        stale = conn.execute("SELECT count(*) FROM events WHERE NOT search @@ to_tsquery('english', 'cafe & concert')")
        assert stale.fetchone() == (0,)
        indexes = {row[0] for row in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'events'")}
        assert {"events_search_idx", "events_title_trgm_idx", "events_walk_start_idx"} <= indexes

    downgrade(_sqlalchemy(url), "0002")
    with psycopg.connect(url) as conn:
        columns = {row[0] for row in conn.execute("SELECT column_name FROM information_schema.columns "
                                                    "WHERE table_name = 'events'")}  # fmt: skip
        assert "search" not in columns
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (200,)
        assert conn.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'happenings_%%'").fetchone() == (0,)
    upgrade(_sqlalchemy(url), "0003")  # and forward again


def _sqlalchemy(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)
