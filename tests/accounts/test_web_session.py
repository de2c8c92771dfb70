"""The web front end's session: refresh token in an HttpOnly cookie, CSRF defence on the calls it authenticates."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request

from app.accounts import cookies
from app.accounts.errors import CsrfRefused
from tests.accounts.helpers import STRONG_PASSWORD, bearer, sign_up

AUTH = "/api/v1/auth"
ORIGIN = "https://test"


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client on https (Secure cookies are sent only there), as a browser on the service's origin."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield client


async def _web_login(browser: httpx.AsyncClient, email: str) -> dict[str, str]:
    await sign_up(browser, email)
    browser.cookies.clear()
    response = await browser.post(
        f"{AUTH}/login", json={"email": email, "password": STRONG_PASSWORD, "session_cookie": True}
    )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def test_login_sets_the_cookies(browser: httpx.AsyncClient) -> None:
    body = await _web_login(browser, "fin@example.com")
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "csrf_token"}
    assert body["refresh_token"] is None and body["csrf_token"]
    assert browser.cookies["hp_refresh"] and browser.cookies["hp_csrf"] == body["csrf_token"]


async def test_cookie_attributes(app: FastAPI, browser: httpx.AsyncClient) -> None:
    await sign_up(browser, "gil@example.com")
    response = await browser.post(
        f"{AUTH}/login", json={"email": "gil@example.com", "password": STRONG_PASSWORD, "session_cookie": True}
    )
    set_cookies = response.headers.get_list("set-cookie")
    refresh = next(c for c in set_cookies if c.startswith("hp_refresh="))
    csrf = next(c for c in set_cookies if c.startswith("hp_csrf="))
    for attribute in ("HttpOnly", "Secure", "SameSite=lax", "Path=/api/v1/auth"):
        assert attribute.lower() in refresh.lower(), refresh
    assert "httponly" not in csrf.lower() and "secure" in csrf.lower() and "path=/" in csrf.lower()
    assert response.json()["csrf_token"] == browser.cookies["hp_csrf"]


async def test_refresh_with_the_cookie_and_the_csrf_header(browser: httpx.AsyncClient) -> None:
    body = await _web_login(browser, "hana@example.com")
    headers = {"X-CSRF-Token": body["csrf_token"], "Origin": ORIGIN}
    first_cookie = browser.cookies["hp_refresh"]
    response = await browser.post(f"{AUTH}/refresh", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"] is None
    assert browser.cookies["hp_refresh"] != first_cookie  # rotated
    assert (await browser.get("/api/v1/me", headers=bearer(response.json()["access_token"]))).status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),  # no CSRF header
        ({"X-CSRF-Token": "A" * 43}, 403),  # not the cookie's value
        ({"Origin": "https://evil.example.com", "use_token": "1"}, 403),  # another site
        ({"Sec-Fetch-Site": "cross-site", "use_token": "1"}, 403),
    ],
)
async def test_cookie_refresh_refused_without_csrf_proof(
    browser: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    body = await _web_login(browser, "ida@example.com")
    if headers.pop("use_token", None):
        headers["X-CSRF-Token"] = body["csrf_token"]
    response = await browser.post(f"{AUTH}/refresh", headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_planted_csrf_pair_does_not_pass(browser: httpx.AsyncClient) -> None:
    """Cookie and header agree, but the token is not the session's (set by a sibling domain, say)."""
    await _web_login(browser, "jan@example.com")
    browser.cookies.delete("hp_csrf")
    browser.cookies.set("hp_csrf", "B" * 43, domain="test.local", path="/")
    response = await browser.post(f"{AUTH}/refresh", headers={"X-CSRF-Token": "B" * 43, "Origin": ORIGIN})
    assert response.status_code == 401


async def test_logout_with_the_cookie_clears_it(browser: httpx.AsyncClient) -> None:
    body = await _web_login(browser, "kai@example.com")
    access = body["access_token"]
    response = await browser.post(f"{AUTH}/logout", headers={"X-CSRF-Token": body["csrf_token"], "Origin": ORIGIN})
    assert response.status_code == 204
    assert "hp_refresh" not in browser.cookies
    assert (await browser.get("/api/v1/me", headers=bearer(access))).status_code == 401


async def test_cookie_logout_needs_csrf_proof(browser: httpx.AsyncClient) -> None:
    body = await _web_login(browser, "lou@example.com")
    refused = await browser.post(f"{AUTH}/logout", headers={"Origin": "https://evil.example.com"})
    assert refused.status_code == 403
    assert (await browser.get("/api/v1/me", headers=bearer(body["access_token"]))).status_code == 200


def _cookie_request(origin: str) -> Request:
    headers = [(b"origin", origin.encode()), (b"x-csrf-token", b"t" * 43), (b"cookie", b"hp_csrf=" + b"t" * 43)]
    return Request({"type": "http", "method": "POST", "scheme": "https", "server": ("test", 443), "path": "/",
                    "headers": headers})


def test_pages_of_the_cors_origins_may_use_the_session_cookie() -> None:
    """One list of trusted origins: the pages allowed credentialed CORS calls are the ones that may refresh."""
    trusted = ("https://app.example",)
    assert cookies.checked_csrf_token(_cookie_request("https://app.example"), trusted) == "t" * 43
    assert cookies.checked_csrf_token(_cookie_request("https://test"), ()) == "t" * 43  # the service's own
    with pytest.raises(CsrfRefused):
        cookies.checked_csrf_token(_cookie_request("https://evil.example"), trusted)
