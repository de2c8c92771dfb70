"""/metrics: open in development, behind a bearer token outside it (and off there without one)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import ClientMaker

TOKEN = "metrics-token-for-the-tests-0123"
PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "discovery": {"cursor_secret": "a-real-secret"},
    "auth": {"jwt_private_key_file": "/run/secrets/jwt-ed25519.pem"},  # named only: the app is not started
    "http": {"public_base_url": "https://maps.example.org", "metrics_token": TOKEN},
}


async def test_development_serves_metrics_to_anyone(client_with: ClientMaker) -> None:
    async with client_with() as client:
        response = await client.get("/metrics")
    assert response.status_code == 200 and "http_requests_total" in response.text


@pytest.mark.parametrize("settings", [PRODUCTION, {"http": {"metrics_token": TOKEN}}], ids=["production", "test"])
async def test_a_configured_token_is_required(client_with: ClientMaker, settings: dict[str, Any]) -> None:
    async with client_with(**settings) as client:
        for authorization in (None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN}x", "Bearer"):
            headers = {"authorization": authorization} if authorization else {}
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401, authorization
            assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
            assert refused.headers["content-type"] == "application/problem+json"
            assert "http_requests_total" not in refused.text
        served = await client.get("/metrics", headers={"authorization": f"bearer {TOKEN}"})
    assert served.status_code == 200 and "http_requests_total" in served.text


async def test_outside_development_metrics_are_off_without_a_token(client_with: ClientMaker) -> None:
    settings = {**PRODUCTION, "http": {"public_base_url": "https://maps.example.org"}}
    async with client_with(**settings) as client:
        response = await client.get("/metrics", headers={"authorization": "Bearer anything-at-all-really"})
    assert response.status_code == 404
    assert "METRICS_TOKEN" in response.json()["detail"]
