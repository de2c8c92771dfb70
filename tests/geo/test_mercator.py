"""The Mercator walk's distance floor: never above the true geodesic distance; fine boxes hold their boxes."""

from __future__ import annotations

import math
import random

import pytest
from geopy.distance import geodesic

from geo.bbox import BBox, bbox_around
from geo.circle import Circle
from geo.mercator import MAX_WALK_LAT, fine_box, fine_position, mercator_walk


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


def test_a_fine_box_holds_every_point_of_its_box_edges_included() -> None:
    rng = random.Random(5)
    for _ in range(200):
        west, south = rng.uniform(-180, 170), rng.uniform(-89, 80)
        box = BBox(west, south, min(180.0, west + rng.uniform(0, 5)), min(90.0, south + rng.uniform(0, 5)))
        fine = fine_box(box)
        corners = [(lat, lon) for lat in (box.south, box.north) for lon in (box.west, box.east)]
        inside = [(rng.uniform(box.south, box.north), rng.uniform(box.west, box.east)) for _ in range(20)]
        for lat, lon in corners + inside:
            px, py = fine_position(lat, lon)
            assert fine.west <= px <= fine.east and fine.north <= py <= fine.south, (box, lat, lon)


def test_a_fine_box_is_one_side_of_the_antimeridian() -> None:
    with pytest.raises(ValueError, match="antimeridian"):
        fine_box(BBox(179.0, -10.0, -179.0, 10.0))
