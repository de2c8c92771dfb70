"""Geofences: an area a person watches, as a lon/lat MultiPolygon (split at the antimeridian) and
the H3 cells that cover it.

A drawn polygon's edges are straight in lon/lat (as GeoJSON draws them). A ring that crosses the
antimeridian is given with longitudes that jump from about +180 to about -180 (or beyond ±180): it is
unwrapped to continuous longitudes, then cut at ±180 into parts that each stay within [-180, 180].
A circle is tested exactly by its geodesic distance; its area here is its bounding box (for the index).

The cover is at ``COVER_RESOLUTION`` (H3's "overlap" fill of each part, plus the cells of its
vertices), grown by one ring of neighbours: H3 fills with straight lat/lon cell edges while points are
placed in cells by their true edges, and one ring absorbs the difference (see geo.cells).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import h3
import numpy as np
import shapely
import shapely.affinity
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.polygon import orient

from geo.bbox import bbox_around

COVER_RESOLUTION = 5
EARTH_RADIUS_M = 6_371_008.771415  # the mean radius PostGIS' sphere uses (use_spheroid => false)


class InvalidGeofence(ValueError):
    """The area is not a usable geofence; ``param`` names the offending part of the input."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class Area:
    """A geofence's area: parts within [-180, 180], and for a circle its centre and radius."""

    parts: MultiPolygon
    center: tuple[float, float] | None = None  # (lat, lon)
    radius_m: float | None = None

    @property
    def wkb_hex(self) -> str:
        return str(shapely.to_wkb(self.parts, hex=True, include_srid=False))


def circle(lat: float, lon: float, radius_m: float, *, max_radius_m: float) -> Area:
    if not (math.isfinite(lat) and -85.0 <= lat <= 85.0):
        raise InvalidGeofence("a circle's centre must lie within latitudes -85..85", "area.center.lat")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise InvalidGeofence("lon must be within [-180, 180]", "area.center.lon")
    if not (math.isfinite(radius_m) and 0 < radius_m <= max_radius_m):
        raise InvalidGeofence(f"radius_m must be within (0, {max_radius_m:g}]", "area.radius_m")
    parts = [box(p.west, p.south, p.east, p.north) for p in bbox_around(lat, lon, radius_m).parts()]
    return Area(MultiPolygon(parts), (lat, lon), radius_m)


def polygon(rings: list[list[list[float]]], *, max_vertices: int, max_area_km2: float) -> Area:
    """A GeoJSON Polygon's coordinates (outer ring, then holes), validated and split at ±180."""
    if not rings:
        raise InvalidGeofence("a polygon needs an outer ring", "area.coordinates")
    if sum(len(ring) for ring in rings) > max_vertices:
        raise InvalidGeofence(f"at most {max_vertices} vertices", "area.coordinates")
    shell, *holes = (_ring(ring, f"area.coordinates.{i}") for i, ring in enumerate(rings))
    unwrapped = Polygon(shell, [[(_near(lon, shell[0][0]), lat) for lon, lat in hole] for hole in holes])
    if not unwrapped.is_valid:
        raise InvalidGeofence(f"the polygon is not simple: {shapely.is_valid_reason(unwrapped)}", "area.coordinates")
    minx, _, maxx, _ = unwrapped.bounds
    if maxx - minx >= 180.0:
        raise InvalidGeofence("a polygon must span less than 180 degrees of longitude", "area.coordinates")
    if area_km2(unwrapped) > max_area_km2:
        raise InvalidGeofence(f"a polygon may cover at most {max_area_km2:g} km²", "area.coordinates")
    return Area(_split(orient(unwrapped)))


def _ring(ring: list[list[float]], param: str) -> list[tuple[float, float]]:
    if len(ring) < 4:
        raise InvalidGeofence("a ring needs at least 4 positions (closed)", param)
    points: list[tuple[float, float]] = []
    for position in ring:
        if len(position) not in (2, 3) or not all(math.isfinite(v) for v in position):
            raise InvalidGeofence("a position is [lon, lat] of finite numbers", param)
        lon, lat = float(position[0]), float(position[1])
        if not (-85.0 <= lat <= 85.0 and -540.0 <= lon <= 540.0):
            raise InvalidGeofence("latitudes must lie within -85..85", param)
        points.append((lon, lat))
    if points[0] != points[-1]:
        raise InvalidGeofence("a ring must be closed (its last position equals its first)", param)
    # Continuous longitudes: an edge never jumps more than 180 degrees (it crosses the antimeridian instead).
    out = [points[0]]
    for lon, lat in points[1:]:
        out.append((_near(lon, out[-1][0]), lat))
    if abs(out[-1][0] - out[0][0]) > 1e-9:
        raise InvalidGeofence("a ring may not wind round the globe", param)
    return out


def _near(lon: float, reference: float) -> float:
    """``lon`` plus or minus whole turns, within 180 degrees of ``reference``."""
    while lon - reference > 180.0:
        lon -= 360.0
    while lon - reference < -180.0:
        lon += 360.0
    return lon


def _split(shape: Polygon) -> MultiPolygon:
    parts: list[Polygon] = []
    for shift in (-360.0, 0.0, 360.0):
        window = box(-180.0 - shift, -90.0, 180.0 - shift, 90.0)
        piece = shape.intersection(window)
        if piece.is_empty:
            continue
        moved = shapely.affinity.translate(piece, xoff=shift)
        for geom in getattr(moved, "geoms", [moved]):
            if isinstance(geom, Polygon) and not geom.is_empty and geom.area > 0:
                parts.append(geom)
    return MultiPolygon(parts)


def area_km2(shape: Polygon) -> float:
    """Area on the sphere, from the lon/lat polygon (equal-area cylindrical: exact for lat/lon boxes)."""
    projected = shapely.transform(shape, _cea)
    return float(projected.area) / 1e6


def _cea(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    x = np.radians(xy[:, 0]) * EARTH_RADIUS_M
    y = np.sin(np.radians(xy[:, 1])) * EARTH_RADIUS_M
    return np.column_stack([x, y])


def cover(area: Area) -> list[int]:
    """The H3 cells (``COVER_RESOLUTION``, signed 64-bit ints) that may hold a point of ``area``."""
    cells: set[str] = set()
    for part in area.parts.geoms:
        ring = [(lat, lon) for lon, lat in part.exterior.coords[:-1]]
        cells.update(h3.h3shape_to_cells_experimental(h3.LatLngPoly(ring), COVER_RESOLUTION, contain="overlap"))
        cells.update(h3.latlng_to_cell(lat, lon, COVER_RESOLUTION) for lat, lon in ring)
    grown: set[str] = set()
    for cell in cells:
        grown.update(h3.grid_disk(cell, 1))
    return sorted(h3.str_to_int(c) for c in grown)


def cover_cell(lat: float, lon: float) -> int:
    """The cover-resolution cell holding a point: the key a point looks geofences up by."""
    return int(h3.str_to_int(h3.latlng_to_cell(lat, lon, COVER_RESOLUTION)))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on PostGIS' sphere (what ``ST_DWithin(geography, ..., false)`` measures)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
