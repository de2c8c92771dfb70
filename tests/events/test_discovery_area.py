"""Where: bounding boxes (antimeridian, edges), circles, and the H3 partition covers behind them."""

from __future__ import annotations

import random

from geopy.distance import geodesic

from tests.events.conftest import World, bbox_param, get_page, ids


async def test_bbox_returns_public_events_inside_only(client, world: World) -> None:
    inside = await world.event(48.85, 2.35)
    cancelled = await world.event(48.86, 2.34, status="cancelled")
    await world.event(48.85, 2.35, status="draft")
    await world.event(45.76, 4.83)  # Lyon

    body = await get_page(client, bbox=bbox_param(2.2, 48.8, 2.5, 48.9))

    assert sorted(ids(body)) == sorted([str(inside["id"]), str(cancelled["id"])])
    statuses = {item["id"]: item["status"] for item in body["items"]}
    assert statuses[str(cancelled["id"])] == "cancelled"


async def test_bbox_across_the_antimeridian(client, world: World) -> None:
    east_of_line = await world.event(-15.0, 179.5)
    west_of_line = await world.event(-15.0, -179.5)
    on_line_east = await world.event(-15.0, 180.0)
    on_line_west = await world.event(-15.0, -180.0)
    await world.event(-15.0, 0.0)  # the other side of the world: a naive west..east box holds it
    await world.event(-15.0, 160.0)

    body = await get_page(client, bbox=bbox_param(170.0, -20.0, -170.0, -10.0))

    expected = [east_of_line, west_of_line, on_line_east, on_line_west]
    assert sorted(ids(body)) == sorted(str(e["id"]) for e in expected)


async def test_events_exactly_on_the_edges_are_included_and_just_outside_are_not(client, world: World) -> None:
    west, south, east, north = 2.25, 48.81, 2.42, 48.9
    on_edges = [
        await world.event(south, 2.3),  # south edge
        await world.event(north, 2.3),  # north edge
        await world.event(48.85, west),  # west edge
        await world.event(48.85, east),  # east edge
        await world.event(south, west),  # corner
        await world.event(north, east),  # corner
    ]
    for lat, lon in [(south - 1e-7, 2.3), (north + 1e-7, 2.3), (48.85, west - 1e-7), (48.85, east + 1e-7)]:
        await world.event(lat, lon)

    body = await get_page(client, bbox=bbox_param(west, south, east, north))

    assert sorted(ids(body)) == sorted(str(e["id"]) for e in on_edges)


async def test_radius_query_matches_geodesic_distance(client, world: World) -> None:
    centre = (40.4168, -3.7038)  # Madrid
    rng = random.Random(7)
    expected = set()
    for _ in range(40):
        lat, lon = centre[0] + rng.uniform(-0.1, 0.1), centre[1] + rng.uniform(-0.13, 0.13)
        event = await world.event(lat, lon)
        metres = geodesic(centre, (lat, lon)).meters
        if abs(metres - 8_000) < 20:  # too close to the circle to call with geopy's own rounding
            continue
        if metres <= 8_000:
            expected.add(str(event["id"]))

    body = await get_page(client, lat=centre[0], lon=centre[1], radius_m=8_000, limit=500)

    assert expected <= set(ids(body))
    assert all(item["distance_m"] <= 8_000 for item in body["items"])
    assert len(body["items"]) == len(expected)


async def test_radius_across_the_antimeridian(client, world: World) -> None:
    near = await world.event(-17.0, -179.98)  # ~3.2 km east of the centre, across the line
    await world.event(-17.0, 179.0)  # ~106 km away

    body = await get_page(client, lat=-17.0, lon=179.99, radius_m=10_000)

    assert ids(body) == [str(near["id"])]
    assert abs(body["items"][0]["distance_m"] - geodesic((-17.0, 179.99), (-17.0, -179.98)).meters) < 1


async def test_partition_covers_lose_nothing_near_cell_edges(client, world: World) -> None:
    """Random points over a region spanning many H3 res-3 cells: the bbox answer equals a brute-force one."""
    rng = random.Random(42)
    region = (9.0, 44.0, 13.0, 47.0)  # northern Italy: a few dozen res-3 cells
    box = (10.1, 44.6, 12.3, 46.1)
    expected = set()
    for _ in range(150):
        lat, lon = rng.uniform(region[1], region[3]), rng.uniform(region[0], region[2])
        event = await world.event(lat, lon)
        if box[0] <= lon <= box[2] and box[1] <= lat <= box[3]:
            expected.add(str(event["id"]))

    body = await get_page(client, bbox=bbox_param(*box), limit=500)

    assert set(ids(body)) == expected
    assert len(expected) > 20
