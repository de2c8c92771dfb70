"""The time zone of a place on the map: the calendar counts that place's days."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.main import create_app
from app.web.places import nautical_zone, zone_at
from config.settings import Settings


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(environment="test", log_json=False, freeze_gc_at_startup=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


@pytest.mark.parametrize(
    ("lat", "lon", "zone"),
    [
        (39.90, 116.41, "Asia/Shanghai"),  # Beijing: nearer Pyongyang than Shanghai, yet Chinese time
        (40.71, -74.01, "America/New_York"),
        (40.73, -74.17, "America/New_York"),  # Newark, across the Hudson
        (31.76, -106.49, "America/Denver"),  # El Paso keeps mountain time, unlike the rest of Texas
        (48.86, 2.35, "Europe/Paris"),
        (-33.87, 151.21, "Australia/Sydney"),
        (1.29, 103.85, "Asia/Singapore"),
    ],
)
def test_the_zone_of_the_nearest_town(lat: float, lon: float, zone: str) -> None:
    assert zone_at(lat, lon) == zone


def test_far_from_any_town_the_sea_keeps_nautical_time() -> None:
    assert zone_at(0.0, -140.0) == "Etc/GMT+9"  # mid-Pacific: UTC-9
    assert [nautical_zone(lon) for lon in (-180, -7.4, 0, 7.6, 180)] == [
        "Etc/GMT+12",
        "UTC",
        "UTC",
        "Etc/GMT-1",
        "Etc/GMT-12",
    ]


async def test_the_endpoint_answers_and_refuses_bad_input(client: httpx.AsyncClient) -> None:
    response = await client.get("/basemap/timezone", params={"lat": "39.9", "lon": "116.41"})
    assert response.status_code == 200 and response.json() == {"timezone": "Asia/Shanghai"}
    assert response.headers["cache-control"].startswith("public")
    for params in [{"lat": "91", "lon": "0"}, {"lat": "0", "lon": "-181"}, {"lat": "nan", "lon": "0"}, {"lat": "1"}]:
        refused = await client.get("/basemap/timezone", params=params)
        assert refused.status_code == 422, params
        assert refused.headers["content-type"] == "application/problem+json"
