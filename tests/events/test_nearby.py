"""Nearest first: geodesic distances, exact order where sphere and spheroid disagree, ties, paging."""

from __future__ import annotations

import math
import random

import h3
import pytest
from geopy.distance import geodesic

from geo.cells import PARTITION_RESOLUTION, cell_of
from tests.events.conftest import World, get_page, ids, walk

NEARBY = "/api/v1/events/nearby"


async def test_distances_match_a_geodesic_reference_within_half_a_percent(client, world: World) -> None:
    rng = random.Random(3)
    centres = [(0.0, 30.0), (51.5, -0.12), (-33.87, 151.21), (64.14, -21.94), (78.22, 15.65)]
    for lat, lon in centres:
        for _ in range(8):
            await world.event(lat + rng.uniform(-0.4, 0.4), lon + rng.uniform(-0.4, 0.4))

    for lat, lon in centres:
        body = await get_page(client, NEARBY, lat=lat, lon=lon, radius_m=100_000, limit=500)
        assert body["items"], (lat, lon)
        for item in body["items"]:
            reference = geodesic((lat, lon), (item["lat"], item["lon"])).meters
            assert abs(item["distance_m"] - reference) <= max(0.005 * reference, 0.1), (lat, lon, item)


async def test_nearest_first_limited_and_bounded_by_the_radius(client, world: World) -> None:
    centre = (52.52, 13.405)
    created = []
    for n in range(30):
        created.append(await world.event(centre[0] + 0.002 * n, centre[1] + 0.001 * (n % 3)))
    outside = await world.event(centre[0] + 0.2, centre[1])  # ~22 km

    body = await get_page(client, NEARBY, lat=centre[0], lon=centre[1], radius_m=10_000, limit=10)

    distances = [item["distance_m"] for item in body["items"]]
    assert len(distances) == 10 and distances == sorted(distances)
    assert ids(body) == [str(e["id"]) for e in created[:10]]
    everything = [i for page in await walk(client, NEARBY, lat=centre[0], lon=centre[1], limit=7) for i in page]
    assert str(outside["id"]) not in everything and len(everything) == 30


async def test_events_in_the_corners_of_the_circles_box_are_not_within_the_radius(client, world: World) -> None:
    """The walk runs over the circle's bounding box; the corners lie outside the circle (and are
    walked last), so they must never reach a page, whichever page runs out first."""
    lat, lon, radius_m = 48.8566, 2.3522, 5_000
    dlat, dlon = 0.0449, 0.0449 / math.cos(math.radians(lat))  # ~5 km north and east
    corners = [await world.event(lat + sy * dlat * 0.9, lon + sx * dlon * 0.9) for sy in (-1, 1) for sx in (-1, 1)]
    within = [await world.event(lat + 0.001 * n, lon) for n in range(5)]

    pages = await walk(client, NEARBY, lat=lat, lon=lon, radius_m=radius_m, limit=2)
    everything = [i for page in pages for i in page]

    assert everything == [str(e["id"]) for e in within]
    assert all(geodesic((lat, lon), (c["lat"], c["lon"])).meters > radius_m for c in corners)
    assert not {str(c["id"]) for c in corners} & set(everything)


async def test_order_is_the_true_geodesic_one_where_the_sphere_disagrees(client, world: World) -> None:
    """At the equator a metre north is ~0.6% shorter on the spheroid than on a sphere, a metre east ~0.1% longer.

    North at 1,000 m and east at 1,003 m: the sphere (what the KNN index uses) puts east first,
    the spheroid (what distance_m reports) puts north first. The API must follow distance_m.
    """
    north_lat = geodesic(meters=1_000).destination((0.0, 20.0), bearing=0).latitude
    east_lon = geodesic(meters=1_003).destination((0.0, 20.0), bearing=90).longitude
    east = await world.event(0.0, east_lon)
    north = await world.event(north_lat, 20.0)

    body = await get_page(client, NEARBY, lat=0.0, lon=20.0, limit=1)
    assert ids(body) == [str(north["id"])]
    second = await get_page(client, NEARBY, lat=0.0, lon=20.0, limit=1, cursor=body["next_cursor"])
    assert ids(second) == [str(east["id"])]
    assert body["items"][0]["distance_m"] < second["items"][0]["distance_m"]


@pytest.mark.parametrize(("lat", "lon"), [(69.65, 18.96), (-54.8, -68.3), (1.29, 103.85), (0.0, 179.99)])
async def test_order_follows_the_geodesic_distance_at_any_latitude(client, world: World, lat, lon) -> None:
    """Events all around the centre at distances 1% apart, in every direction: the pages walk them
    in true (spheroid) distance order, whichever index walks them (Mercator or geography)."""
    rng = random.Random(11)
    created = []
    for n in range(24):
        where = geodesic(meters=2_000 * 1.01**n).destination((lat, lon), bearing=rng.uniform(0, 360))
        created.append(await world.event(where.latitude, where.longitude))

    pages = await walk(client, NEARBY, lat=lat, lon=lon, radius_m=5_000, limit=5)

    by_distance = sorted(created, key=lambda e: geodesic((lat, lon), (e["lat"], e["lon"])).meters)
    assert [i for page in pages for i in page] == [str(e["id"]) for e in by_distance]


async def test_many_events_at_one_venue_page_by_id(client, world: World) -> None:
    venue = await world.venue(41.39, 2.17, name="Palau", timezone="Europe/Madrid")
    same_place = [await world.event(None, None, venue_id=venue) for _ in range(12)]
    nearer = await world.event(41.3901, 2.17)

    pages = await walk(client, NEARBY, lat=41.3902, lon=2.17, limit=5)
    flat = [i for page in pages for i in page]

    assert flat == [str(nearer["id"]), *sorted(str(e["id"]) for e in same_place)]


async def test_nearby_across_the_antimeridian(client, world: World) -> None:
    west = await world.event(65.0, -179.99)
    east = await world.event(65.0, 179.95)

    body = await get_page(client, NEARBY, lat=65.0, lon=179.999, radius_m=5_000)

    assert ids(body) == [str(west["id"]), str(east["id"])]


async def test_nearby_takes_the_filters_too(client, world: World) -> None:
    await world.event(45.46, 9.19, category="music")
    food = await world.event(45.461, 9.19, category="food")

    body = await get_page(client, NEARBY, lat=45.46, lon=9.19, category="food")

    assert ids(body) == [str(food["id"])]


async def test_a_dense_cell_beside_a_sparse_one_pages_in_true_order(client, world: World) -> None:
    """A circle on the edge between two partition cells: each cell is walked on its own and the
    dense one stops early (its frontier). Walking every page must still give each event once, in
    true distance order, the sparse cell's far events included."""
    edge = h3.cell_to_boundary(h3.latlng_to_cell(48.8566, 2.3522, PARTITION_RESOLUTION))
    (lat0, lon0), (lat1, lon1) = edge[0], edge[1]
    centre = ((lat0 + lat1) / 2, (lon0 + lon1) / 2)
    rng = random.Random(4)
    created = []
    for _ in range(60):
        where = geodesic(meters=rng.uniform(50, 4_900)).destination(centre, bearing=rng.uniform(0, 360))
        created.append(await world.event(where.latitude, where.longitude))
    cells = {cell_of(e["lat"], e["lon"]) for e in created}
    assert len(cells) == 2, "the circle must straddle two cells"

    pages = await walk(client, NEARBY, lat=centre[0], lon=centre[1], radius_m=5_000, limit=4)

    by_distance = sorted(created, key=lambda e: (geodesic(centre, (e["lat"], e["lon"])).meters, str(e["id"])))
    assert [i for page in pages for i in page] == [str(e["id"]) for e in by_distance]
