"""Social sign-in refuses what it cannot trust: each case against the real in-process provider.

Every refusal is a 4xx problem+json (502/503 when the provider is down), never a 5xx, and leaves
no session, no account and no link behind.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.main import create_app
from config.settings import OidcProviderSettings, OidcSettings, Settings
from tests.accounts.oidc import journey
from tests.accounts.oidc.conftest import SERVICE
from tests.accounts.oidc.provider import CLIENT_ID, CLIENT_SECRET, ISSUER, TestProvider, signing_key


async def _count(app: FastAPI, table: str) -> int:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(f"SELECT count(*) AS n FROM {table}")
        row = await cur.fetchone()
        await conn.rollback()
    assert row is not None
    return int(row["n"])


async def _nothing_written(app: FastAPI) -> None:
    for table in ("accounts", "auth_sessions", "account_identities"):
        assert await _count(app, table) == 0, table


def _refused(response: httpx.Response, reason: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["reason"] == reason, response.json()
    assert "hp_refresh" not in response.cookies


def _with_query(url: str, **changes: str | None) -> str:
    base, _, _ = url.partition("?")
    params = {**journey.query(url), **changes}
    return base + "?" + "&".join(f"{k}={v}" for k, v in params.items() if v is not None)


# ------------------------------------------------------------------------------------------------ state


@pytest.mark.parametrize(
    ("state", "why"),
    [(None, "missing"), ("A" * 43, "never issued"), ("x" * 10, "malformed")],
)
async def test_a_callback_without_a_state_we_issued_is_refused(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient, state: str | None, why: str
) -> None:
    callback = await journey.authorize(provider_browser, await journey.start(browser))
    _refused(await browser.get(_with_query(callback, state=state)), "state")
    await _nothing_written(app)


async def test_a_replayed_callback_is_refused(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    callback = await journey.authorize(provider_browser, await journey.start(browser))
    assert (await browser.get(callback)).status_code == 303
    browser.cookies.clear()
    replayed = await browser.get(callback)
    _refused(replayed, "state")
    assert await _count(app, "auth_sessions") == 1


async def test_a_code_replayed_under_a_fresh_state_is_refused_by_the_provider(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    first = await journey.authorize(provider_browser, await journey.start(browser))
    assert (await browser.get(first)).status_code == 303
    second = await journey.authorize(provider_browser, await journey.start(browser))
    _refused(await browser.get(_with_query(second, code=journey.query(first)["code"])), "code")
    assert await _count(app, "auth_sessions") == 1


async def test_a_state_from_another_provider_flow_is_refused(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    """The state names the provider it was issued for; a callback on another provider's path fails."""
    callback = await journey.authorize(provider_browser, await journey.start(browser))
    _refused(await browser.get(callback.replace("/oidc/idp/", "/oidc/second/")), "state")
    await _nothing_written(app)


async def test_a_sign_in_finished_in_another_browser_is_refused(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    """Login CSRF: the attacker starts a sign-in and gets the victim's browser to finish it."""
    attackers_callback = await journey.authorize(provider_browser, await journey.start(browser))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SERVICE) as victim:
        _refused(await victim.get(attackers_callback), "browser")
        # A binding cookie of the victim's own (from a sign-in of theirs) does not fit either.
        await journey.start(victim)
        _refused(await victim.get(attackers_callback), "state")  # and the state was spent by the first try
    await _nothing_written(app)


# ------------------------------------------------------------------------------------------------ code and PKCE


async def test_a_code_issued_for_another_verifier_is_refused(
    app: FastAPI, idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    """Code injection: a code the attacker obtained (in a flow of theirs, with their PKCE challenge) put
    into the victim's callback with the victim's own state: the verifier we send does not match it."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SERVICE) as attacker:
        attackers_code = journey.query(await journey.authorize(provider_browser, await journey.start(attacker)))["code"]
    victims_callback = await journey.authorize(provider_browser, await journey.start(browser))
    _refused(await browser.get(_with_query(victims_callback, code=attackers_code)), "code")
    await _nothing_written(app)


async def test_the_provider_refuses_an_authorization_request_without_pkce(
    idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    """The test provider holds confidential clients to PKCE too, so the success paths prove we send it."""
    url = _with_query(await journey.start(browser), code_challenge=None, code_challenge_method=None)
    response = await provider_browser.get(url)
    assert response.status_code == 302 and journey.query(response.headers["location"])["error"] == "invalid_request"


async def test_a_callback_without_a_code_is_refused(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    callback = await journey.authorize(provider_browser, await journey.start(browser))
    _refused(await browser.get(_with_query(callback, code=None)), "code")


# ------------------------------------------------------------------------------------------------ ID token


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def _resigned(changes: dict[str, Any], key: RSAKey | None = None) -> Callable[[str], str]:
    """Rewrite claims and sign again with the provider's key (or another)."""

    def hook(token: str) -> str:
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
        claims = {**_claims(token), **changes}
        signer = key or signing_key()
        return jwt.encode({**header, "kid": signer.kid}, {k: v for k, v in claims.items() if v is not None}, signer)

    return hook


def _payload_swapped(token: str) -> str:
    header, _, signature = token.split(".")
    return ".".join([header, _b64({**_claims(token), "email": "someone.else@example.com"}), signature])


def _alg_none(token: str) -> str:
    return ".".join([_b64({"alg": "none", "typ": "JWT"}), token.split(".")[1], ""])


def _hs256_with_secret(token: str) -> str:
    from joserfc.jwk import OctKey

    key = OctKey.import_key(CLIENT_SECRET.encode())
    return jwt.encode({"alg": "HS256"}, _claims(token), key, algorithms=["HS256"])


TAMPERED: dict[str, Callable[[str], str]] = {
    "payload changed after signing": _payload_swapped,
    "alg none": _alg_none,
    "HS256 keyed with the client secret": _hs256_with_secret,
    "signed by a key the provider does not publish": _resigned({}, key=signing_key("stranger")),
    "another issuer": _resigned({"iss": "https://evil.example.com"}),
    "another audience": _resigned({"aud": ["someone-else"]}),
    "several audiences, azp not ours": _resigned({"aud": [CLIENT_ID, "other"], "azp": "other"}),
    "expired": _resigned({"exp": 1_000_000_000, "iat": 999_999_000}),
    "issued in the future": _resigned({"iat": 4_000_000_000, "exp": 4_000_000_600}),
    "wrong nonce": _resigned({"nonce": "not-the-nonce-we-sent"}),
    "no nonce": _resigned({"nonce": None}),
    "at_hash of another access token": _resigned({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}),
    "no subject": _resigned({"sub": None}),
    "not a JWT": lambda token: "not.a.jwt",
}


@pytest.mark.parametrize("tamper", list(TAMPERED), ids=list(TAMPERED))
async def test_an_id_token_that_does_not_hold_is_refused(
    app: FastAPI, idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient, tamper: str
) -> None:
    idp.id_token_hook = TAMPERED[tamper]
    _refused(await journey.sign_in(browser, provider_browser), "id-token")
    await _nothing_written(app)


async def test_a_nonce_changed_on_the_way_to_the_provider_is_refused(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    """The provider faithfully signs the nonce it was given; it is not the one this sign-in keeps."""
    url = _with_query(await journey.start(browser), nonce="an-injected-nonce")
    _refused(await browser.get(await journey.authorize(provider_browser, url)), "id-token")
    await _nothing_written(app)


async def test_a_rotated_provider_key_is_fetched(
    idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    assert (await journey.sign_in(browser, provider_browser)).status_code == 303
    assert idp.hits.count("/jwks") == 1 and idp.hits.count("/.well-known/openid-configuration") == 1
    browser.cookies.clear()
    assert (await journey.sign_in(browser, provider_browser)).status_code == 303
    assert idp.hits.count("/jwks") == 1 and idp.hits.count("/.well-known/openid-configuration") == 1  # cached
    idp.key = signing_key("idp-key-2")
    idp.published_keys = [signing_key(), idp.key]
    browser.cookies.clear()
    assert (await journey.sign_in(browser, provider_browser)).status_code == 303
    assert idp.hits.count("/jwks") == 2


# ------------------------------------------------------------------------------------------------ provider errors


async def test_a_provider_error_in_the_callback_is_a_refusal(
    app: FastAPI, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    callback = await journey.authorize(provider_browser, await journey.start(browser))
    response = await browser.get(_with_query(callback, code=None, error="server_error<script>"))
    _refused(response, "denied")
    assert "<script>" not in response.text


@pytest.mark.parametrize("status", [500, 503])
async def test_a_failing_provider_is_a_502(idp: TestProvider, browser: httpx.AsyncClient, status: int) -> None:
    idp.failing = status
    response = await browser.get("/api/v1/auth/oidc/idp/start")
    assert response.status_code == 502 and response.headers["content-type"] == "application/problem+json"


async def test_a_provider_failing_at_the_token_endpoint_is_a_502(
    app: FastAPI, idp: TestProvider, browser: httpx.AsyncClient, provider_browser: httpx2.AsyncClient
) -> None:
    callback = await journey.authorize(provider_browser, await journey.start(browser))
    idp.failing = 500
    response = await browser.get(callback)
    assert response.status_code == 502 and response.json()["type"].endswith("/oidc-provider-error")
    await _nothing_written(app)


async def test_a_provider_that_cannot_be_reached_is_a_503(settings: Settings) -> None:
    """Real HTTP to a loopback port nobody listens on: connection refused."""
    unreachable = OidcProviderSettings(issuer="https://127.0.0.1:9", client_id="c", client_secret="s")
    oidc = settings.oidc.model_copy(update={"providers": {"down": unreachable}})
    application = create_app(settings.model_copy(update={"oidc": oidc}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=SERVICE) as client:
            response = await client.get("/api/v1/auth/oidc/down/start")
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "30"
            html = await client.get("/api/v1/auth/oidc/down/callback?state=x", headers={"Accept": "text/html"})
            assert html.status_code == 303  # refused at the state, before any call to the provider


async def test_settings_refuse_a_provider_without_issuer_unless_it_is_google() -> None:
    with pytest.raises(ValueError, match="needs an issuer"):
        OidcSettings(providers={"corp": OidcProviderSettings(client_id="c", client_secret="s")})  # type: ignore[call-arg]
    google = OidcSettings(providers={"google": OidcProviderSettings(client_id="c", client_secret="s")})  # type: ignore[call-arg]
    assert google.providers["google"].issuer == "https://accounts.google.com"
    with pytest.raises(ValueError, match="https"):
        OidcProviderSettings(issuer="http://id.example.com", client_id="c", client_secret="s")  # type: ignore[arg-type]
    assert ISSUER.startswith("https://")


async def test_redis_down_refuses_sign_in(app: FastAPI, browser: httpx.AsyncClient) -> None:
    """The state store is required: without it sign-in answers 503 (fail closed)."""
    from redis.asyncio import Redis

    unreachable = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    app.state.oidc.flows._redis = unreachable
    try:
        response = await browser.get("/api/v1/auth/oidc/idp/start")
        assert response.status_code == 503 and response.headers["retry-after"]
        callback = await browser.get("/api/v1/auth/oidc/idp/callback?state=x&code=y")
        assert callback.status_code == 503
    finally:
        await unreachable.aclose()
