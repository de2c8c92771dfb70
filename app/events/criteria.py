"""What a discovery request asks for, checked against the rules before any query runs.

``Criteria`` is the question (where, what, in which order); it is plain data, so the SQL
builder and the cursor fingerprint both read it without knowing about HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

import orjson

from app.errors import InvalidParameter
from app.events.discovery_schemas import CircleParams, FilterParams, ListParams, NearbyParams, Sort
from config.settings import DiscoverySettings
from geo.bbox import BBox, InvalidBBox
from geo.circle import Circle, InvalidCircle

DEFAULT_RADIUS_M = 10_000.0
_CATEGORY = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_MAX_TAG_CHARS = 40


@dataclass(frozen=True, slots=True)
class Criteria:
    area: BBox | Circle
    sort: Sort
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    text: str | None = None
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    free: bool | None = None
    price_max: int | None = None
    min_popularity: int | None = None

    @property
    def circle(self) -> Circle | None:
        return self.area if isinstance(self.area, Circle) else None

    def fingerprint(self) -> bytes:
        """Canonical bytes of the question; a cursor is only valid for the same fingerprint."""
        return orjson.dumps([type(self.area).__name__, self])


def list_criteria(params: ListParams, settings: DiscoverySettings) -> Criteria:
    """The criteria of ``GET /events``, or ``InvalidParameter`` naming the offending parameter."""
    area = _area(params, settings)
    text = _text(params.q)
    sort: Sort = params.sort or ("relevance" if text else "start")
    if sort == "distance" and not isinstance(area, Circle):
        raise InvalidParameter("sort=distance needs lat and lon (a centre to measure from)", param="sort")
    if sort == "relevance" and text is None:
        raise InvalidParameter("sort=relevance needs q (a text to be relevant to)", param="sort")
    return _criteria(area, sort, params)


def nearby_criteria(params: NearbyParams, settings: DiscoverySettings) -> Criteria:
    """The criteria of ``GET /events/nearby``: always nearest first."""
    if params.lat is None or params.lon is None:
        raise InvalidParameter("lat and lon are required", param="lat" if params.lat is None else "lon")
    return _criteria(_circle(params, settings), "distance", params)


def _criteria(area: BBox | Circle, sort: Sort, params: FilterParams) -> Criteria:
    return Criteria(area=area, sort=sort, **filter_values(params))


class FilterValues(TypedDict):
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    text: str | None
    starts_after: datetime | None
    starts_before: datetime | None
    free: bool | None
    price_max: int | None
    min_popularity: int | None


def filter_values(params: FilterParams) -> FilterValues:
    """The filters of a request, checked and normalised: the list's and the tiles' alike."""
    if params.starts_after and params.starts_before and params.starts_before <= params.starts_after:
        raise InvalidParameter("starts_before must be later than starts_after", param="starts_before")
    return FilterValues(
        categories=_categories(params.category),
        tags=_tags(params.tag),
        text=_text(params.q),
        starts_after=params.starts_after,
        starts_before=params.starts_before,
        free=params.free,
        price_max=params.price_max,
        min_popularity=params.min_popularity,
    )


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
    return _circle(params, settings)


def _bbox(text: str, settings: DiscoverySettings) -> BBox:
    try:
        bbox = BBox.parse(text)
    except InvalidBBox as exc:
        raise InvalidParameter(f"bbox: {exc}", param="bbox") from exc
    if bbox.area_deg2 > settings.max_bbox_area_deg2:
        raise InvalidParameter(
            f"bbox covers {bbox.area_deg2:.0f} square degrees, more than the {settings.max_bbox_area_deg2:g} "
            "allowed: zoom in, or use the vector tiles for a view this large",
            param="bbox",
        )
    return bbox


def _circle(params: CircleParams, settings: DiscoverySettings) -> Circle:
    assert params.lat is not None and params.lon is not None
    radius = DEFAULT_RADIUS_M if params.radius_m is None else params.radius_m
    if radius > settings.max_radius_m:
        raise InvalidParameter(f"radius_m may be at most {settings.max_radius_m:g}", param="radius_m")
    try:
        return Circle(params.lat, params.lon, radius)
    except InvalidCircle as exc:  # FastAPI has checked the ranges; this is the last line of defence
        raise InvalidParameter(str(exc), param="radius_m") from exc


def _categories(values: list[str]) -> tuple[str, ...]:
    for value in values:
        if not _CATEGORY.match(value):
            raise InvalidParameter(f"{value!r} is not a category slug", param="category")
    return tuple(sorted(set(values)))


def _tags(values: list[str]) -> tuple[str, ...]:
    # Tags are stored trimmed and lower-cased (see EventFields); filter the same way.
    tags = {value.strip().lower() for value in values if value.strip()}
    if any(len(tag) > _MAX_TAG_CHARS for tag in tags):
        raise InvalidParameter(f"a tag is at most {_MAX_TAG_CHARS} characters", param="tag")
    return tuple(sorted(tags))


def _text(q: str | None) -> str | None:
    text = (q or "").strip()
    return text or None
