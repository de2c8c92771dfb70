"""Relevance pages walked over ``event_terms`` (migrations 0010, 0027): the postings follow every write,
and a walked page is exactly the page the exact query finds, across cells, filters and cursors."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from app.events import derived, queries
from app.events.criteria import Criteria
from app.events.discovery import page_rows
from app.events.filters import Filters
from app.events.paging import Position
from app.events.schemas import EventUpdate, Point
from app.events.service import delete_event, update_event
from geo.bbox import BBox
from geo.cells import cells_covering_bbox
from geo.circle import Circle
from tests.events.conftest import NOW, World

# What the postings must be, written out independently of the migration: one per public event
# and lexeme of its title or tags (weights A, B), keyed by the event's relevance key for that
# lexeme alone (quoted with %L: the test data holds no backslash).
EXPECTED_POSTINGS = """
    SELECT e.cell, t.lexeme, -(1 + ts_rank(e.search, format('%L', t.lexeme)::tsquery, 32)::float8),
           e.id, e.starts_at, e.ends_at, e.px, e.py
    FROM events e CROSS JOIN LATERAL unnest(e.search) t
    WHERE e.status IN ('published', 'cancelled') AND (t.weights && '{A}' OR t.weights && '{B}')
"""
POSTINGS = "SELECT cell, lexeme, sort_key, id, starts_at, ends_at, px, py FROM event_terms"


async def drift(db: Any) -> list[Any]:
    """Postings that should be there and are not, or are there and should not be."""
    cur = await db.execute(
        f"({EXPECTED_POSTINGS} EXCEPT ALL {POSTINGS}) UNION ALL ({POSTINGS} EXCEPT ALL {EXPECTED_POSTINGS})"
    )
    return await cur.fetchall()


async def test_postings_follow_every_kind_of_write(db, world: World) -> None:
    jazz = await world.event(title="Jazz on the Quay", tags=["jazz", "live"], description="Free jazz jam")
    draft = await world.event(title="Secret jazz rehearsal", status="draft")
    await world.event(title="Tango", description="only the description mentions jazz")
    assert await drift(db) == []
    cur = await db.execute("SELECT count(*) AS n FROM event_terms WHERE id = %s", (jazz["id"],))
    assert (await cur.fetchone())["n"] == 3  # jazz, quay (title), live (tags); not "free", "jam"

    edits: list[tuple[Any, EventUpdate]] = [
        (jazz["id"], EventUpdate(title="Blues on the Quay")),
        (jazz["id"], EventUpdate(tags=["blues", "late-night"])),
        (jazz["id"], EventUpdate(description="Blues, blues and more blues")),  # the ranks of "blues"
        (jazz["id"], EventUpdate(location=Point(lat=40.71, lon=-74.0))),  # another cell and partition
        (jazz["id"], EventUpdate(starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=3, hours=2))),
        (jazz["id"], EventUpdate(status="cancelled")),  # still public
        (draft["id"], EventUpdate(status="published")),
        (jazz["id"], EventUpdate(popularity=7)),  # no posting changes
        (jazz["id"], EventUpdate(status="draft")),
    ]
    for event_id, patch in edits:
        await update_event(db, event_id, patch)
        assert await drift(db) == [], patch

    many = "UPDATE events SET title = title || ' Jazz', popularity = popularity + 1"  # many rows at once
    await derived.write_rows(db, await derived.keys_of(db), many)
    assert await drift(db) == []
    await delete_event(db, draft["id"])
    assert await drift(db) == []
    await derived.write_rows(db, await derived.keys_of(db), "DELETE FROM events")
    cur = await db.execute("SELECT count(*) AS n FROM event_terms")
    assert (await cur.fetchone())["n"] == 0


async def test_search_lexeme_is_one_word_or_nothing(db) -> None:
    cases = {
        "Concerts": "concert",
        "café": "cafe",
        '"jazz"': "jazz",
        "the": None,  # a stop word
        "jazz festival": None,
        "-jazz": None,
        "jazz or blues": None,
        "hip-hop": None,  # one word, three lexemes
        "it's": None,
    }
    for q, lexeme in cases.items():
        cur = await db.execute("SELECT happenings_search_lexeme(%s) AS l", (q,))
        assert (await cur.fetchone())["l"] == lexeme, q


async def test_lexeme_query_quotes_anything(db) -> None:
    for lexeme in ["it's", "a\\b", "two words", "''", "&|!"]:
        cur = await db.execute(
            "SELECT numnode(happenings_lexeme_query(%(l)s)) AS nodes, "
            "array_to_tsvector(ARRAY[%(l)s]) @@ happenings_lexeme_query(%(l)s) AS matches",
            {"l": lexeme},
        )
        assert await cur.fetchone() == {"nodes": 1, "matches": True}, lexeme


# A box over several partition cells, and events in and around it whose ranks for "jazz" differ:
# the word in the title (once or repeated), in the tags, only in the description.
WEST, SOUTH, EAST, NORTH = 1.9, 48.6, 2.8, 49.1


async def _jazz_world(world: World) -> None:
    assert len(cells_covering_bbox(BBox(WEST, SOUTH, EAST, NORTH)) or []) > 2
    titles = ["Jazz night", "Jazz jazz jazz", "Late jazz and jazz", "Blues night"]
    for n in range(48):
        lat, lon = SOUTH + 0.5 * ((n * 7) % 48) / 48, WEST + 0.9 * ((n * 11) % 48) / 48
        await world.event(
            lat,
            lon,
            title=titles[n % 4],
            tags=["jazz"] if n % 3 == 0 else ["live"],
            description="jazz " * (n % 5),
            category="music" if n % 2 else "nightlife",
            starts_in=timedelta(hours=2 + n),
        )
    for n in range(16):  # just outside the box, in its covering cells
        lat, lon = (NORTH + 0.05, WEST + 0.05 * n) if n % 2 else (SOUTH + 0.03 * n, WEST - 0.05)
        await world.event(lat, lon, title="Jazz jazz outside", tags=["jazz"])
    await world.event(48.8, 2.3, title="Jazz draft", status="draft")
    await world.event(48.8, 2.3, title="Jazz that ended", starts_in=timedelta(hours=-5), duration=timedelta(hours=1))


async def _pages(conn: Any, criteria: Criteria, limit: int, *, walk: bool) -> tuple[list[list[Any]], int]:
    """Every page by following positions; with ``walk``, how many pages a walk alone answered."""
    pages: list[list[Any]] = []
    walked = 0
    position = Position(as_of=NOW)
    while True:
        if walk:
            statement = queries.list_statement(criteria, position, limit + 1)
            walked += not statement.final and len(await queries.fetch(conn, statement)) > limit
            rows = await page_rows(conn, criteria, position, limit)
        else:
            rows = await queries.fetch(conn, queries.exact_statement(criteria, position, limit + 1))
        pages.append([(row["sort_key"], row["id"]) for row in rows[:limit]])
        if len(rows) <= limit:
            return pages, walked
        position = dataclasses.replace(position, after=pages[-1][-1])


@pytest.mark.parametrize("scan_cap", [2, 500])
async def test_walked_pages_are_the_exact_pages(db, world: World, monkeypatch, scan_cap: int) -> None:
    """Tiny caps make every cell's walk stop early (frontiers); large ones let walks fill pages."""
    monkeypatch.setattr(queries, "MIN_SCAN_CAP", scan_cap)
    monkeypatch.setattr(queries, "SCAN_CAP_PER_ROW", 1)
    await _jazz_world(world)
    box = BBox(WEST, SOUTH, EAST, NORTH)
    later = NOW + timedelta(hours=40)
    variants = [
        Criteria(area=box, sort="relevance", filters=Filters(text="jazz")),
        Criteria(area=box, sort="relevance", filters=Filters(text="Jazzes")),
        Criteria(area=box, sort="relevance", filters=Filters(text="jazz", categories=("music",))),
        Criteria(
            area=box,
            sort="relevance",
            filters=Filters(text="jazz", starts_after=NOW + timedelta(hours=10), starts_before=later),
        ),
        Criteria(area=Circle(48.85, 2.35, 20_000), sort="relevance", filters=Filters(text="jazz")),
        Criteria(area=box, sort="relevance", filters=Filters(text="blues")),  # description-free word, few matches
        Criteria(area=box, sort="relevance", filters=Filters(text="jazz night")),  # two words: never walked
    ]
    walked_in_all = 0
    for criteria in variants:
        for limit in (1, 4, 50):
            walked, walked_pages = await _pages(db, criteria, limit, walk=True)
            exact, _ = await _pages(db, criteria, limit, walk=False)
            assert walked == exact, (criteria, limit)
            walked_in_all += walked_pages
    assert walked_in_all > (0 if scan_cap == 2 else 40)  # the walk, not only its fallback, was tested


async def test_walk_across_the_antimeridian_matches_the_exact_query(db, world: World) -> None:
    for n in range(12):
        await world.event(-17.0 + n * 0.1, 179.9 if n % 2 else -179.9, title="Kava jazz" + " jazz" * (n % 3))
    criteria = Criteria(area=BBox(179.5, -18.0, -179.5, -15.0), sort="relevance", filters=Filters(text="jazz"))
    walked, walked_pages = await _pages(db, criteria, 3, walk=True)
    exact, _ = await _pages(db, criteria, 3, walk=False)
    assert walked == exact and sum(len(page) for page in exact) == 12 and walked_pages > 0
