"""The planner visits only the partitions whose cells a query's area covers."""

from __future__ import annotations

import random
import re

import h3
import psycopg
from psycopg import sql

from app.db import make_pool
from app.events import derived
from config.settings import DatabaseSettings
from geo.bbox import BBox
from geo.cells import PARTITION_RESOLUTION, cell_of, cells_covering_bbox

CITY_BBOX = BBox(2.22, 48.80, 2.47, 48.92)  # Paris, about 18 x 13 km


def _load_world(url: str, n: int = 3000) -> None:
    rng = random.Random(5)
    with psycopg.connect(url) as conn:
        org = conn.execute("INSERT INTO organizers (name) VALUES ('o') RETURNING id").fetchone()[0]  # type: ignore[index]
        with conn.cursor().copy(
            "COPY events (cell, organizer_id, category, title, starts_at, ends_at, timezone, status, geom) FROM STDIN"
        ) as copy:
            for _ in range(n):
                lat, lon = rng.uniform(-60, 70), rng.uniform(-180, 180)
                copy.write_row(
                    (cell_of(lat, lon), org, "music", "t", "2030-01-01T20:00Z", "2030-01-01T22:00Z", "UTC",
                     "published", f"SRID=4326;POINT({lon} {lat})")
                )
        conn.execute(derived.REBUILD)
        conn.commit()
        conn.execute("ANALYZE events")


def test_city_bbox_touches_few_partitions(clean_db: str) -> None:
    _load_world(clean_db)
    cover = cells_covering_bbox(CITY_BBOX)
    assert cover is not None and len(cover) <= 4
    with psycopg.connect(clean_db) as conn:
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                "EXPLAIN SELECT id FROM events WHERE cell = ANY(%s) "
                "AND geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
                (cover, CITY_BBOX.west, CITY_BBOX.south, CITY_BBOX.east, CITY_BBOX.north),
            )
        )
    scanned = set(re.findall(r"events_p\d\d", plan))
    assert 1 <= len(scanned) <= len(cover), plan
    assert len(scanned) < 64 // 8


def test_prepared_statements_prune_under_the_pool_plan_mode(clean_db: str) -> None:
    """A generic plan cannot prune `cell = ANY($1)` on hash partitions: the pool forces custom plans."""
    _load_world(clean_db, 500)
    cover = cells_covering_bbox(CITY_BBOX)
    assert cover is not None
    options = make_pool(DatabaseSettings(url=clean_db)).kwargs["options"]
    assert "plan_cache_mode=force_custom_plan" in options
    with psycopg.connect(clean_db) as conn:
        conn.execute("SET plan_cache_mode = force_custom_plan")
        conn.execute("PREPARE q(bigint[]) AS SELECT id FROM events WHERE cell = ANY($1)")
        statement = sql.SQL("EXPLAIN (ANALYZE, COSTS OFF) EXECUTE q({})").format(sql.Literal(cover))
        plan = "\n".join(r[0] for r in conn.execute(statement))
    assert len(set(re.findall(r"events_p\d\d", plan))) <= len(cover), plan


def test_every_point_in_a_box_lies_in_its_cover() -> None:
    """Points near cell edges are where naive covers lose events."""
    rng = random.Random(11)
    for _ in range(3000):
        cell = h3.latlng_to_cell(rng.uniform(-75, 75), rng.uniform(-179, 179), PARTITION_RESOLUTION)
        boundary = h3.cell_to_boundary(cell)
        (a_lat, a_lon), (b_lat, b_lon) = boundary[0], boundary[1]
        t = rng.random()
        lat, lon = a_lat + t * (b_lat - a_lat), a_lon + t * (b_lon - a_lon)  # on an edge, as H3 draws it
        half = rng.choice([0.0005, 0.01, 0.2])
        box = BBox(max(lon - half, -180), max(lat - half, -90), min(lon + half, 180), min(lat + half, 90))
        cover = cells_covering_bbox(box)
        assert cover is not None and cell_of(lat, lon) in cover
