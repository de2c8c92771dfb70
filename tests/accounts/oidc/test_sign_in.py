"""Social sign-in end to end against a real provider in the process: sign-up, linking, the app hand-off."""

from __future__ import annotations

import hashlib
import json
from base64 import urlsafe_b64encode
from typing import Any
from uuid import UUID

import httpx
import httpx2
from fastapi import FastAPI

from app.accounts.oidc.repository import identities_of
from tests.accounts.helpers import STRONG_PASSWORD, sign_up, token_from_mail
from tests.accounts.oidc import journey
from tests.accounts.oidc.conftest import APP_REDIRECT, SERVICE
from tests.accounts.oidc.provider import CLIENT_ID, ISSUER, TestProvider, User


async def _rows(app: FastAPI, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(sql, args)
        rows: list[dict[str, Any]] = await cur.fetchall()
        await conn.rollback()
    return rows


async def _identities(app: FastAPI) -> list[dict[str, Any]]:
    return await _rows(app, "SELECT provider, subject, account_id, email_verified FROM account_identities")


async def test_the_start_redirect_asks_for_code_with_pkce_state_and_nonce(
    app: FastAPI, browser: httpx.AsyncClient
) -> None:
    response = await browser.get("/api/v1/auth/oidc/idp/start")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{ISSUER}/authorize?")
    params = journey.query(location)
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == f"{SERVICE}/api/v1/auth/oidc/idp/callback"
    assert params["scope"].split() == ["openid", "email", "profile"]
    assert params["code_challenge_method"] == "S256" and len(params["state"]) >= 43 and len(params["nonce"]) >= 43
    # What the service keeps: under the state's hash, the verifier matching the challenge sent.
    key = f"{app.state.settings.redis.key_prefix}oidc:flow:{hashlib.sha256(params['state'].encode()).hexdigest()}"
    kept = json.loads(await app.state.redis.get(key))
    challenge = urlsafe_b64encode(hashlib.sha256(kept["code_verifier"].encode()).digest()).rstrip(b"=").decode()
    assert challenge == params["code_challenge"] and kept["nonce"] == params["nonce"]
    assert 0 < await app.state.redis.ttl(key) <= 600
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-hp_oidc="))
    for attribute in ("httponly", "secure", "samesite=lax", "path=/", "max-age=600"):
        assert attribute in cookie.lower(), cookie
    assert response.headers["cache-control"] == "no-store"


async def test_a_new_person_signs_up(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    response = await journey.sign_in(browser, provider_browser, next="/#/events")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{SERVICE}/#/events"
    assert "code=" not in response.headers["location"] and "token" not in response.headers["location"]
    assert browser.cookies["hp_refresh"] and browser.cookies["hp_csrf"]
    assert "__Host-hp_oidc" not in browser.cookies  # the sign-in is over
    account = await journey.me(browser)
    assert account["email"] == "robin@example.com" and account["email_verified"] is True
    assert account["display_name"] == "Robin Example"
    [link] = await _identities(app)
    assert (link["provider"], link["subject"], str(link["account_id"])) == ("idp", "idp-user-1", account["id"])
    [row] = await _rows(app, "SELECT password_hash FROM accounts")
    assert row["password_hash"] is None  # signs in through the provider only
    async with app.state.pool.connection() as conn:
        held = await identities_of(conn, UUID(account["id"]))  # what an export of the account lists
    assert [(item["provider"], item["subject"]) for item in held] == [("idp", "idp-user-1")]


async def test_the_link_signs_in_again_whatever_the_address_now(
    idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    await journey.sign_in(browser, provider_browser)
    first = await journey.me(browser)
    browser.cookies.clear()
    idp.user = User("idp-user-1", "robin.new@example.com")
    assert (await journey.sign_in(browser, provider_browser)).status_code == 303
    assert (await journey.me(browser))["id"] == first["id"]


async def test_an_existing_verified_account_is_linked(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    local = await sign_up(browser, "Robin@Example.com")
    browser.cookies.clear()
    response = await journey.sign_in(browser, provider_browser)
    assert response.status_code == 303, response.text
    assert (await journey.me(browser))["id"] == str(local.account_id)
    [link] = await _identities(app)
    assert link["account_id"] == local.account_id and link["email_verified"] is True


async def test_an_unverified_local_account_is_not_linked(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    local = await sign_up(browser, "robin@example.com", verified=False)
    browser.cookies.clear()
    response = await journey.sign_in(browser, provider_browser)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/oidc-link-refused")
    assert await _identities(app) == []
    assert "hp_refresh" not in browser.cookies
    sessions = await _rows(app, "SELECT id FROM auth_sessions WHERE account_id = %s", local.account_id)
    assert len(sessions) == 1  # the password sign-in's, nothing more


async def test_an_address_the_provider_did_not_verify_is_not_linked(
    app: FastAPI, idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    await sign_up(browser, "robin@example.com")
    browser.cookies.clear()
    for unverified in (False, None, "false"):
        idp.user = User("idp-user-1", "robin@example.com", email_verified=unverified)
        response = await journey.sign_in(browser, provider_browser)
        assert response.status_code == 409, (unverified, response.text)
        assert response.json()["type"].endswith("/oidc-link-refused")
    assert await _identities(app) == []


async def test_the_linked_local_account_is_verified_after_its_own_confirmation(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    """The way out of the refusal: confirm the address, then the provider's sign-in links."""
    await sign_up(browser, "robin@example.com", verified=False)
    browser.cookies.clear()
    assert (await journey.sign_in(browser, provider_browser)).status_code == 409
    token = await token_from_mail(browser, "robin@example.com", "verify-email")
    assert (await browser.post("/api/v1/auth/verify", json={"token": token})).status_code == 204
    assert (await journey.sign_in(browser, provider_browser)).status_code == 303
    assert len(await _identities(app)) == 1


async def test_a_new_account_on_an_unverified_address_is_unverified_and_mailed(
    app: FastAPI, idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    idp.user = User("idp-user-2", "sam@example.com", email_verified=False)
    assert (await journey.sign_in(browser, provider_browser)).status_code == 303
    account = await journey.me(browser)
    assert account["email"] == "sam@example.com" and account["email_verified"] is False
    assert await token_from_mail(browser, "sam@example.com", "verify-email")


async def test_a_link_on_an_unverified_address_ends_when_the_mailbox_owner_resets_the_password(
    app: FastAPI, idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    """Someone claims sam@ at a provider that does not check; sam takes the account back by mail."""
    idp.user = User("intruder", "sam@example.com", email_verified=False)
    assert (await journey.sign_in(browser, provider_browser)).status_code == 303
    browser.cookies.clear()
    assert (await browser.post("/api/v1/auth/password-reset", json={"email": "sam@example.com"})).status_code == 202
    token = await token_from_mail(browser, "sam@example.com", "password-reset")
    confirm = {"token": token, "password": STRONG_PASSWORD}
    assert (await browser.post("/api/v1/auth/password-reset/confirm", json=confirm)).status_code == 204
    response = await journey.sign_in(browser, provider_browser)
    assert response.status_code == 409, response.text


async def test_the_email_comes_from_userinfo_when_the_id_token_has_none(
    idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    idp.email_in_id_token = False
    assert (await journey.sign_in(browser, provider_browser)).status_code == 303
    assert (await journey.me(browser))["email"] == "robin@example.com"
    assert "/userinfo" in idp.hits


async def test_no_email_at_all_is_refused(
    idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    idp.user = User("idp-user-3", None)
    response = await journey.sign_in(browser, provider_browser)
    assert response.status_code == 400 and response.json()["type"].endswith("/oidc-no-email")


async def test_a_browser_is_sent_to_the_sign_in_page_with_the_reason(
    browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    await sign_up(browser, "robin@example.com", verified=False)
    browser.cookies.clear()
    callback = await journey.authorize(provider_browser, await journey.start(browser))
    response = await browser.get(callback, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{SERVICE}/#/sign-in?error=link-refused"


async def test_the_person_declining_at_the_provider(
    idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    idp.user = None  # the provider's "deny" button
    callback = await journey.authorize(provider_browser, await journey.start(browser))
    assert journey.query(callback)["error"] == "access_denied"
    response = await browser.get(callback)
    assert response.status_code == 400
    assert response.json()["reason"] == "denied"


async def test_providers_are_listed_and_unknown_ones_do_not_exist(browser: httpx.AsyncClient) -> None:
    listed = await browser.get("/api/v1/auth/oidc/providers")
    assert listed.json() == {
        "items": [
            {"name": "idp", "display_name": "Test ID", "start_url": "/api/v1/auth/oidc/idp/start"},
            {"name": "second", "display_name": "Second", "start_url": "/api/v1/auth/oidc/second/start"},
        ]
    }
    for path in ("/api/v1/auth/oidc/google/start", "/api/v1/auth/oidc/google/callback?state=x&code=y"):
        response = await browser.get(path)
        assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert (await browser.get("/api/v1/auth/oidc/Not%20A%20Name/start")).status_code == 422


# ------------------------------------------------------------------------------------------------ mobile apps


def _pkce() -> tuple[str, str]:
    verifier = "app-verifier-" + "v" * 50
    challenge = urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def test_a_mobile_app_gets_its_tokens_through_a_hand_off_code(
    browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    verifier, challenge = _pkce()
    params = {
        "app_redirect_uri": APP_REDIRECT,
        "app_state": "app-7",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = await journey.sign_in(browser, provider_browser, **params)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"{APP_REDIRECT}?")
    handed = journey.query(location)
    assert handed["state"] == "app-7" and "hp_refresh" not in browser.cookies
    wrong = await browser.post("/api/v1/auth/oidc/token", json={"code": handed["code"], "code_verifier": "x" * 43})
    assert wrong.status_code == 400  # and the code is spent
    response = await journey.sign_in(browser, provider_browser, **params)
    code = journey.query(response.headers["location"])["code"]
    tokens = await browser.post("/api/v1/auth/oidc/token", json={"code": code, "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["refresh_token"] and body["token_type"] == "Bearer"
    me = await browser.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["email"] == "robin@example.com"
    again = await browser.post("/api/v1/auth/oidc/token", json={"code": code, "code_verifier": verifier})
    assert again.status_code == 400


async def test_an_app_redirect_uri_must_be_configured(browser: httpx.AsyncClient) -> None:
    _, challenge = _pkce()
    response = await browser.get(
        "/api/v1/auth/oidc/idp/start",
        params={
            "app_redirect_uri": "https://evil.example.com/cb",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code == 400 and response.json()["reason"] == "app"
    no_pkce = await browser.get("/api/v1/auth/oidc/idp/start", params={"app_redirect_uri": APP_REDIRECT})
    assert no_pkce.status_code == 400


async def test_bad_input_is_refused_and_writes_nothing(app: FastAPI, browser: httpx.AsyncClient) -> None:
    for next_path in ("//evil.example.com/", "https://evil.example.com/", "/\\evil.example.com", "x" * 300):
        response = await browser.get("/api/v1/auth/oidc/idp/start", params={"next": next_path})
        assert response.status_code == 422, next_path
    extra = {"code": "c" * 43, "code_verifier": "v" * 43, "role": "admin"}
    for body in (extra, {"code": "c" * 43}, {"code": "short", "code_verifier": "v" * 43}):
        response = await browser.post("/api/v1/auth/oidc/token", json=body)
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert await _rows(app, "SELECT id FROM accounts") == []
    keys = [key async for key in app.state.redis.scan_iter(match=f"{app.state.settings.redis.key_prefix}oidc:*")]
    assert keys == []
