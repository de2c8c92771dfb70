"""What: time windows (and time zones), categories, tags, price, popularity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.events.conftest import World, bbox_param, get_page, ids

PARIS_BOX = bbox_param(2.2, 48.8, 2.5, 48.9)


@pytest.fixture
def settings(settings):
    """Allow a bbox around the northern hemisphere's mid-latitudes (two cities 13 time zones apart)."""
    wide = {"max_bbox_area_deg2": 5000, "max_bbox_width_deg": 360}
    return settings.model_copy(update={"discovery": settings.discovery.model_copy(update=wide)})


async def test_by_default_only_events_that_have_not_ended(client, world: World) -> None:
    await world.event(starts_in=timedelta(hours=-3), duration=timedelta(hours=2))  # ended an hour ago
    running = await world.event(starts_in=timedelta(hours=-1), duration=timedelta(hours=2))
    upcoming = await world.event(starts_in=timedelta(days=3))

    body = await get_page(client, bbox=PARIS_BOX)

    assert ids(body) == [str(running["id"]), str(upcoming["id"])]


async def test_starts_after_and_before_compare_instants_across_time_zones(client, world: World) -> None:
    """20:00 in Tokyo and 20:00 in New York on the same date are 13-14 hours apart."""
    day = (datetime.now(UTC) + timedelta(days=10)).date()
    tokyo_start = datetime(day.year, day.month, day.day, 20, tzinfo=ZoneInfo("Asia/Tokyo"))
    ny_start = datetime(day.year, day.month, day.day, 20, tzinfo=ZoneInfo("America/New_York"))
    tokyo = await world.event(35.68, 139.69, starts_at=tokyo_start, timezone="Asia/Tokyo")
    new_york = await world.event(40.71, -74.0, starts_at=ny_start, timezone="America/New_York")
    both = {"bbox": bbox_param(-180, 30, 180, 42)}  # 4,320 square degrees

    # The window 19:00-21:00 written in UTC (Z) holds Tokyo's evening, not New York's.
    utc_window = _window(tokyo_start.astimezone(UTC))
    assert utc_window["starts_after"].endswith("Z")
    assert ids(await get_page(client, **both, **utc_window)) == [str(tokyo["id"])]
    # The same wall-clock window written with New York's offset holds New York's.
    ny_window = _window(ny_start)
    assert ny_window["starts_after"].endswith(("-05:00", "-04:00"))
    body = await get_page(client, **both, **ny_window)
    assert ids(body) == [str(new_york["id"])]

    item = body["items"][0]
    assert item["timezone"] == "America/New_York"
    assert item["starts_at"] == ny_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    detail = (await client.get(f"/api/v1/events/{tokyo['id']}")).json()
    assert detail["starts_at"] == f"{day}T11:00:00Z"
    assert detail["local_starts_at"] == f"{day}T20:00:00+09:00"
    assert detail["timezone"] == "Asia/Tokyo"


def _window(moment: datetime) -> dict[str, str]:
    def iso(value: datetime) -> str:
        text = value.isoformat()
        return text.replace("+00:00", "Z")

    return {"starts_after": iso(moment - timedelta(hours=1)), "starts_before": iso(moment + timedelta(hours=1))}


async def test_starts_after_shows_events_that_have_ended(client, world: World) -> None:
    ended = await world.event(starts_in=timedelta(hours=-5), duration=timedelta(hours=1))

    body = await get_page(client, bbox=PARIS_BOX, starts_after=(datetime.now(UTC) - timedelta(days=1)).isoformat())

    assert ids(body) == [str(ended["id"])]


async def test_category_is_repeatable(client, world: World) -> None:
    music = await world.event(category="music")
    food = await world.event(category="food")
    await world.event(category="sports")

    assert ids(await get_page(client, bbox=PARIS_BOX, category="food")) == [str(food["id"])]
    both = await get_page(client, bbox=PARIS_BOX, category=["music", "food"])
    assert sorted(ids(both)) == sorted([str(music["id"]), str(food["id"])])


async def test_tag_matches_any_of_the_given_tags_case_insensitively(client, world: World) -> None:
    jazz = await world.event(tags=["jazz", "live"])
    techno = await world.event(tags=["techno"])
    await world.event(tags=["opera"])

    assert ids(await get_page(client, bbox=PARIS_BOX, tag="Jazz")) == [str(jazz["id"])]
    either = await get_page(client, bbox=PARIS_BOX, tag=["jazz", "techno"])
    assert sorted(ids(either)) == sorted([str(jazz["id"]), str(techno["id"])])


async def test_free_and_price_max(client, world: World) -> None:
    free = await world.event(is_free=True)
    cheap = await world.event(price_min=1_000, price_max=2_500, currency="EUR")
    dear = await world.event(price_min=8_000, price_max=12_000, currency="EUR")
    unpriced = await world.event()

    assert ids(await get_page(client, bbox=PARIS_BOX, free="true")) == [str(free["id"])]
    paid = await get_page(client, bbox=PARIS_BOX, free="false")
    assert sorted(ids(paid)) == sorted(str(e["id"]) for e in (cheap, dear, unpriced))
    # Entry at most 15.00: free events qualify, events without a known price do not.
    affordable = await get_page(client, bbox=PARIS_BOX, price_max=1_500)
    assert sorted(ids(affordable)) == sorted([str(free["id"]), str(cheap["id"])])
    item = next(i for i in affordable["items"] if i["id"] == str(cheap["id"]))
    assert (item["price_min"], item["price_max"], item["currency"], item["is_free"]) == (1000, 2500, "EUR", False)


async def test_min_popularity(client, world: World) -> None:
    await world.event(popularity=3)
    hot = await world.event(popularity=300)

    assert ids(await get_page(client, bbox=PARIS_BOX, min_popularity=100)) == [str(hot["id"])]


async def test_items_carry_the_contract_fields_and_the_venue(client, world: World) -> None:
    venue = await world.venue(48.87, 2.33, name="Salle Pleyel")
    at_venue = await world.event(None, None, venue_id=venue, title="Récital", tags=["piano"])
    outdoors = await world.event(48.85, 2.30, title="Picnic")

    items = {item["id"]: item for item in (await get_page(client, bbox=PARIS_BOX))["items"]}

    item = items[str(at_venue["id"])]
    assert set(item) == {
        "id", "title", "category", "tags", "starts_at", "ends_at", "timezone", "venue", "lat", "lon",
        "is_free", "price_min", "price_max", "currency", "popularity", "status", "location_approximate", "image",
        "places_left", "sold_out",
    }  # fmt: skip
    assert item["location_approximate"] is False
    assert item["venue"] == {"id": str(venue), "name": "Salle Pleyel", "lat": 48.87, "lon": 2.33}
    assert (item["lat"], item["lon"], item["title"], item["tags"]) == (48.87, 2.33, "Récital", ["piano"])
    assert items[str(outdoors["id"])]["venue"] is None
    assert (items[str(outdoors["id"])]["lat"], items[str(outdoors["id"])]["lon"]) == (48.85, 2.30)
