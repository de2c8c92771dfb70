"""Bounding boxes in WGS84 degrees, including boxes that cross the antimeridian."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# ``west,south,east,north`` as plain decimals within range (no exponent, no spaces, no leading zeros):
# the text format, as an OpenAPI ``pattern`` states it and as ``BBox.parse`` reads it.
_LON = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)"
_LAT = r"-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
BBOX_PATTERN = f"^{_LON},{_LAT},{_LON},{_LAT}$"
_BBOX = re.compile(BBOX_PATTERN)


class InvalidBBox(ValueError):
    """The four numbers do not describe a box on the globe."""


@dataclass(frozen=True, slots=True)
class BBox:
    """west, south, east, north in degrees. ``west > east`` means the box crosses 180°."""

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        for name in ("west", "south", "east", "north"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise InvalidBBox(f"{name} must be a finite number")
        for name in ("west", "east"):
            if not -180.0 <= getattr(self, name) <= 180.0:
                raise InvalidBBox(f"{name} must be within [-180, 180]")
        for name in ("south", "north"):
            if not -90.0 <= getattr(self, name) <= 90.0:
                raise InvalidBBox(f"{name} must be within [-90, 90]")
        if self.south > self.north:
            raise InvalidBBox("south must not be greater than north")

    @classmethod
    def parse(cls, text: str) -> BBox:
        """Parse ``west,south,east,north`` (``BBOX_PATTERN``)."""
        if not _BBOX.fullmatch(text):
            raise InvalidBBox(
                "bbox is four decimal numbers west,south,east,north (e.g. 2.25,48.81,2.42,48.9), "
                "longitudes within [-180, 180], latitudes within [-90, 90]"
            )
        west, south, east, north = (float(part) for part in text.split(","))
        return cls(west, south, east, north)

    @property
    def crosses_antimeridian(self) -> bool:
        return self.west > self.east

    @property
    def width_deg(self) -> float:
        return self.east - self.west if not self.crosses_antimeridian else 360.0 - self.west + self.east

    @property
    def area_deg2(self) -> float:
        return self.width_deg * (self.north - self.south)

    def parts(self) -> tuple[BBox, ...]:
        """The box as one or two boxes that do not cross the antimeridian."""
        if not self.crosses_antimeridian:
            return (self,)
        return (BBox(self.west, self.south, 180.0, self.north), BBox(-180.0, self.south, self.east, self.north))

    def buffered(self, degrees_lat: float) -> BBox:
        """Grown by ``degrees_lat`` north/south and the same ground distance east/west (clamped)."""
        widest_lat = min(max(abs(self.south), abs(self.north)), 89.0)
        degrees_lon = min(degrees_lat / math.cos(math.radians(widest_lat)), 180.0)
        south = max(self.south - degrees_lat, -90.0)
        north = min(self.north + degrees_lat, 90.0)
        if self.width_deg + 2 * degrees_lon >= 360.0:
            return BBox(-180.0, south, 180.0, north)
        west = _wrap_lon(self.west - degrees_lon)
        east = _wrap_lon(self.east + degrees_lon)
        return BBox(west, south, east, north)


def _wrap_lon(lon: float) -> float:
    if lon < -180.0:
        return lon + 360.0
    if lon > 180.0:
        return lon - 360.0
    return lon


def bbox_around(lat: float, lon: float, radius_m: float) -> BBox:
    """The smallest lat/lon box that holds every point within ``radius_m`` of (lat, lon)."""
    earth_radius_m = 6_371_008.8
    # 0.5% head-room: the spheroid is up to ~0.3% longer per degree than this sphere.
    dlat = math.degrees(radius_m * 1.005 / earth_radius_m)
    south, north = lat - dlat, lat + dlat
    if south <= -90.0 or north >= 90.0:
        return BBox(-180.0, max(south, -90.0), 180.0, min(north, 90.0))
    dlon = dlat / math.cos(math.radians(max(abs(south), abs(north))))
    if dlon >= 180.0:
        return BBox(-180.0, south, 180.0, north)
    return BBox(_wrap_lon(lon - dlon), south, _wrap_lon(lon + dlon), north)
