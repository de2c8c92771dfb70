"""The Mercator walk's distance floor: never above the true geodesic distance."""

from __future__ import annotations

import math
import random

from geopy.distance import geodesic

from geo.bbox import bbox_around
from geo.circle import Circle
from geo.mercator import MAX_WALK_LAT, fine_position, mercator_walk


def test_the_floor_never_exceeds_the_geodesic_distance() -> None:
    rng = random.Random(5)
    checked = 0
    while checked < 400:
        lat, lon = rng.uniform(-78, 78), rng.uniform(-179, 179)
        radius = rng.choice([50.0, 1_000.0, 5_000.0, 50_000.0, 200_000.0])
        box = bbox_around(lat, lon, radius)
        walk = mercator_walk(Circle(lat, lon, radius))
        if walk is None:
            continue
        for _ in range(5):
            a = (rng.uniform(box.south, box.north), rng.uniform(box.west, box.east))
            b = (rng.uniform(box.south, box.north), rng.uniform(box.west, box.east))
            (ax, ay), (bx, by) = fine_position(*a), fine_position(*b)
            floor = max(math.hypot(ax - bx, ay - by) - 2, 0) * walk.metres_floor
            assert floor <= geodesic(a, b).meters, (lat, lon, radius, a, b)
            checked += 1


def test_the_floor_is_tight_enough_to_be_useful() -> None:
    """Within 2% of the true distance for a city-sized circle, at the equator and at 60°."""
    for lat in (0.0, 60.0):
        walk = mercator_walk(Circle(lat, 10.0, 5_000))
        assert walk is not None
        a, b = (lat, 10.0), (lat + 0.03, 10.02)
        (ax, ay), (bx, by) = fine_position(*a), fine_position(*b)
        floor = math.hypot(ax - bx, ay - by) * walk.metres_floor
        assert 0.98 * geodesic(a, b).meters < floor <= geodesic(a, b).meters


def test_no_walk_across_the_antimeridian_or_near_the_poles() -> None:
    assert mercator_walk(Circle(0.0, 179.99, 5_000)) is None
    assert mercator_walk(Circle(MAX_WALK_LAT, 0.0, 5_000)) is None
    assert mercator_walk(Circle(-89.0, 0.0, 100)) is None
    assert mercator_walk(Circle(45.0, 0.0, 5_000)) is not None
