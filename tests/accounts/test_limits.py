"""Abuse limits: 429 with Retry-After past a limit; 503 (fail closed) when Redis cannot be asked,
while public reads go on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from bench.server import free_port
from config.settings import RedisSettings, Settings
from tests.accounts.helpers import STRONG_PASSWORD, FrozenClock, sign_up, with_cheap_auth
from tests.conftest import make_settings

AUTH = "/api/v1/auth"


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    return with_cheap_auth(
        make_settings(clean_db, redis_prefix),
        login_ip_limit="50/300",
        login_account_limit="3/900",
        register_ip_limit="2/3600",
        reset_account_limit="1/3600",
    )


async def test_sign_in_limit_per_account(client: httpx.AsyncClient) -> None:
    await sign_up(client, "val@example.com")
    body = {"email": "val@example.com", "password": "wrong wrong wrong"}
    for _ in range(2):  # sign_up's own sign-in was the first attempt
        assert (await client.post(f"{AUTH}/login", json=body)).status_code == 401
    limited = await client.post(f"{AUTH}/login", json={**body, "password": STRONG_PASSWORD})
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert 1 <= int(limited.headers["retry-after"]) <= 900
    # Another address from the same client is not held back by it.
    other = await client.post(f"{AUTH}/login", json={"email": "wes@example.com", "password": "whatever it is"})
    assert other.status_code == 401


async def test_sign_up_limit_per_ip(client: httpx.AsyncClient) -> None:
    for name in ("xia", "yul"):
        body = {"email": f"{name}@example.com", "password": STRONG_PASSWORD}
        response = await client.post(f"{AUTH}/register", json=body)
        assert response.status_code == 202
    third = await client.post(f"{AUTH}/register", json={"email": "zed@example.com", "password": STRONG_PASSWORD})
    assert third.status_code == 429 and int(third.headers["retry-after"]) > 0


async def test_reset_limit_per_account(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"{AUTH}/password-reset", json={"email": "ana@example.com"})).status_code == 202
    again = await client.post(f"{AUTH}/password-reset", json={"email": "ANA@example.com"})
    assert again.status_code == 429


@pytest.fixture
async def redis_down_app(clean_db: str, redis_prefix: str) -> AsyncIterator[FastAPI]:
    """The service with Redis pointing at a port where nothing listens."""
    base = with_cheap_auth(make_settings(clean_db, redis_prefix))
    settings = base.model_copy(
        update={"redis": RedisSettings(url=f"redis://127.0.0.1:{free_port()}/0", key_prefix=redis_prefix)}
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await application.state.pool.wait()
        application.state.accounts.clock = FrozenClock()
        yield application


async def test_redis_down_sign_in_fails_closed_reads_go_on(redis_down_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=redis_down_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path, body in [
            (f"{AUTH}/login", {"email": "bo@example.com", "password": STRONG_PASSWORD}),
            (f"{AUTH}/register", {"email": "bo@example.com", "password": STRONG_PASSWORD}),
            (f"{AUTH}/password-reset", {"email": "bo@example.com"}),
        ]:
            response = await client.post(path, json=body)
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["retry-after"]) > 0
        events = await client.get("/api/v1/events", params={"bbox": "2.2,48.8,2.5,48.9"})
        assert events.status_code == 200
        async with redis_down_app.state.pool.connection() as conn:
            cur = await conn.execute("SELECT count(*) AS n FROM accounts")
            assert (await cur.fetchone())["n"] == 0
