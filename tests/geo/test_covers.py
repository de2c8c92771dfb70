"""Cached partition covers: always a superset of the exact cover, shared by nearby viewports."""

from __future__ import annotations

import random

import pytest

from geo.bbox import BBox
from geo.cells import (
    cached_cells_covering_bbox,
    cached_cells_covering_circle,
    cell_of,
    cells_covering_bbox,
    cells_covering_circle,
)
from geo.circle import Circle, InvalidCircle


def _random_boxes(n: int) -> list[BBox]:
    rng = random.Random(11)
    boxes = []
    for _ in range(n):
        south = rng.uniform(-80, 75)
        west = rng.uniform(-180, 180)
        width, height = rng.choice([0.05, 0.4, 3.0, 12.0]), rng.choice([0.05, 0.2, 2.0, 8.0])
        east = west + width if west + width <= 180 else west + width - 360
        boxes.append(BBox(west, south, east, min(south + height, 90)))
    return boxes


@pytest.mark.parametrize("bbox", [*_random_boxes(40), BBox(179.9, -17, -179.9, -16), BBox(-180, 10, 180, 11)])
def test_cached_cover_contains_the_exact_cover(bbox: BBox) -> None:
    exact, cached = cells_covering_bbox(bbox), cached_cells_covering_bbox(bbox)
    if exact is None:
        return
    assert cached is None or set(exact) <= set(cached)


def test_cached_cover_holds_every_point_of_the_box() -> None:
    rng = random.Random(5)
    for bbox in _random_boxes(20):
        cover = cached_cells_covering_bbox(bbox)
        if cover is None:
            continue
        for _ in range(50):
            lat = rng.uniform(bbox.south, bbox.north)
            lon = rng.uniform(bbox.west, bbox.west + bbox.width_deg)
            lon = lon - 360 if lon > 180 else lon
            assert cell_of(lat, lon) in cover


def test_nearby_viewports_share_a_cache_entry() -> None:
    first = cached_cells_covering_bbox(BBox(2.21, 48.81, 2.46, 48.9))
    second = cached_cells_covering_bbox(BBox(2.23, 48.82, 2.44, 48.91))
    assert first is second


def test_cached_circle_cover_contains_the_exact_one() -> None:
    for lat, lon, radius in [(48.85, 2.35, 5_000), (-17.0, 179.99, 10_000), (89.9, 0, 50_000), (0, 0, 200_000)]:
        exact, cached = cells_covering_circle(lat, lon, radius), cached_cells_covering_circle(lat, lon, radius)
        assert exact is not None and cached is not None and set(exact) <= set(cached)


def test_circle_validation_and_bbox() -> None:
    circle = Circle(-17.0, 179.99, 10_000)
    assert circle.bbox().crosses_antimeridian
    for lat, lon, radius in [(91, 0, 1), (0, 181, 1), (0, 0, 0), (float("nan"), 0, 1), (0, 0, float("inf"))]:
        with pytest.raises(InvalidCircle):
            Circle(lat, lon, radius)
