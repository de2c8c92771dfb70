"""Pure parts of geocoding: what a found place is, name normalisation, distances, ranking.

Providers (geopy's remote geocoders, the offline GeoNames gazetteer) live in ``app.venues.geocoding``;
everything here is free of I/O so it can be tested and reused (venue de-duplication compares names
with ``normal_name``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Latin, Greek and Cyrillic (with their extensions) end before this code point.
_ALPHABETS_END = 0x0530


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
    other scripts keep their identity (only accents on Latin, Greek and Cyrillic letters go).
    """
    if name.isascii():  # the common case, without a decomposition
        return " ".join("".join(char if char.isalnum() else " " for char in name.lower()).split())
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    kept: list[str] = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category.startswith("M"):
            # Accents on Latin, Greek and Cyrillic letters go; other scripts' marks (a kana's
            # voicing mark, Devanagari's vowel signs) are part of the letter and stay.
            if not kept or ord(kept[-1]) >= _ALPHABETS_END:
                kept.append(char)
            continue
        kept.append(char if category[0] in "LN" else " ")
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


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
