"""Helpers for any test that needs people signed in, through the real HTTP flow and the outbox.

    from tests.accounts.helpers import sign_up, bearer

    alice = await sign_up(client, "alice@example.com")             # verified, signed in
    bob = await sign_up(client, "bob@example.com", verified=False)
    await client.get("/api/v1/me", headers=bearer(alice))

``client`` is an ``httpx.AsyncClient`` over ``httpx.ASGITransport(app=...)`` (the suite's ``client``
fixture); the mails are read from the app's outbox table, as a person would read their mailbox.
Use ``accounts_settings`` (cheap argon2 parameters) for speed: ``tests/accounts/conftest.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from app.accounts.tokens import private_key_pem
from config.settings import AuthSettings, Settings

STRONG_PASSWORD = "violet tram carries seven quiet oboes"
# A fixed instant for clocks pinned by tests (never "today").
EPOCH = datetime(2030, 3, 14, 9, 26, 53, tzinfo=UTC)
TOKEN_IN_LINK = re.compile(r"[#/]+(verify|reset)\?token=([A-Za-z0-9_-]+)")


@dataclass(frozen=True, slots=True)
class SignedIn:
    account_id: UUID
    email: str
    access_token: str
    refresh_token: str


class FrozenClock:
    """A clock that moves only when told: ``app.state.accounts.clock = FrozenClock()``."""

    def __init__(self, now: datetime = EPOCH) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# One signing key for every app of the test run, as the processes of one deployment share theirs.
TEST_SIGNING_KEY = private_key_pem(Ed25519PrivateKey.generate()).decode()


def cheap_auth(**overrides: Any) -> AuthSettings:
    """Auth settings with argon2 parameters cheap enough for tests (never used outside them)."""
    values: dict[str, Any] = {
        "argon2_time_cost": 1,
        "argon2_memory_kib": 64,
        "argon2_parallelism": 1,
        "jwt_private_key": TEST_SIGNING_KEY,
    }
    values.update(overrides)
    return AuthSettings(**values)


def with_cheap_auth(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={"auth": cheap_auth(**overrides)})


def app_of(client: httpx.AsyncClient) -> FastAPI:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport), "sign_up needs a client over httpx.ASGITransport"
    app: FastAPI = transport.app  # type: ignore[assignment]
    return app


def bearer(who: SignedIn | str) -> dict[str, str]:
    token = who if isinstance(who, str) else who.access_token
    return {"Authorization": f"Bearer {token}"}


async def mails_to(client: httpx.AsyncClient, email: str) -> list[dict[str, Any]]:
    """Every mail the outbox holds for ``email``, newest first."""
    async with app_of(client).state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT kind, to_address, subject, body, created_at, sent_at FROM mail_outbox "
            "WHERE lower(to_address) = lower(%s) ORDER BY id DESC",
            (email,),
        )
        rows: list[dict[str, Any]] = await cur.fetchall()
        await conn.rollback()
    return rows


async def token_from_mail(client: httpx.AsyncClient, email: str, kind: str) -> str:
    """The token in the newest mail of ``kind`` ("verify-email", "password-reset") to ``email``."""
    for mail in await mails_to(client, email):
        if mail["kind"] == kind:
            found = TOKEN_IN_LINK.search(mail["body"])
            assert found, mail["body"]
            return found.group(2)
    raise AssertionError(f"no {kind} mail to {email}")


async def log_in(client: httpx.AsyncClient, email: str, password: str = STRONG_PASSWORD) -> SignedIn:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    me = await client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    return SignedIn(UUID(me.json()["id"]), email, body["access_token"], body["refresh_token"])


async def sign_up(
    client: httpx.AsyncClient,
    email: str,
    password: str = STRONG_PASSWORD,
    verified: bool = True,
    display_name: str | None = None,
) -> SignedIn:
    """Register ``email``, confirm it with the link from the outbox (unless ``verified`` is False), sign in."""
    body: dict[str, Any] = {"email": email, "password": password}
    if display_name is not None:
        body["display_name"] = display_name
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 202, response.text
    if verified:
        token = await token_from_mail(client, email, "verify-email")
        confirmed = await client.post("/api/v1/auth/verify", json={"token": token})
        assert confirmed.status_code == 204, confirmed.text
    return await log_in(client, email, password)


async def make_admin(client: httpx.AsyncClient, who: SignedIn) -> None:
    """Promote an account (there is no endpoint for it) and drop its cached sessions."""
    from app.accounts.sessions import SessionsChanged

    app = app_of(client)
    async with app.state.pool.connection() as conn:
        await conn.execute("UPDATE accounts SET role = 'admin' WHERE id = %s", (who.account_id,))
    await app.state.accounts.invalidations.on_changed(SessionsChanged(who.account_id))

