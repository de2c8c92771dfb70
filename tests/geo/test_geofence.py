"""Geofence areas: validation, the antimeridian split, and covers that hold every point of the area."""

from __future__ import annotations

import random

import h3
import pytest
from shapely.geometry import Point

from geo.geofence import InvalidGeofence, circle, cover, cover_cell, polygon

LIMITS = {"max_vertices": 200, "max_area_km2": 10_000}


def test_a_ring_across_the_antimeridian_is_split_into_two_parts_either_way_it_is_written() -> None:
    wrapped = polygon([[[179.8, -17.0], [-179.8, -17.0], [-179.8, -16.8], [179.8, -16.8], [179.8, -17.0]]], **LIMITS)
    unwrapped = polygon([[[179.8, -17.0], [180.2, -17.0], [180.2, -16.8], [179.8, -16.8], [179.8, -17.0]]], **LIMITS)
    for area in (wrapped, unwrapped):
        assert len(area.parts.geoms) == 2
        assert area.parts.covers(Point(179.9, -16.9)) and area.parts.covers(Point(-179.9, -16.9))
        assert not area.parts.covers(Point(0, -16.9))
    assert wrapped.parts.equals(unwrapped.parts)


@pytest.mark.parametrize(
    ("rings", "param"),
    [
        ([[[0, 0], [1, 0], [1, 1], [0, 1]]], "area.coordinates.0"),  # not closed
        ([[[0, 0], [1, 0], [0, 0]]], "area.coordinates.0"),  # too few positions
        ([[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]], "area.coordinates"),  # a bow tie
        ([[[0, 0], [5, 0], [5, 5], [0, 5], [0, 0]]], "area.coordinates"),  # ~300,000 km²
        ([[[0, 89], [1, 89], [1, 88], [0, 89]]], "area.coordinates.0"),  # beyond 85°
    ],
)
def test_bad_polygons_are_refused_with_the_part_named(rings: list[list[list[float]]], param: str) -> None:
    with pytest.raises(InvalidGeofence) as refused:
        polygon(rings, **LIMITS)
    assert refused.value.param == param


def test_too_many_vertices_and_too_large_circles_are_refused() -> None:
    ring = [[0.001 * i, 0.0005 * (i % 2)] for i in range(300)] + [[0.0, 0.0]]
    with pytest.raises(InvalidGeofence):
        polygon([ring], **LIMITS)
    with pytest.raises(InvalidGeofence):
        circle(48.85, 2.35, 60_000, max_radius_m=50_000)


def test_the_cover_holds_every_point_of_the_area() -> None:
    rng = random.Random(5)
    areas = [circle(-17.0, 179.99, 15_000, max_radius_m=50_000), circle(48.85, 2.35, 20_000, max_radius_m=50_000)]
    areas.append(polygon([[[2.0, 48.0], [2.6, 48.1], [2.4, 48.7], [2.0, 48.0]]], **LIMITS))
    for area in areas:
        cells = set(cover(area))
        minx, miny, maxx, maxy = area.parts.bounds
        inside = 0
        while inside < 500:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if area.parts.covers(Point(lon, lat)):
                inside += 1
                assert cover_cell(lat, lon) in cells
        assert all(h3.get_resolution(h3.int_to_str(c)) == 5 for c in cells)
