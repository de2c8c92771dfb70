"""TileJSON 3.0.0 for the events tiles, and the MapLibre style of the events layer.

Both are built per request from the request's base URL (so they work behind any host or root
path) and its normalised filters: a client reads the TileJSON and never assembles a tile URL.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from app.events.filters import Filters
from config.settings import TileSettings
from geo.mercator import MAX_LAT

STYLE_PATH = Path(__file__).resolve().parent.parent / "config" / "events-style.json"
LAYER = "events"

CLUSTER_FIELDS = {
    "cluster": "Boolean",  # true
    "count": "Number",
    "category": "String",
    "expansion_zoom": "Number",
}
POINT_FIELDS = {
    "cluster": "Boolean",  # false
    "id": "String",
    "title": "String",
    "category": "String",
    "starts_at": "String",
    "timezone": "String",
    "is_free": "Boolean",
    "price_min": "Number",
    "currency": "String",
    "popularity": "Number",
    "status": "String",
    "availability": "String",  # "sold_out" or "few_left"; absent when neither
}


def tile_url_template(base_url: str, filters: Filters) -> str:
    query = f"?{filters.query}" if filters.query else ""
    return f"{base_url.rstrip('/')}/tiles/events/{{z}}/{{x}}/{{y}}.mvt{query}"


def tilejson_url(base_url: str, filters: Filters) -> str:
    query = f"?{filters.query}" if filters.query else ""
    return f"{base_url.rstrip('/')}/tiles/events.json{query}"


def tilejson(base_url: str, filters: Filters, settings: TileSettings) -> dict[str, Any]:
    """The TileJSON document; stable for the same host and filters (no timestamp: it is cacheable)."""
    description = (
        f"Public events. Below zoom {settings.cluster_below_zoom}: clusters of a world-anchored grid "
        "(cluster=true, count, dominant category, expansion_zoom; the counts of a tile add up to its events). "
        f"From zoom {settings.cluster_below_zoom}: one point per event (cluster=false), at most "
        f"{settings.max_features} per tile, the most popular first."
    )
    return {
        "tilejson": "3.0.0",
        "name": "Happenings events",
        "description": description,
        "scheme": "xyz",
        "tiles": [tile_url_template(base_url, filters)],
        "minzoom": 0,
        "maxzoom": settings.max_zoom,
        "bounds": [-180.0, -MAX_LAT, 180.0, MAX_LAT],
        "center": [0.0, 20.0, 2],
        "attribution": "Happenings",
        "vector_layers": [
            {
                "id": LAYER,
                "description": description,
                "minzoom": 0,
                "maxzoom": settings.max_zoom,
                "fields": {**CLUSTER_FIELDS, **POINT_FIELDS},
            }
        ],
        "cluster_max_zoom": settings.cluster_below_zoom - 1,
    }


def events_style(base_url: str, filters: Filters) -> dict[str, Any]:
    """``config/events-style.json`` with its source pointing at this host's TileJSON for ``filters``."""
    style = copy.deepcopy(_style_template())
    style["sources"][LAYER]["url"] = tilejson_url(base_url, filters)
    return style


@cache
def _style_template() -> dict[str, Any]:
    style: dict[str, Any] = json.loads(STYLE_PATH.read_text(encoding="utf-8"))
    return style
