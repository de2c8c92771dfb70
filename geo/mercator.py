"""The fine Web Mercator grid: every point's integer position on a 2**31 x 2**31 square.

The database stores the same integers (``events.px`` / ``events.py``, migration 0004); tiles
use them to place events exactly, and nearest-first search walks them (Web Mercator is
conformal: locally, distances in it are true distances times one scale, whatever the direction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.bbox import BBox
from geo.circle import Circle

# 2**31 cells per side: 2 cm at the equator, and px/py still fit a PostgreSQL integer.
FINE_ZOOM = 31
FINE_SIZE = 1 << FINE_ZOOM
MAX_LAT = 85.05112877980659
# Metres per fine cell along the equator on the mean-radius sphere; times cos(latitude) elsewhere.
MEAN_RADIUS_M = 6_371_008.8
EQUATOR_METRES_PER_CELL = 2 * math.pi * MEAN_RADIUS_M / FINE_SIZE


def fine_position(lat: float, lon: float) -> tuple[int, int]:
    """The point's cell on the 2**31 grid; the SQL of migration 0004 computes the same integers."""
    px = math.floor((lon + 180.0) / 360.0 * FINE_SIZE)
    phi = math.radians(min(max(lat, -MAX_LAT), MAX_LAT))
    py = math.floor((1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0 * FINE_SIZE)
    return _clamp(px), _clamp(py)


@dataclass(frozen=True, slots=True)
class FineBox:
    """Fine cells ``west..east`` by ``north..south`` (inclusive, y grows southwards)."""

    west: int
    north: int
    east: int
    south: int


def fine_box(box: BBox) -> FineBox:
    """The fine cells of every point of ``box`` (one side of the antimeridian), with one cell of
    slack on each side: the database rounds the same formula with its own floating point."""
    if box.crosses_antimeridian:
        raise ValueError("a box across the antimeridian spans two fine boxes: use BBox.parts()")
    west, north = fine_position(box.north, box.west)
    east, south = fine_position(box.south, box.east)
    return FineBox(_clamp(west - 1), _clamp(north - 1), _clamp(east + 1), _clamp(south + 1))


# Spheroid (WGS84 geodesic) against mean-radius sphere: under 0.6% apart anywhere; this bound is above.
SPHERE_ERROR = 0.01
# Beyond this latitude the Mercator scale changes too fast across a circle to bound usefully.
MAX_WALK_LAT = 80.0


@dataclass(frozen=True, slots=True)
class MercatorWalk:
    """A nearest-first walk over fine Mercator cells for one circle, and its distance bound.

    Any two points of the box that are ``d`` cells apart are at least ``(d - 2) * metres_floor``
    metres apart on the WGS84 spheroid (2 cells for the rounding of positions to cells).
    """

    x: int
    y: int
    west: int
    north: int
    east: int
    south: int
    metres_floor: float


def mercator_walk(circle: Circle) -> MercatorWalk | None:
    """The nearest-first walk over ``circle`` and its bounding box.

    None where Mercator cannot serve: a box across the antimeridian (its two sides are far apart
    on the grid) or reaching high latitudes. Why the bound holds: Mercator stretches every
    direction at latitude φ by sec φ, so a path on the sphere of length L that stays below
    latitude φ_far maps to a Mercator path no longer than L · sec φ_far; the straight Mercator
    segment is shorter still. The great-circle path between two points of the box may bulge
    poleward beyond the box, by less than the circle's angular radius, hence the margin.
    """
    box = circle.bbox()
    if box.west > box.east:
        return None
    far = max(abs(box.south), abs(box.north)) + math.degrees(circle.radius_m / MEAN_RADIUS_M)
    if far > MAX_WALK_LAT:
        return None
    x, y = fine_position(circle.lat, circle.lon)
    west, north = fine_position(box.north, box.west)
    east, south = fine_position(box.south, box.east)
    metres_floor = EQUATOR_METRES_PER_CELL * math.cos(math.radians(far)) * (1 - SPHERE_ERROR)
    return MercatorWalk(x, y, west - 2, north - 2, east + 2, south + 2, metres_floor)


def _clamp(value: int) -> int:
    return min(max(value, 0), FINE_SIZE - 1)
