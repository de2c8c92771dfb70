"""Pure parts of geocoding: what a found place is, name normalisation, distances, ranking.

Providers (geopy's remote geocoders, the offline GeoNames gazetteer) live in ``app.venues.geocoding``;
everything here is free of I/O so it can be tested and reused (venue de-duplication compares names
with ``normal_name``).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class FoundPlace:
    """One answer of a geocoder: a label to show and a point, with what the provider also knew."""

    label: str
    lat: float
    lon: float
    name: str
    country_code: str | None = None
    timezone: str | None = None
    population: int | None = None


def normal_name(name: str) -> str:
    """``name`` compared loosely: case folded, diacritics and punctuation dropped, spaces collapsed.

    "Café  de la Gare", "cafe de la gare" and "CAFÉ DE LA GARE!" are one name; letters outside
    Latin scripts keep their identity (only combining marks are removed after NFKD).
    """
    if name.isascii():  # the common case, without a decomposition
        return " ".join("".join(char if char.isalnum() else " " for char in name.lower()).split())
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    kept = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category.startswith("M"):  # combining marks: the diacritics
            continue
        kept.append(char if category[0] in "LN" else " ")
    return " ".join("".join(kept).split())


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle metres between two points (haversine on the mean Earth radius)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def match_rank(query: str, names: Iterable[str]) -> int | None:
    """How well a place whose names are ``names`` (already normalised) answers ``query`` (normalised).

    0: a name is the query; 1: a name starts with it; 2: a word of a name starts with it; None: no match.
    """
    best: int | None = None
    for name in names:
        if name == query:
            return 0
        if name.startswith(query):
            best = 1
        elif best is None and any(word.startswith(query) for word in name.split()):
            best = 2
    return best


def place_from_geopy(raw: dict[str, Any], label: str, lat: float, lon: float) -> FoundPlace:
    """A geopy ``Location.raw`` (Nominatim's JSON, or Photon's/Pelias's GeoJSON feature) as a ``FoundPlace``."""
    properties = raw.get("properties") if isinstance(raw.get("properties"), dict) else None
    if properties is not None:  # Photon and Pelias answer GeoJSON features
        name = str(properties.get("name") or label)
        code = properties.get("countrycode") or properties.get("country_code")
    else:  # Nominatim
        name = str(raw.get("name") or label.split(",")[0])
        address = raw.get("address") if isinstance(raw.get("address"), dict) else {}
        code = address.get("country_code") if address else None
    country = str(code).upper()[:2] if isinstance(code, str) and len(code) >= 2 else None
    return FoundPlace(label=label[:500], lat=lat, lon=lon, name=name[:200], country_code=country)
