"""Tiles and the list API answer the same question the same way."""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import httpx
import pytest

from app.events.filters import Filters
from tests.tiles.conftest import NOW, Event, EventStore, features_of, inside
from tiles.filters import parse_filters, tile_conditions
from tiles.grid import Tile, tile_of

PARIS = (48.8566, 2.3522)
WORDS = ["jazz night", "vegan market", "techno rave", "café concert", "kids theatre", "open-air cinema"]

QUERIES = [
    "",
    "category=music",
    "category=music&category=food",
    "tag=outdoor",
    "tag=Outdoor&tag=kids",
    "free=true",
    "free=false",
    "price_max=2000",
    "min_popularity=5",
    "q=jazz",
    "q=cafe",  # accent-insensitive
    "q=concret",  # a typo: the trigram fallback
    "starts_after=" + (NOW + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "starts_after=" + NOW.strftime("%Y-%m-%dT%H:%M:%S%%2B02:00")
    + "&starts_before=" + (NOW + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "category=music&free=false&price_max=2500&tag=kids",
]


def _world(rng: random.Random, tile: Tile) -> list[Event]:
    box = tile.bbox()
    events = []
    for n in range(400):
        start = NOW + timedelta(hours=rng.uniform(-72, 240))
        free = rng.random() < 0.3
        events.append(
            Event(
                rng.uniform(box.south, box.north), rng.uniform(box.west, box.east),
                category=rng.choice(["music", "food", "arts"]),
                title=f"{rng.choice(WORDS)} #{n}",
                tags=sorted(rng.sample(["outdoor", "kids", "late"], rng.randrange(3))),
                starts_at=start, ends_at=start + timedelta(hours=rng.choice([1, 3, 30])),
                status=rng.choice(["published"] * 8 + ["cancelled", "draft"]),
                is_free=free, price_min=None if free else rng.choice([500, 1500, 2500, 4000]),
                price_max=None if free else 5000, currency=None if free else "EUR",
                popularity=rng.randrange(10),
            )
        )
    return events


@pytest.mark.parametrize("query", QUERIES, ids=[f"q{n}" for n in range(len(QUERIES))])
async def test_points_match_the_list_api(client: httpx.AsyncClient, store: EventStore, query: str) -> None:
    tile = tile_of(*PARIS, 12)
    await store.add(_world(random.Random(zlib.crc32(query.split("=")[0].encode())), tile))
    box = tile.bbox()
    listed = await client.get(
        "/api/v1/events",
        params=[("bbox", f"{box.west},{box.south},{box.east},{box.north}"), ("limit", "500"), *parse_qsl(query)],
    )
    assert listed.status_code == 200, listed.text
    expected = {item["id"] for item in listed.json()["items"]}
    got = {f["properties"]["id"] for f in await features_of(client, tile, query) if inside(f)}
    assert got == expected
    clusters = await features_of(client, tile_of(*PARIS, 5), query)
    assert sum(f["properties"]["count"] for f in clusters) == len(expected)


def test_equal_filters_share_one_canonical_form() -> None:
    a = parse_filters("category=music&category=arts&tag=Kids&tag=kids&free=1&starts_after=2030-01-01T01:00:00%2B01:00")
    b = parse_filters("starts_after=2030-01-01T00:00:00Z&free=true&tag=kids&category=arts&category=music")
    assert a == b and a.digest == b.digest
    assert a.query == "category=arts&category=music&tag=kids&starts_after=2030-01-01T00%3A00%3A00Z&free=true"
    assert parse_filters("").query == "" and parse_filters("q=%20%20").text is None
    assert parse_filters("q=a%7Bz%7D").query == "q=a%7Bz%7D"  # never a {z} in a URL template
    assert Filters(categories=("music",)).digest != Filters().digest


def test_filters_build_bound_sql() -> None:
    params: dict[str, object] = {}
    filters = parse_filters("q=x'%3B+drop+table+events&category=music&starts_after=2030-01-01T00:00:00Z")
    where = tile_conditions(filters, params)
    sql = " AND ".join(where)
    assert "drop" not in sql and "music" not in sql
    assert params["q"] == "x'; drop table events" and params["categories"] == ["music"]
    assert params["starts_after"] == datetime(2030, 1, 1, tzinfo=UTC)
    assert "e.ends_at >= now()" in tile_conditions(parse_filters(""), {})
