"""Cached partition covers: every point of the box in one of their cells, shared by nearby viewports, trimmed."""

from __future__ import annotations

import random

import h3
import pytest
import shapely

from geo import cells
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
def test_cached_cover_keeps_every_cell_near_the_box(bbox: BBox) -> None:
    exact, cached = cells_covering_bbox(bbox), cached_cells_covering_bbox(bbox)
    if exact is None:
        return
    assert cached is None or _only_far_cells_dropped(bbox, set(exact) - set(cached))


def _only_far_cells_dropped(bbox: BBox, dropped: set[int]) -> bool:
    """H3's fill keeps a few cells near, not on, the grown box; trimming may drop those, but only
    if they lie at least half the margin away from the box itself."""
    boxes = [shapely.box(p.west, p.south, p.east, p.north) for p in bbox.parts()]
    for cell in dropped:
        outline = shapely.Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(h3.int_to_str(cell))])
        if min(outline.distance(box) for box in boxes) < cells.COVER_MARGIN_DEG / 2:
            return False
    return True


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


def test_nearby_viewports_share_a_cache_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    fills: list[BBox] = []
    monkeypatch.setattr(cells, "cells_covering_bbox", lambda bbox: fills.append(bbox) or [cell_of(48.85, 2.35)])
    for cache in (cells._cached_cover, cached_cells_covering_bbox):
        cache.cache_clear()
    try:
        first = cached_cells_covering_bbox(BBox(2.21, 48.81, 2.46, 48.9))
        second = cached_cells_covering_bbox(BBox(2.23, 48.82, 2.44, 48.91))
    finally:
        for cache in (cells._cached_cover, cached_cells_covering_bbox):
            cache.cache_clear()
    assert len(fills) == 1 and first == second


def _small_boxes(n: int) -> list[BBox]:
    """City-sized boxes, many of them on the edges of partition cells."""
    rng = random.Random(3)
    boxes = []
    for _ in range(n):
        south, west = rng.uniform(-70, 70), rng.uniform(-179.8, 179.7)
        boxes.append(BBox(west, south, west + rng.uniform(0.01, 0.15), south + rng.uniform(0.01, 0.1)))
    return boxes


def test_trimmed_cover_holds_every_point_of_small_boxes() -> None:
    rng = random.Random(9)
    for bbox in [*_small_boxes(300), BBox(-10, 88.5, 10, 90), BBox(179.95, 60, -179.95, 60.1)]:
        cover = cached_cells_covering_bbox(bbox)
        assert cover is not None
        corners = [(lat, lon) for lat in (bbox.south, bbox.north) for lon in (bbox.west, bbox.east)]
        inside = [(rng.uniform(bbox.south, bbox.north), rng.uniform(bbox.west, bbox.east)) for _ in range(30)]
        for lat, lon in corners + (inside if not bbox.crosses_antimeridian else []):
            assert cell_of(lat, lon) in cover, (bbox, lat, lon)


def test_trimmed_cover_is_the_exact_cover_for_small_boxes() -> None:
    boxes = _small_boxes(300)
    same = 0
    for bbox in boxes:
        exact, cached = cells_covering_bbox(bbox), cached_cells_covering_bbox(bbox)
        assert exact is not None and cached is not None
        assert _only_far_cells_dropped(bbox, set(exact) - set(cached))
        same += set(exact) == set(cached)
    assert same >= 0.95 * len(boxes)  # the snapped cover alone: about half of them


def test_cached_circle_cover_keeps_every_cell_near_the_circle() -> None:
    for lat, lon, radius in [(48.85, 2.35, 5_000), (-17.0, 179.99, 10_000), (89.9, 0, 50_000), (0, 0, 200_000)]:
        exact, cached = cells_covering_circle(lat, lon, radius), cached_cells_covering_circle(lat, lon, radius)
        assert exact is not None and cached is not None
        assert _only_far_cells_dropped(Circle(lat, lon, radius).bbox(), set(exact) - set(cached))


def test_circle_validation_and_bbox() -> None:
    circle = Circle(-17.0, 179.99, 10_000)
    assert circle.bbox().crosses_antimeridian
    for lat, lon, radius in [(91, 0, 1), (0, 181, 1), (0, 0, 0), (float("nan"), 0, 1), (0, 0, float("inf"))]:
        with pytest.raises(InvalidCircle):
            Circle(lat, lon, radius)
