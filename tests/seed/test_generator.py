"""The pure generator: deterministic, valid against the schema's rules, varied enough to search."""

from __future__ import annotations

import random
import re
import uuid
from datetime import date, timedelta

import pytest

from app.seed import vocabulary
from app.seed.copytext import EVENT_COLUMNS, event_lines
from app.seed.generator import CHUNK_SIZE, EventRow, World, build_world, generate_chunk, iter_events
from app.seed.money import CURRENCIES, price_menu
from app.seed.sampling import uuid4_int
from app.seed.timeplan import DAYS_AFTER, DAYS_BEFORE

REFERENCE = date(2025, 3, 14)
TAG = re.compile(r"^[a-z][a-z-]*$")


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(seed=7, events=12_000, reference_date=REFERENCE)


@pytest.fixture(scope="module")
def rows(world: World) -> list[EventRow]:
    return list(iter_events(world))


def test_same_seed_same_rows(world: World, rows: list[EventRow]) -> None:
    again = build_world(seed=7, events=12_000, reference_date=REFERENCE)
    assert again.organizers == world.organizers
    assert again.venues == world.venues
    assert list(iter_events(again)) == rows


def test_different_seed_or_date_different_rows(rows: list[EventRow]) -> None:
    other_seed = list(iter_events(build_world(seed=8, events=12_000, reference_date=REFERENCE)))
    other_date = list(iter_events(build_world(seed=7, events=12_000, reference_date=REFERENCE + timedelta(days=1))))
    assert {row.id for row in other_seed}.isdisjoint(row.id for row in rows)
    assert [row.starts for row in other_date] != [row.starts for row in rows]


def test_chunks_do_not_depend_on_order(world: World, rows: list[EventRow]) -> None:
    # Worker processes make chunks in any order: chunk 1 alone must equal its slice of the stream.
    assert generate_chunk(world, 1) == rows[CHUNK_SIZE:]
    assert len(rows) == 12_000


def test_ids_are_version_4_uuids_from_the_seeded_generator() -> None:
    rng = random.Random(1)
    for _ in range(100):
        bits = rng.getrandbits(128)
        assert uuid4_int(bits) == uuid.UUID(int=bits, version=4).int
    assert len({row.id for row in iter_events(build_world(1, 2_000, REFERENCE))}) == 2_000


def test_rows_respect_the_schema_rules(rows: list[EventRow]) -> None:
    for row in rows:
        assert 1 <= len(row.title) <= 200
        assert len(row.tags) <= 4 and len(set(row.tags)) == len(row.tags)
        assert row.ends >= row.starts
        assert row.popularity >= 0
        assert row.capacity is None or row.capacity > 0
        assert -85.0 <= row.lat <= 85.0 and -180.0 <= row.lon < 180.0
        if row.is_free:
            assert row.price_min == 0 and row.price_max in (0, None) and row.currency is None
        else:
            assert row.price_min is not None and row.price_max is not None
            assert 0 < row.price_min <= row.price_max and row.currency is not None
            assert re.fullmatch(r"[A-Z]{3}", row.currency)


def test_distributions_are_plausible(rows: list[EventRow]) -> None:
    share = lambda predicate: sum(1 for row in rows if predicate(row)) / len(rows)  # noqa: E731
    assert 0.30 < share(lambda row: row.is_free) < 0.40
    assert 0.75 < share(lambda row: row.venue_id is not None) < 0.85
    assert 0.89 < share(lambda row: row.status == "published") < 0.95
    assert 0.005 < share(lambda row: row.ends - row.starts > 86_400) < 0.04
    popularity = sorted(row.popularity for row in rows)
    assert popularity[len(popularity) // 2] < 20 < popularity[-1] // 50  # long tail
    assert {row.category for row in rows} == {words.slug for words in vocabulary.CATEGORIES}


def test_dates_stay_in_the_window(rows: list[EventRow]) -> None:
    earliest = min(row.starts_at for row in rows).date()
    latest = max(row.starts_at for row in rows).date()
    assert earliest >= REFERENCE - timedelta(days=DAYS_BEFORE + 1)
    assert latest <= REFERENCE + timedelta(days=DAYS_AFTER + 1)
    assert all(row.starts_at.tzinfo is not None for row in rows[:10])


def test_titles_are_varied_and_accented(rows: list[EventRow]) -> None:
    titles = {row.title for row in rows}
    assert len(titles) > 0.8 * len(rows)
    assert any("Café" in title for title in titles)
    assert any("Fête" in title for title in titles)


def test_vocabulary_needs_no_copy_escaping() -> None:
    # Event lines are written without an escaping pass (see copytext): keep it safe.
    words = [
        *vocabulary.VENUE_FIRST, *vocabulary.VENUE_SECOND, *vocabulary.OUTDOOR_PLACES,
        *vocabulary.STREETS, *vocabulary.ORGANIZER_FIRST, *vocabulary.ORGANIZER_SECOND,
    ]  # fmt: skip
    for category in vocabulary.CATEGORIES:
        words += [*category.templates, *category.first_words, *category.second_words, *category.descriptions]
        assert all(TAG.match(tag) and tag != "null" for tag in category.tags), category.slug
    assert not [word for word in words if re.search(r"[\t\n\r\\]", word)]


def test_event_lines_have_one_field_per_column(rows: list[EventRow]) -> None:
    lines = event_lines(rows[:500]).splitlines()
    assert len(lines) == 500
    assert {line.count("\t") for line in lines} == {len(EVENT_COLUMNS) - 1}


def test_paid_prices_fit_the_integer_columns() -> None:
    for currency in CURRENCIES:
        for price in price_menu(currency):
            assert price.price_min is not None and price.price_max is not None
            assert 0 < price.price_min <= price.price_max < 2**31, currency
