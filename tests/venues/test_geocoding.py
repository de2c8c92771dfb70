"""Geocoding: geopy's Nominatim and Photon against a local server, the offline gazetteer, limits, bad input."""

from __future__ import annotations

import math

import httpx
import pytest
from fastapi import FastAPI

from app.venues.geocoding import GeopyGeocoder, OfflineGeocoder, search_towns
from config.settings import GeocodingSettings
from geo.geocoding import match_rank, normal_name
from tests.venues.fake_geocoder import (
    NOMINATIM_REVERSE,
    NOMINATIM_SEARCH,
    PHOTON_SEARCH,
    FakeProvider,
    photon_feature,
    serving,
)

GEOCODE = "/api/v1/geocode"


def _geopy(provider: str, base_url: str, **options: object) -> GeopyGeocoder:
    return GeopyGeocoder(GeocodingSettings(provider=provider, base_url=base_url, **options))


async def test_nominatim_through_geopy(app: FastAPI, client: httpx.AsyncClient) -> None:
    fake = FakeProvider({"/search": NOMINATIM_SEARCH, "/reverse": NOMINATIM_REVERSE})
    with serving(fake):
        app.state.venues.geocoder = _geopy("nominatim", fake.base_url)
        found = await client.get(GEOCODE, params={"q": "tour eiffel", "limit": "2"})
        back = await client.get(f"{GEOCODE}/reverse", params={"lat": "48.8584", "lon": "2.2945"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["provider"] == "nominatim"
    first = body["items"][0]
    assert first["name"] == "Tour Eiffel" and first["country_code"] == "FR"
    assert math.isclose(first["location"]["lat"], 48.8583701) and len(body["items"]) == 2
    search = next(query for path, query in fake.seen if path == "/search")
    assert search["q"] == ["tour eiffel"] and search["limit"] == ["2"]
    assert back.status_code == 200 and back.json()["items"][0]["label"].startswith("Tour Eiffel")
    reverse = next(query for path, query in fake.seen if path == "/reverse")
    assert reverse["lat"] == ["48.8584"] and reverse["lon"] == ["2.2945"]


async def test_photon_through_geopy(app: FastAPI, client: httpx.AsyncClient) -> None:
    fake = FakeProvider({
        "/api": PHOTON_SEARCH,
        "/reverse": {"type": "FeatureCollection", "features": [photon_feature("Pariser Platz", 13.378, 52.516, "DE")]},
    })  # fmt: skip
    with serving(fake):
        app.state.venues.geocoder = _geopy("photon", fake.base_url)
        found = await client.get(GEOCODE, params={"q": "brandenburger tor"})
        back = await client.get(f"{GEOCODE}/reverse", params={"lat": "52.516", "lon": "13.378"})
    item = found.json()["items"][0]
    assert found.json()["provider"] == "photon"
    assert item["name"] == "Brandenburger Tor" and item["country_code"] == "DE"
    assert (item["location"]["lat"], item["location"]["lon"]) == (52.5163, 13.3777)
    assert back.json()["items"][0]["name"] == "Pariser Platz"


async def test_a_slow_or_failing_provider_is_a_503_not_a_hang(app: FastAPI, client: httpx.AsyncClient) -> None:
    slow = FakeProvider({"/search": NOMINATIM_SEARCH}, delay_s=1.0)
    with serving(slow):
        app.state.venues.geocoder = _geopy("nominatim", slow.base_url, timeout_s=0.2)
        response = await client.get(GEOCODE, params={"q": "tour eiffel"})
    assert response.status_code == 503 and response.headers["retry-after"]
    assert response.json()["type"].endswith("/geocoder-unavailable")
    broken = FakeProvider({}, status=500)
    with serving(broken):
        app.state.venues.geocoder = _geopy("photon", broken.base_url)
        response = await client.get(GEOCODE, params={"q": "anything"})
    assert response.status_code == 503


async def test_offline_forward_ranks_by_match_then_population(client: httpx.AsyncClient) -> None:
    response = await client.get(GEOCODE, params={"q": "paris", "limit": "3"})
    assert response.status_code == 200
    body = response.json()
    assert body["provider"] == "offline"
    first = body["items"][0]
    assert (first["name"], first["country_code"], first["timezone"]) == ("Paris", "FR", "Europe/Paris")
    assert len(body["items"]) == 3
    # Accents and case do not matter; alternate Latin names are found.
    assert search_towns("MÜNCHEN", 1)[0].name == "Munich"
    assert search_towns("sao paulo", 1)[0].name == "São Paulo"
    assert search_towns("zzqqxx", 5) == []


async def test_offline_reverse_is_the_nearest_town() -> None:
    geocoder = OfflineGeocoder()
    (lyon,) = await geocoder.reverse(45.7640, 4.8357)
    assert lyon.name.startswith("Lyon") and lyon.country_code == "FR" and lyon.timezone == "Europe/Paris"
    assert await geocoder.reverse(-48.0, -123.0) == []  # the South Pacific's pole of inaccessibility


@pytest.mark.parametrize(
    "path, params",
    [
        (GEOCODE, {}),
        (GEOCODE, {"q": ""}),
        (GEOCODE, {"q": "   "}),
        (GEOCODE, {"q": "x" * 301}),
        (GEOCODE, {"q": "paris", "limit": "0"}),
        (GEOCODE, {"q": "paris", "limit": "51"}),
        (GEOCODE, {"q": "paris", "colour": "red"}),
        (f"{GEOCODE}/reverse", {"lat": "NaN", "lon": "2"}),
        (f"{GEOCODE}/reverse", {"lat": "91", "lon": "2"}),
        (f"{GEOCODE}/reverse", {"lat": "45", "lon": "-181"}),
        (f"{GEOCODE}/reverse", {"lat": "45"}),
        (f"{GEOCODE}/reverse", {"lat": "inf", "lon": "2"}),
    ],
)
async def test_bad_lookups_are_refused(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_lookups_are_limited_per_client(app: FastAPI, client: httpx.AsyncClient) -> None:
    from app.kit.ratelimit import Limit

    app.state.venues.geocode_limit = Limit("geocode", 3, 60)
    codes = [(await client.get(f"{GEOCODE}/reverse", params={"lat": "45.76", "lon": "4.83"})).status_code
             for _ in range(4)]  # fmt: skip
    assert codes == [200, 200, 200, 429]


def test_names_compare_loosely() -> None:
    assert normal_name("  Café  de la GARE! ") == normal_name("cafe de la gare") == "cafe de la gare"
    assert normal_name("Zürich-Oerlikon") == "zurich oerlikon"
    assert normal_name("東京 ドーム") == "東京 ドーム"
    assert match_rank("york", ["york"]) == 0
    assert match_rank("new", ["new york"]) == 1
    assert match_rank("york", ["new york"]) == 2
    assert match_rank("boston", ["new york"]) is None
