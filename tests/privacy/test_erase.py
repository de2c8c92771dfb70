"""DELETE /api/v1/me: recent authentication, sessions ended at once, and nothing of the person left anywhere."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from app.accounts.service import start_session
from app.errors import ServiceUnavailable
from app.kit.media import MediaStore
from app.privacy import service
from app.privacy.registry import Erasure, Holder, Person, PersonalData
from tests.accounts.helpers import STRONG_PASSWORD, FrozenClock, bearer, sign_up
from tests.conftest import REDIS_URL
from tests.privacy.people import person_with_everything
from tests.privacy.scan import scan_database, scan_redis

ME = "/api/v1/me"


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


async def _erase(client: httpx.AsyncClient, token: str, body: object) -> httpx.Response:
    return await client.request("DELETE", ME, json=body, headers=bearer(token))


async def _count(app: FastAPI, table: str, account_id: uuid.UUID) -> int:
    async with app.state.pool.connection() as conn:
        column = "id" if table == "accounts" else "account_id"
        cur = await conn.execute(f"SELECT count(*) AS n FROM {table} WHERE {column} = %s", (account_id,))
        row = await cur.fetchone()
    return int(row["n"])


# ---------------------------------------------------------------- the scan


async def test_after_erase_no_table_and_no_redis_key_holds_anything_of_the_person(
    client: httpx.AsyncClient, app: FastAPI, clean_db: str, redis_prefix: str, media_root: Path
) -> None:
    zoe = await person_with_everything(client, app, "zephyrine.quokka@example.org", "Zephyrine Quokkamoto")
    bob = await person_with_everything(client, app, "bob.builder@example.net", "Bob Builder")
    needles = zoe.identifiers()
    redis = Redis.from_url(REDIS_URL)
    try:
        # The scan sees every place first: each identifier is found before the erase, where it was put.
        before, columns = await scan_database(clean_db, list(needles.values()))
        found_before = {(finding.where, finding.needle) for finding in before}
        for where, what in [
            ("public.accounts.email", "email"),
            ("public.accounts.display_name", "display name"),
            ("public.accounts.id", "account id"),
            ("public.profiles.account_id", "account id"),
            ("public.profiles.media_token", "media folder"),
            ("public.saved_events.account_id", "account id"),
            ("public.organizer_follows.account_id", "account id"),
            ("public.profile_interests.account_id", "account id"),
            ("public.auth_sessions.id", "session id 2"),
            ("public.refresh_tokens.token_hash", "refresh token hash 0"),
            ("public.account_tokens.token_hash", "mailed token hash 1"),
            ("public.mail_outbox.to_address", "email"),
            ("public.mail_outbox.body", "mailed token 1"),
        ]:
            assert (where, needles[what]) in found_before, f"the scan did not find the {what} in {where}"
        assert columns > 50
        redis_before, _ = await scan_redis(redis, redis_prefix, [needles["hashed email (rate-limit keys)"]])
        assert redis_before, "the per-address abuse counters should name the hashed email"
        assert len(_files(media_root)) == 2

        response = await _erase(client, zoe.access_tokens[-1], {"password": STRONG_PASSWORD})
        assert response.status_code == 204, response.text

        after, _ = await scan_database(clean_db, list(needles.values()))
        names = {value: name for name, value in needles.items()}
        assert not after, "left after the erase: " + ", ".join(f"{names[f.needle]} in {f.where}" for f in after)
        redis_after, keys = await scan_redis(redis, redis_prefix, list(needles.values()))
        assert keys > 0  # the scan read keys (Bob's counters, caches): it was not looking at nothing
        assert not redis_after, "left in Redis: " + ", ".join(f"{names[f.needle]} in {f.where}" for f in redis_after)

        # Bob is untouched, and the scan still finds him: it is not blind.
        bob_found, _ = await scan_database(clean_db, [bob.email, bob.display_name, str(bob.account_id)])
        assert {f.where for f in bob_found} >= {"public.accounts.email", "public.profiles.account_id"}
        assert [path.parent.name for path in _files(media_root)] == [bob.media_token]
        assert (await client.get(bob.avatar_url)).status_code == 200
        assert (await client.get(ME, headers=bearer(bob.access_tokens[-1]))).status_code == 200
        # What is kept: a count of erasures, nothing that names anyone.
        async with app.state.pool.connection() as conn:
            cur = await conn.execute("SELECT count(*) AS n FROM erasures")
            assert (await cur.fetchone())["n"] == 1
    finally:
        await redis.aclose()


# ---------------------------------------------------------------- sessions end, access goes


async def test_every_session_ends_at_once(client: httpx.AsyncClient, app: FastAPI, media_root: Path) -> None:
    zoe = await person_with_everything(client, app, "zoe@example.org", "Zoe")
    assert (await client.get(ME, headers=bearer(zoe.access_tokens[0]))).status_code == 200  # cached session
    assert (await _erase(client, zoe.access_tokens[-1], {"password": STRONG_PASSWORD})).status_code == 204

    for token in zoe.access_tokens:
        for method, path in (("GET", ME), ("GET", f"{ME}/export"), ("GET", f"{ME}/saved-events"), ("PATCH", ME)):
            response = await client.request(method, path, json={} if method == "PATCH" else None, headers=bearer(token))
            assert response.status_code == 401, (path, response.text)
    for token in zoe.refresh_tokens:
        assert (await client.post("/api/v1/auth/refresh", json={"refresh_token": token})).status_code == 401
    login = await client.post("/api/v1/auth/login", json={"email": zoe.email, "password": STRONG_PASSWORD})
    assert login.status_code == 401
    assert (await client.get(zoe.avatar_url)).status_code == 404
    assert _files(media_root) == []
    # The address is free again: a new account with it is a new person.
    again = await sign_up(client, zoe.email)
    assert again.account_id != zoe.account_id


# ---------------------------------------------------------------- recent authentication


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        (None, 403, "password"),
        ({}, 403, "password"),
        ({"password": "not the password at all"}, 403, "password"),
        ({"password": STRONG_PASSWORD, "confirm": True}, 422, "confirm"),
        ({"password": STRONG_PASSWORD, "account_id": "00000000-0000-0000-0000-000000000000"}, 422, "account_id"),
        ({"password": ""}, 422, "password"),
    ],
)
async def test_erase_needs_the_password_now_and_nothing_else(
    client: httpx.AsyncClient, app: FastAPI, body: object, status: int, param: str
) -> None:
    alice = await sign_up(client, "alice@example.com")
    response = await _erase(client, alice.access_token, body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["param"] == param
    assert await _count(app, "accounts", alice.account_id) == 1
    assert (await client.get(ME, headers=bearer(alice))).status_code == 200


async def test_wrong_passwords_count_against_the_sign_in_limit(client: httpx.AsyncClient, app: FastAPI) -> None:
    alice = await sign_up(client, "alice@example.com")
    statuses = [
        (await _erase(client, alice.access_token, {"password": f"guess number {n}"})).status_code for n in range(12)
    ]
    assert statuses[0] == 403 and statuses[-1] == 429
    assert await _count(app, "accounts", alice.account_id) == 1


async def test_erase_needs_a_signed_in_person(client: httpx.AsyncClient) -> None:
    response = await client.request("DELETE", ME, json={"password": STRONG_PASSWORD})
    assert response.status_code == 401


async def _social_account(app: FastAPI, email: str) -> tuple[uuid.UUID, str]:
    """An account that signs in only through a provider (no password), signed in now."""
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "INSERT INTO accounts (email, email_verified_at, created_at, updated_at) VALUES (%s, now(), now(), now()) "
            "RETURNING id",
            (email,),
        )
        account_id = (await cur.fetchone())["id"]
        pair = await start_session(conn, app.state.accounts, account_id)
    return account_id, pair.access_token


async def test_an_account_without_password_needs_a_fresh_sign_in(
    client: httpx.AsyncClient, app: FastAPI, clock: FrozenClock
) -> None:
    account_id, token = await _social_account(app, "social@example.com")
    clock.advance(11 * 60)
    response = await _erase(client, token, None)
    assert response.status_code == 403
    assert "sign in again" in response.json()["detail"]
    assert await _count(app, "accounts", account_id) == 1

    _, fresh = await _social_account(app, "other-social@example.com")
    clock.advance(60)
    assert (await _erase(client, fresh, None)).status_code == 204


# ---------------------------------------------------------------- all or nothing


async def test_a_holder_that_blocks_the_erase_answers_409_and_nothing_goes(
    client: httpx.AsyncClient, app: FastAPI, media_root: Path
) -> None:
    zoe = await person_with_everything(client, app, "zoe@example.org", "Zoe")

    async def last_owner(conn: object, person: Person) -> str | None:
        return "you are the last owner of an organizer: hand it over first"

    async def nothing(*_: object) -> None:
        return None

    registry: PersonalData = app.state.personal_data
    blocking = Holder("team", (), nothing, nothing, blocks_erase=last_owner)
    app.state.personal_data = PersonalData([*registry.holders[1:], blocking], account=registry.holders[0])
    response = await _erase(client, zoe.access_tokens[-1], {"password": STRONG_PASSWORD})
    assert response.status_code == 409
    assert "last owner" in response.json()["detail"]
    assert await _count(app, "accounts", zoe.account_id) == 1
    assert await _count(app, "saved_events", zoe.account_id) == 1
    assert len(_files(media_root)) == 1
    assert (await client.get(ME, headers=bearer(zoe.access_tokens[-1]))).status_code == 200


async def test_redis_unreachable_during_erase_rolls_everything_back(
    client: httpx.AsyncClient, app: FastAPI, media_root: Path
) -> None:
    zoe = await person_with_everything(client, app, "zoe@example.org", "Zoe")
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    person = Person(zoe.account_id, zoe.email)
    try:
        async with app.state.pool.connection() as conn:
            from app.db import UnitOfWork

            work = UnitOfWork(conn)
            with pytest.raises(ServiceUnavailable):
                async with conn.transaction():
                    await service.erase(
                        work, app.state.personal_data, person, redis=dead, key_prefix="x:", media=MediaStore(media_root)
                    )
    finally:
        await dead.aclose()
    assert await _count(app, "accounts", zoe.account_id) == 1
    assert await _count(app, "profiles", zoe.account_id) == 1
    assert len(_files(media_root)) == 1  # media goes only after Redis


async def test_erasure_collects_what_lives_outside_postgresql(client: httpx.AsyncClient, app: FastAPI) -> None:
    zoe = await person_with_everything(client, app, "zoe@example.org", "Zoe")
    erasure = Erasure(Person(zoe.account_id, zoe.email), pseudonym=uuid.uuid4())
    async with app.state.pool.connection() as conn, conn.transaction(force_rollback=True):
        await app.state.personal_data.erase(conn, erasure)
    assert ("avatars", zoe.media_token) in erasure.media_dirs
    assert any(key.startswith("rl:login-acct:") for key in erasure.redis_keys)
