"""Synthetic geofences and events in a few regions (one across the antimeridian), bulk-loaded with COPY.

The geofences go through the product's own parsing and cover (``geo.geofence``), so what is loaded
is what the API would store; only the insert is a COPY instead of one request each.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
import shapely
from shapely.geometry import Point as ShapelyPoint

from geo.geofence import Area, InvalidGeofence, circle, cover, distance_m, polygon

# (lat, lon) centres: Paris, Fiji (across the antimeridian), São Paulo.
REGIONS = ((48.85, 2.35), (-17.0, 179.95), (-23.55, -46.63))
SPREAD_DEG = 0.6


@dataclass(frozen=True, slots=True)
class Fence:
    id: uuid.UUID
    account_id: uuid.UUID
    area: Area
    shape: dict[str, Any]

    def holds(self, lat: float, lon: float) -> bool:
        """The brute-force answer: shapely for polygons, the sphere's great-circle distance for circles."""
        if self.area.center is not None and self.area.radius_m is not None:
            return distance_m(self.area.center[0], self.area.center[1], lat, lon) <= self.area.radius_m
        return bool(self.area.parts.intersects(ShapelyPoint(lon, lat)))


def brute_force(fences: list[Fence], points: list[tuple[float, float]]) -> set[tuple[int, int]]:
    """(fence index, point index) of every point a fence holds: shapely's tree over the parts for
    candidates (a superset: a circle's part is its bounding box), then ``Fence.holds`` on each."""
    parts, owners = [], []
    for i, fence in enumerate(fences):
        for part in fence.area.parts.geoms:
            parts.append(part)
            owners.append(i)
    tree = shapely.STRtree(parts)
    geoms = shapely.points([(lon, lat) for lat, lon in points])
    point_idx, part_idx = tree.query(geoms, predicate="intersects")
    found = set()
    for p, q in zip(point_idx.tolist(), part_idx.tolist(), strict=True):
        fence = owners[q]
        if fences[fence].holds(*points[p]):
            found.add((fence, p))
    return found


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def random_fence(rng: random.Random, account_id: uuid.UUID) -> Fence:
    while True:
        try:
            return _random_fence(rng, account_id)
        except InvalidGeofence:  # a random star polygon that crosses itself: draw another
            continue


def _random_fence(rng: random.Random, account_id: uuid.UUID) -> Fence:
    lat0, lon0 = rng.choice(REGIONS)
    lat = lat0 + rng.uniform(-SPREAD_DEG, SPREAD_DEG)
    lon = lon0 + rng.uniform(-SPREAD_DEG, SPREAD_DEG)
    if rng.random() < 0.5:
        radius = rng.randint(300, 20_000)
        area = circle(lat, _wrap(lon), radius, max_radius_m=50_000)
        shape: dict[str, Any] = {"center": {"lat": lat, "lon": _wrap(lon)}, "radius_m": radius}
    else:
        size = rng.uniform(0.02, 0.25)
        angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(rng.randint(4, 12)))
        ring = [
            [lon + size * rng.uniform(0.3, 1.0) * math.cos(a), lat + size * rng.uniform(0.3, 1.0) * math.sin(a)]
            for a in angles
        ]
        ring.append(ring[0])
        if rng.random() < 0.5:  # half the rings are given with wrapped longitudes (a jump at ±180)
            ring = [[_wrap(x), y] for x, y in ring]
        area = polygon([ring], max_vertices=200, max_area_km2=100_000)
        shape = {"type": "Polygon", "coordinates": [ring]}
    return Fence(uuid.uuid4(), account_id, area, shape)


def random_point(rng: random.Random) -> tuple[float, float]:
    lat0, lon0 = rng.choice(REGIONS)
    return lat0 + rng.uniform(-0.8, 0.8), _wrap(lon0 + rng.uniform(-0.8, 0.8))


def load_accounts(conn: psycopg.Connection[Any], count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    with conn.cursor().copy("COPY accounts (id, email) FROM STDIN") as copy:
        for i, account_id in enumerate(ids):
            copy.write_row((account_id, f"fence-{i}-{account_id.hex[:6]}@example.com"))
    return ids


def load_fences(conn: psycopg.Connection[Any], fences: list[Fence]) -> None:
    with conn.cursor().copy("COPY geofences (id, account_id, area, shape, center, radius_m) FROM STDIN") as copy:
        for fence in fences:
            center = None
            if fence.area.center is not None:
                center = f"SRID=4326;POINT({fence.area.center[1]!r} {fence.area.center[0]!r})"
            copy.write_row(
                (
                    fence.id,
                    fence.account_id,
                    shapely.to_wkb(shapely.set_srid(fence.area.parts, 4326), hex=True, include_srid=True),
                    orjson.dumps(fence.shape).decode(),
                    center,
                    None if fence.area.radius_m is None else int(fence.area.radius_m),
                )
            )
    with conn.cursor().copy("COPY geofence_cells (cell, geofence_id) FROM STDIN") as copy:
        for fence in fences:
            for cell in cover(fence.area):
                copy.write_row((cell, fence.id))
