"""Bad bodies are refused with problem+json naming the field, and nothing is written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.accounts.helpers import STRONG_PASSWORD, sign_up

AUTH = "/api/v1/auth"
GOOD = {"email": "rae@example.com", "password": STRONG_PASSWORD}
TOKEN = "A" * 43

# (path, body, the field the problem must name)
CASES: list[tuple[str, Any, str | None]] = [
    # privilege fields smuggled into bodies
    (f"{AUTH}/register", {**GOOD, "role": "admin"}, "role"),
    (f"{AUTH}/register", {**GOOD, "is_admin": True}, "is_admin"),
    (f"{AUTH}/register", {**GOOD, "organizer_id": "5b2b5a0e-8a4b-4a59-9b59-2d2f3b1c9e01"}, "organizer_id"),
    (f"{AUTH}/register", {**GOOD, "email_verified": True}, "email_verified"),
    (f"{AUTH}/login", {**GOOD, "role": "admin"}, "role"),
    (f"{AUTH}/refresh", {"refresh_token": TOKEN, "is_admin": True}, "is_admin"),
    (f"{AUTH}/verify", {"token": TOKEN, "role": "admin"}, "role"),
    (f"{AUTH}/password-reset", {"email": "rae@example.com", "organizer_id": 1}, "organizer_id"),
    (f"{AUTH}/password-reset/confirm", {"token": TOKEN, "password": STRONG_PASSWORD, "role": "admin"}, "role"),
    # malformed values
    (f"{AUTH}/register", {**GOOD, "email": "not-an-address"}, "email"),
    (f"{AUTH}/register", {**GOOD, "email": "a" * 250 + "@example.com"}, "email"),
    (f"{AUTH}/register", {"email": "rae@example.com"}, "password"),
    (f"{AUTH}/register", {**GOOD, "password": "x" * 257}, "password"),
    (f"{AUTH}/register", {**GOOD, "password": 12345678901}, "password"),
    (f"{AUTH}/register", {**GOOD, "display_name": ""}, "display_name"),
    (f"{AUTH}/register", {**GOOD, "display_name": "n" * 101}, "display_name"),
    (f"{AUTH}/register", [GOOD], None),
    (f"{AUTH}/login", {"email": "rae@example.com"}, "password"),
    (f"{AUTH}/login", {**GOOD, "session_cookie": "sometimes"}, "session_cookie"),
    (f"{AUTH}/refresh", {"refresh_token": "short"}, "refresh_token"),
    (f"{AUTH}/refresh", {"refresh_token": "A" * 40 + "'; --"}, "refresh_token"),
    (f"{AUTH}/verify", {}, "token"),
    (f"{AUTH}/verify", {"token": "x" * 500}, "token"),
    (f"{AUTH}/password-reset/confirm", {"token": TOKEN}, "password"),
]


async def _counts(app: FastAPI) -> tuple[int, ...]:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT (SELECT count(*) FROM accounts) a, (SELECT count(*) FROM auth_sessions) s, "
            "(SELECT count(*) FROM refresh_tokens) r, (SELECT count(*) FROM account_tokens) t, "
            "(SELECT count(*) FROM mail_outbox) m"
        )
        row = await cur.fetchone()
        await conn.rollback()
    return tuple(row.values())


@pytest.mark.parametrize(("path", "body", "param"), CASES)
async def test_refused_and_nothing_written(
    client: httpx.AsyncClient, app: FastAPI, path: str, body: Any, param: str | None
) -> None:
    before = await _counts(app)
    response = await client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if param is not None:
        assert response.json()["param"] == param
    assert await _counts(app) == before


@pytest.mark.parametrize(
    "password",
    ["short", "password1234", "aaaaaaaaaaaaaaaa", "rae@example.com", "happenings2024", "Rae12345678", "qwertyuiop123"],
)
async def test_weak_passwords_are_refused(client: httpx.AsyncClient, app: FastAPI, password: str) -> None:
    before = await _counts(app)
    response = await client.post(f"{AUTH}/register", json={**GOOD, "password": password})
    assert response.status_code == 422, response.text
    assert response.json()["param"] == "password"
    assert await _counts(app) == before


async def test_a_role_in_the_body_never_makes_an_admin(client: httpx.AsyncClient) -> None:
    await client.post(f"{AUTH}/register", json={**GOOD, "role": "admin"})
    sam = await sign_up(client, "sam@example.com")
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {sam.access_token}"})
    assert me.json()["role"] == "user"


async def test_wrong_password_and_unknown_email_answer_alike(client: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_up(client, "tia@example.com")
    wrong = await client.post(f"{AUTH}/login", json={"email": "tia@example.com", "password": "not her password!"})
    unknown = await client.post(f"{AUTH}/login", json={"email": "uma@example.com", "password": "not her password!"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() | {"instance": None} == unknown.json() | {"instance": None}
    # The unknown address spent a hash too (on the decoy made for that purpose).
    assert app.state.accounts.passwords._decoy is not None


async def test_unknown_verify_and_reset_tokens(client: httpx.AsyncClient) -> None:
    for path, body in [
        (f"{AUTH}/verify", {"token": TOKEN}),
        (f"{AUTH}/password-reset/confirm", {"token": TOKEN, "password": STRONG_PASSWORD}),
    ]:
        response = await client.post(path, json=body)
        assert response.status_code == 400
        assert response.json()["param"] == "token"
