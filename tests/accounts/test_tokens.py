"""Access tokens that must not pass: forged, tampered, expired, early, foreign, or not access tokens at all."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from app.accounts.tokens import AccessTokens, public_key_pem
from tests.accounts.helpers import FrozenClock, SignedIn, bearer, sign_up

ME = "/api/v1/me"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return _json(header), _json(payload), signature


def _json(part: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return value


@pytest.fixture
async def ivy(client: httpx.AsyncClient) -> SignedIn:
    return await sign_up(client, "ivy@example.com")


def _signer(app: FastAPI) -> AccessTokens:
    tokens: AccessTokens = app.state.accounts.access
    return tokens


async def _refused(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get(ME, headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_the_real_token_passes(client: httpx.AsyncClient, ivy: SignedIn) -> None:
    assert (await client.get(ME, headers=bearer(ivy))).status_code == 200


async def test_alg_none(client: httpx.AsyncClient, app: FastAPI, ivy: SignedIn) -> None:
    header, claims, _ = _parts(ivy.access_token)
    await _refused(client, f"{_b64({**header, 'alg': 'none'})}.{_b64(claims)}.")


async def test_hs256_keyed_with_the_public_key(client: httpx.AsyncClient, app: FastAPI, ivy: SignedIn) -> None:
    header, claims, _ = _parts(ivy.access_token)
    public_pem = public_key_pem(_signer(app)._private)
    signing_input = f"{_b64({**header, 'alg': 'HS256'})}.{_b64(claims)}".encode()
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).decode()
    await _refused(client, f"{signing_input.decode()}.{signature.rstrip('=')}")


async def test_tampered_payload(client: httpx.AsyncClient, app: FastAPI, ivy: SignedIn) -> None:
    header, claims, signature = _parts(ivy.access_token)
    other = str(uuid.uuid4())
    await _refused(client, f"{_b64(header)}.{_b64({**claims, 'sub': other})}.{signature}")


async def test_signed_by_another_key(client: httpx.AsyncClient, app: FastAPI, ivy: SignedIn) -> None:
    header, claims, _ = _parts(ivy.access_token)
    await _refused(client, jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers=header))


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"aud": "someone-else"}, "wrong audience"),
        ({"iss": "https://evil.example.com"}, "wrong issuer"),
        ({"typ": "refresh"}, "not an access token"),
        ({"sid": None}, "no session"),
        ({"sub": "not-a-uuid"}, "malformed subject"),
    ],
)
async def test_claims_that_do_not_hold(
    client: httpx.AsyncClient, app: FastAPI, ivy: SignedIn, change: dict[str, Any], why: str
) -> None:
    header, claims, _ = _parts(ivy.access_token)
    claims = {k: v for k, v in {**claims, **change}.items() if v is not None}
    await _refused(client, jwt.encode(claims, _signer(app)._private, algorithm="EdDSA", headers=header))


async def test_expired_and_not_yet_valid(client: httpx.AsyncClient, ivy: SignedIn, clock: FrozenClock) -> None:
    clock.advance(899)
    assert (await client.get(ME, headers=bearer(ivy))).status_code == 200
    clock.advance(1)  # exp is exclusive
    await _refused(client, ivy.access_token)
    clock.advance(-2000)  # before nbf / iat
    await _refused(client, ivy.access_token)


async def test_a_refresh_token_is_not_an_access_token(client: httpx.AsyncClient, ivy: SignedIn) -> None:
    await _refused(client, ivy.refresh_token)


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic aXZ5OnB3", "bearer x.y.z", "Bearer " + "a" * 5000, "Token abc"],
)
async def test_malformed_authorization_headers(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get(ME, headers={"Authorization": header})
    assert response.status_code == 401


async def test_no_token(client: httpx.AsyncClient) -> None:
    response = await client.get(ME)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="happenings"'


async def test_token_of_an_erased_account(client: httpx.AsyncClient, app: FastAPI, ivy: SignedIn) -> None:
    """Deleting the account row (as erase does) ends its sessions with it; its token answers 401."""
    assert (await client.get(ME, headers=bearer(ivy))).status_code == 200  # now cached in this process
    from app.accounts.sessions import SessionsChanged

    async with app.state.pool.connection() as conn:
        await conn.execute("DELETE FROM accounts WHERE id = %s", (ivy.account_id,))
    await app.state.accounts.invalidations.on_changed(SessionsChanged(ivy.account_id))
    await _refused(client, ivy.access_token)
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": ivy.refresh_token})
    assert refreshed.status_code == 401


def test_keys_from_a_file_and_retired_keys_still_accepted(tmp_path: Any) -> None:
    from datetime import UTC, datetime

    from app.accounts.tokens import private_key_pem
    from config.settings import AuthSettings

    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    (tmp_path / "old.pem").write_bytes(private_key_pem(old))
    (tmp_path / "new.pem").write_bytes(private_key_pem(new))
    now = datetime(2030, 1, 1, tzinfo=UTC)
    before = AccessTokens.from_settings(AuthSettings(jwt_private_key_file=str(tmp_path / "old.pem")))
    token = before.issue(uuid.uuid4(), uuid.uuid4(), now)
    rotated = AccessTokens.from_settings(
        AuthSettings(
            jwt_private_key_file=str(tmp_path / "new.pem"),
            jwt_previous_public_keys=[public_key_pem(old).decode()],
        )
    )
    assert rotated.check(token, now.timestamp() + 1).expires_at == int(now.timestamp()) + 900
    forgotten = AccessTokens.from_settings(AuthSettings(jwt_private_key_file=str(tmp_path / "new.pem")))
    with pytest.raises(Exception, match="unknown key"):
        forgotten.check(token, now.timestamp() + 1)
