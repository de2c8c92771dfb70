"""A circle on the globe: a centre in WGS84 degrees and a geodesic radius in metres."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.bbox import BBox, bbox_around


class InvalidCircle(ValueError):
    """The centre or the radius does not describe a circle on the globe."""


@dataclass(frozen=True, slots=True)
class Circle:
    lat: float
    lon: float
    radius_m: float

    def __post_init__(self) -> None:
        for name in ("lat", "lon", "radius_m"):
            if not math.isfinite(getattr(self, name)):
                raise InvalidCircle(f"{name} must be a finite number")
        if not -90.0 <= self.lat <= 90.0:
            raise InvalidCircle("lat must be within [-90, 90]")
        if not -180.0 <= self.lon <= 180.0:
            raise InvalidCircle("lon must be within [-180, 180]")
        if self.radius_m <= 0:
            raise InvalidCircle("radius_m must be greater than 0")

    def bbox(self) -> BBox:
        """The smallest lat/lon box holding the whole circle (it may cross the antimeridian)."""
        return bbox_around(self.lat, self.lon, self.radius_m)
