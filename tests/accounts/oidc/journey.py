"""A person's trip through social sign-in, step by step, as their browser makes it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2

START = "/api/v1/auth/oidc/{provider}/start"


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def start(browser: httpx.AsyncClient, provider: str = "idp", **params: Any) -> str:
    """Press the sign-in button: the provider's authorization URL we are sent to."""
    response = await browser.get(START.format(provider=provider), params=params)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def authorize(provider_browser: httpx2.AsyncClient, authorization_url: str) -> str:
    """Sign in at the provider (it approves at once): the callback URL it sends the browser back to."""
    response = await provider_browser.get(authorization_url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def sign_in(browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient, **params: Any) -> httpx.Response:
    """The whole trip: start, the provider, and the service's answer to the callback."""
    callback = await authorize(provider_browser, await start(browser, **params))
    return await browser.get(callback)


async def access_token(browser: httpx.AsyncClient) -> str:
    """What the front end does on landing: trade the session cookie (with its CSRF token) for an access token."""
    csrf = browser.cookies["hp_csrf"]
    response = await browser.post(
        "/api/v1/auth/refresh", headers={"X-CSRF-Token": csrf, "Origin": str(browser.base_url).rstrip("/")}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def me(browser: httpx.AsyncClient) -> dict[str, Any]:
    response = await browser.get("/api/v1/me", headers={"Authorization": f"Bearer {await access_token(browser)}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
