"""What a discovery request asks for, checked against the rules before any query runs.

``Criteria`` is the question (where, what, in which order); it is plain data, so the SQL
builder and the cursor fingerprint both read it without knowing about HTTP. What to show is the
``Filters`` of ``app.events.filters`` (declared once, shared with the tiles); this module adds
where and in which order, and the rules that span parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from app.errors import InvalidParameter
from app.events.discovery_schemas import ListParams, NearbyParams, Sort
from app.events.filters import NO_FILTERS, Filters
from config.settings import DiscoverySettings
from geo.bbox import BBox, InvalidBBox
from geo.circle import Circle, InvalidCircle

DEFAULT_RADIUS_M = 10_000.0


@dataclass(frozen=True, slots=True)
class Criteria:
    area: BBox | Circle
    sort: Sort
    filters: Filters = NO_FILTERS

    @property
    def circle(self) -> Circle | None:
        return self.area if isinstance(self.area, Circle) else None

    def fingerprint(self) -> bytes:
        """Canonical bytes of the question; a cursor is only valid for the same fingerprint."""
        return orjson.dumps([type(self.area).__name__, self.area, self.sort, self.filters.query])


def list_criteria(params: ListParams, settings: DiscoverySettings) -> Criteria:
    """The criteria of ``GET /events``, or ``InvalidParameter`` naming the offending parameter."""
    area = _area(params, settings)
    text = params.filters.text
    sort: Sort = params.sort or ("relevance" if text else "start")
    if sort == "distance" and not isinstance(area, Circle):
        raise InvalidParameter("sort=distance needs lat and lon (a centre to measure from)", param="sort")
    if sort == "relevance" and text is None:
        raise InvalidParameter("sort=relevance needs q (a text to be relevant to)", param="sort")
    return Criteria(area, sort, params.filters)


def nearby_criteria(params: NearbyParams, settings: DiscoverySettings) -> Criteria:
    """The criteria of ``GET /events/nearby``: always nearest first."""
    return Criteria(_circle(params.lat, params.lon, params.radius_m, settings), "distance", params.filters)


def _area(params: ListParams, settings: DiscoverySettings) -> BBox | Circle:
    has_circle = params.lat is not None or params.lon is not None or params.radius_m is not None
    if params.bbox is not None:
        if has_circle:
            raise InvalidParameter("give either bbox or lat/lon/radius_m, not both", param="bbox")
        return _bbox(params.bbox, settings)
    if not has_circle:
        raise InvalidParameter("say where: bbox=west,south,east,north or lat, lon and radius_m", param="bbox")
    if params.lat is None or params.lon is None:
        raise InvalidParameter("lat and lon go together", param="lat" if params.lat is None else "lon")
    return _circle(params.lat, params.lon, params.radius_m, settings)


def _bbox(text: str, settings: DiscoverySettings) -> BBox:
    try:
        bbox = BBox.parse(text)
    except InvalidBBox as exc:
        raise InvalidParameter(f"bbox: {exc}", param="bbox") from exc
    # Width and height are capped as well as the area: a thin box has almost no area, but its
    # partition cover (and so its query) grows with its length.
    height = bbox.north - bbox.south
    if bbox.width_deg > settings.max_bbox_width_deg or height > settings.max_bbox_height_deg:
        raise InvalidParameter(
            f"bbox is {bbox.width_deg:g} degrees wide and {height:g} high; at most {settings.max_bbox_width_deg:g} "
            f"by {settings.max_bbox_height_deg:g} is allowed: zoom in, or use the vector tiles for a view this large",
            param="bbox",
        )
    if bbox.area_deg2 > settings.max_bbox_area_deg2:
        raise InvalidParameter(
            f"bbox covers {bbox.area_deg2:.0f} square degrees, more than the {settings.max_bbox_area_deg2:g} "
            "allowed: zoom in, or use the vector tiles for a view this large",
            param="bbox",
        )
    return bbox


def _circle(lat: float, lon: float, radius_m: float | None, settings: DiscoverySettings) -> Circle:
    radius = DEFAULT_RADIUS_M if radius_m is None else radius_m
    if radius > settings.max_radius_m:
        raise InvalidParameter(f"radius_m may be at most {settings.max_radius_m:g}", param="radius_m")
    try:
        return Circle(lat, lon, radius)
    except InvalidCircle as exc:  # pydantic has checked the ranges; this is the last line of defence
        raise InvalidParameter(str(exc), param="radius_m") from exc
