"""Sign-up, verification, sign-in, refresh, logout and reset through the HTTP API, end to end."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.accounts.helpers import STRONG_PASSWORD, FrozenClock, bearer, log_in, mails_to, sign_up, token_from_mail

AUTH = "/api/v1/auth"


async def test_sign_up_verify_sign_in_and_me(client: httpx.AsyncClient) -> None:
    alice = await sign_up(client, "Alice@Example.com", display_name="Alice")
    me = await client.get("/api/v1/me", headers=bearer(alice))
    assert me.status_code == 200
    account = {
        "id": str(alice.account_id),
        "email": "Alice@example.com",
        "email_verified": True,
        "role": "user",
        "display_name": "Alice",
    }
    assert me.json().items() >= account.items()  # and the profile's fields (tests/profiles)
    # The address is one account whatever its case.
    again = await log_in(client, "alice@EXAMPLE.com")
    assert again.account_id == alice.account_id


async def test_sign_in_works_before_verification(client: httpx.AsyncClient) -> None:
    bob = await sign_up(client, "bob@example.com", verified=False)
    me = await client.get("/api/v1/me", headers=bearer(bob))
    assert me.json()["email_verified"] is False
    token = await token_from_mail(client, "bob@example.com", "verify-email")
    assert (await client.post(f"{AUTH}/verify", json={"token": token})).status_code == 204
    # The same access token now sees the verified address (no new sign-in needed).
    me = await client.get("/api/v1/me", headers=bearer(bob))
    assert me.json()["email_verified"] is True
    # A verification link works once.
    assert (await client.post(f"{AUTH}/verify", json={"token": token})).status_code == 400


async def test_login_answer_shape(client: httpx.AsyncClient) -> None:
    await sign_up(client, "carol@example.com")
    response = await client.post(f"{AUTH}/login", json={"email": "carol@example.com", "password": STRONG_PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert response.headers["cache-control"] == "no-store"


async def test_refresh_rotates(client: httpx.AsyncClient, clock: FrozenClock) -> None:
    dan = await sign_up(client, "dan@example.com")
    clock.advance(60)
    response = await client.post(f"{AUTH}/refresh", json={"refresh_token": dan.refresh_token})
    assert response.status_code == 200, response.text
    fresh = response.json()
    assert fresh["refresh_token"] != dan.refresh_token
    assert (await client.get("/api/v1/me", headers=bearer(fresh["access_token"]))).status_code == 200


async def test_expired_access_token_then_refresh(client: httpx.AsyncClient, clock: FrozenClock) -> None:
    erin = await sign_up(client, "erin@example.com")
    clock.advance(901)
    expired = await client.get("/api/v1/me", headers=bearer(erin))
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]
    response = await client.post(f"{AUTH}/refresh", json={"refresh_token": erin.refresh_token})
    assert response.status_code == 200


async def test_register_existing_email_answers_alike_and_mails_owner(client: httpx.AsyncClient) -> None:
    await sign_up(client, "fay@example.com")
    fresh = await client.post(f"{AUTH}/register", json={"email": "gus@example.com", "password": STRONG_PASSWORD})
    taken = await client.post(f"{AUTH}/register", json={"email": "FAY@example.com", "password": STRONG_PASSWORD})
    assert (fresh.status_code, fresh.json()) == (taken.status_code, taken.json())
    kinds = [mail["kind"] for mail in await mails_to(client, "fay@example.com")]
    assert kinds[0] == "already-registered"


async def test_password_reset(client: httpx.AsyncClient, app: FastAPI) -> None:
    hal = await sign_up(client, "hal@example.com")
    unknown = await client.post(f"{AUTH}/password-reset", json={"email": "nobody@example.com"})
    known = await client.post(f"{AUTH}/password-reset", json={"email": "hal@example.com"})
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json()) == (202, known.json())
    token = await token_from_mail(client, "hal@example.com", "password-reset")
    new_password = "amber kites outrun the slow ferry"
    done = await client.post(f"{AUTH}/password-reset/confirm", json={"token": token, "password": new_password})
    assert done.status_code == 204, done.text
    # Every session ended; the old password no longer works, the new one does.
    assert (await client.get("/api/v1/me", headers=bearer(hal))).status_code == 401
    assert (await client.post(f"{AUTH}/refresh", json={"refresh_token": hal.refresh_token})).status_code == 401
    old = await client.post(f"{AUTH}/login", json={"email": "hal@example.com", "password": STRONG_PASSWORD})
    assert old.status_code == 401
    await log_in(client, "hal@example.com", new_password)
    # The link works once.
    again = await client.post(f"{AUTH}/password-reset/confirm", json={"token": token, "password": new_password})
    assert again.status_code == 400


async def test_resend_verification(client: httpx.AsyncClient) -> None:
    ivo = await sign_up(client, "ivo@example.com", verified=False)
    first = await token_from_mail(client, "ivo@example.com", "verify-email")
    response = await client.post(f"{AUTH}/verify/resend", headers=bearer(ivo))
    assert response.status_code == 202
    second = await token_from_mail(client, "ivo@example.com", "verify-email")
    assert second != first
    assert (await client.post(f"{AUTH}/verify", json={"token": first})).status_code == 400  # replaced
    assert (await client.post(f"{AUTH}/verify", json={"token": second})).status_code == 204
    # Verified: nothing more is sent.
    count = len(await mails_to(client, "ivo@example.com"))
    assert (await client.post(f"{AUTH}/verify/resend", headers=bearer(ivo))).status_code == 202
    assert len(await mails_to(client, "ivo@example.com")) == count
    assert (await client.post(f"{AUTH}/verify/resend")).status_code == 401


async def test_ended_sessions_and_spent_tokens_are_purged(
    client: httpx.AsyncClient, app: FastAPI, clock: FrozenClock
) -> None:
    jay = await sign_up(client, "jay@example.com")
    await client.post(f"{AUTH}/logout", headers=bearer(jay))
    live = await log_in(client, "jay@example.com")
    clock.advance(2 * 86400)
    assert await app.state.accounts.purge_ended() >= 2  # the ended session, the used verification token
    assert (await client.get("/api/v1/me", headers=bearer(live))).status_code == 401  # access token expired
    refreshed = await client.post(f"{AUTH}/refresh", json={"refresh_token": live.refresh_token})
    assert refreshed.status_code == 200  # the live session was kept
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) AS n FROM auth_sessions WHERE account_id = %s", (jay.account_id,))
        assert (await cur.fetchone())["n"] == 1
        cur = await conn.execute("SELECT count(*) AS n FROM account_tokens WHERE account_id = %s", (jay.account_id,))
        assert (await cur.fetchone())["n"] == 0
