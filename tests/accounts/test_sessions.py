"""Refresh rotation and reuse, logout and logout-all: sessions end at once, in every process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from config.settings import Settings
from tests.accounts.helpers import FrozenClock, bearer, log_in, sign_up

AUTH = "/api/v1/auth"
ME = "/api/v1/me"


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(f"{AUTH}/refresh", json={"refresh_token": token})


async def test_reusing_a_rotated_refresh_token_revokes_the_family(client: httpx.AsyncClient) -> None:
    jo = await sign_up(client, "jo@example.com")
    first = (await _refresh(client, jo.refresh_token)).json()
    second = (await _refresh(client, first["refresh_token"])).json()
    # The first refresh token comes back (stolen and replayed, say): the whole session ends.
    replay = await _refresh(client, jo.refresh_token)
    assert replay.status_code == 401
    assert (await _refresh(client, second["refresh_token"])).status_code == 401
    for token in (jo.access_token, first["access_token"], second["access_token"]):
        assert (await client.get(ME, headers=bearer(token))).status_code == 401
    # Other sessions of the same person are untouched.
    other = await log_in(client, "jo@example.com")
    assert (await client.get(ME, headers=bearer(other))).status_code == 200


async def test_refresh_token_expires(client: httpx.AsyncClient, clock: FrozenClock) -> None:
    kim = await sign_up(client, "kim@example.com")
    clock.advance(30 * 86400)
    assert (await _refresh(client, kim.refresh_token)).status_code == 401


async def test_unknown_refresh_token(client: httpx.AsyncClient) -> None:
    assert (await _refresh(client, "A" * 43)).status_code == 401


async def test_logout_ends_the_session_at_once(client: httpx.AsyncClient) -> None:
    lee = await sign_up(client, "lee@example.com")
    laptop = await log_in(client, "lee@example.com")
    assert (await client.get(ME, headers=bearer(lee))).status_code == 200
    assert (await client.post(f"{AUTH}/logout", headers=bearer(lee))).status_code == 204
    assert (await client.get(ME, headers=bearer(lee))).status_code == 401
    assert (await _refresh(client, lee.refresh_token)).status_code == 401
    assert (await client.get(ME, headers=bearer(laptop))).status_code == 200  # another session


async def test_logout_with_the_refresh_token(client: httpx.AsyncClient) -> None:
    max_ = await sign_up(client, "max@example.com")
    assert (await client.post(f"{AUTH}/logout", json={"refresh_token": max_.refresh_token})).status_code == 204
    assert (await client.get(ME, headers=bearer(max_))).status_code == 401
    # Logging out twice, or with nothing, changes nothing and still answers 204.
    assert (await client.post(f"{AUTH}/logout", json={"refresh_token": max_.refresh_token})).status_code == 204
    assert (await client.post(f"{AUTH}/logout")).status_code == 204


async def test_logout_all_ends_every_session_at_once(client: httpx.AsyncClient) -> None:
    ned = await sign_up(client, "ned@example.com")
    phone = await log_in(client, "ned@example.com")
    bystander = await sign_up(client, "ola@example.com")
    assert (await client.post(f"{AUTH}/logout-all", headers=bearer(phone))).status_code == 204
    for who in (ned, phone):
        assert (await client.get(ME, headers=bearer(who))).status_code == 401
        assert (await _refresh(client, who.refresh_token)).status_code == 401
    assert (await client.get(ME, headers=bearer(bystander))).status_code == 200
    assert (await client.post(f"{AUTH}/logout-all")).status_code == 401


@pytest.fixture
async def second_app(settings: Settings, app: FastAPI) -> AsyncIterator[FastAPI]:
    """Another process of the same service (same database and Redis), with its own session cache."""
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        await other.state.pool.wait()
        other.state.accounts.clock = app.state.accounts.clock
        for cache in (app.state.accounts.sessions, other.state.accounts.sessions):
            for _ in range(200):
                if cache.live:
                    break
                await asyncio.sleep(0.01)
            assert cache.live, "the session subscription did not start"
        yield other


async def test_logout_reaches_other_processes_at_once(client: httpx.AsyncClient, second_app: FastAPI) -> None:
    pia = await sign_up(client, "pia@example.com")
    transport = httpx.ASGITransport(app=second_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as elsewhere:
        assert (await elsewhere.get(ME, headers=bearer(pia))).status_code == 200
        assert len(second_app.state.accounts.sessions) == 1  # answered from memory from now on
        assert (await client.post(f"{AUTH}/logout", headers=bearer(pia))).status_code == 204
        # The publish was sent before the logout answered; let the other process's socket read it.
        for _ in range(100):
            if len(second_app.state.accounts.sessions) == 0:
                break
            await asyncio.sleep(0.01)
        assert (await elsewhere.get(ME, headers=bearer(pia))).status_code == 401


async def test_without_the_subscription_every_request_asks_the_database(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    cache = app.state.accounts.sessions
    cache.go_dark()
    quinn = await sign_up(client, "quinn@example.com")
    assert (await client.get(ME, headers=bearer(quinn))).status_code == 200
    assert len(cache) == 0
    async with app.state.pool.connection() as conn:  # revoked behind the service's back
        await conn.execute("UPDATE auth_sessions SET revoked_at = now() WHERE account_id = %s", (quinn.account_id,))
    assert (await client.get(ME, headers=bearer(quinn))).status_code == 401


async def test_logout_with_an_expired_access_token_and_the_refresh_token(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    ray = await sign_up(client, "ray@example.com")
    clock.advance(3600)
    response = await client.post(f"{AUTH}/logout", headers=bearer(ray), json={"refresh_token": ray.refresh_token})
    assert response.status_code == 204
    assert (await _refresh(client, ray.refresh_token)).status_code == 401
    # An expired access token alone cannot say which session to end.
    assert (await client.post(f"{AUTH}/logout", headers=bearer(ray))).status_code == 401
