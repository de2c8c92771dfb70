"""Password hashing parameters, rehash on sign-in, the strength rule, and the settings' refusals."""

from __future__ import annotations

import httpx
import pytest
from argon2 import extract_parameters
from fastapi import FastAPI

from app.accounts.context import AccountsContext
from app.kit.passwords import Passwords, weakness
from config.settings import AuthSettings, Settings
from tests.accounts.helpers import STRONG_PASSWORD, log_in, sign_up


async def _stored_hash(app: FastAPI, email: str) -> str:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT password_hash FROM accounts WHERE email = %s", (email,))
        row = await cur.fetchone()
        await conn.rollback()
    assert row is not None
    value: str = row["password_hash"]
    return value


async def test_rehash_on_sign_in_when_parameters_change(client: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_up(client, "sol@example.com")
    before = extract_parameters(await _stored_hash(app, "sol@example.com"))
    assert (before.time_cost, before.memory_cost, before.parallelism) == (1, 64, 1)
    assert before.type.name == "ID"
    # The service is redeployed with stronger parameters; the next sign-in stores a new hash.
    context: AccountsContext = app.state.accounts
    context.passwords = Passwords(time_cost=2, memory_kib=128, parallelism=1, concurrency=1)
    await log_in(client, "sol@example.com")
    after = extract_parameters(await _stored_hash(app, "sol@example.com"))
    assert (after.time_cost, after.memory_cost) == (2, 128)
    await log_in(client, "sol@example.com")  # and the password still works


def test_default_parameters_are_owasp_or_stronger() -> None:
    auth = AuthSettings()
    # OWASP's argon2id minimums: m=19 MiB with t=2 (or m=46 MiB with t=1), p=1.
    assert auth.argon2_memory_kib >= 19456 and auth.argon2_time_cost >= 2 and auth.argon2_parallelism >= 1


@pytest.mark.parametrize(
    ("password", "weak"),
    [
        ("short", True),
        ("correcthorse", True),
        ("password1234", True),
        (STRONG_PASSWORD, False),
        ("x" * 257, True),
        ("Tr4ck-Sunset-Quill-82", False),
        ("lovelace-ada", True),  # built from the person's name
    ],
)
def test_strength_rule(password: str, weak: bool) -> None:
    reason = weakness(password, min_length=10, min_score=3, context=["ada@example.com", "ada", "Ada", "Lovelace"])
    assert (reason is not None) == weak, reason


# Everything else production needs, so that the key is what is judged.
PUBLIC = {"public_base_url": "https://maps.example.org"}


@pytest.mark.parametrize(
    "auth",
    [
        {},  # no signing key
        {"jwt_private_key_file": ".data/dev-jwt-ed25519.pem"},  # the development key
        {"jwt_private_key": "pem", "cookie_secure": False},
    ],
)
def test_production_refuses_missing_or_development_keys(auth: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"JWT_PRIVATE_KEY|a development key|COOKIE_SECURE"):
        Settings(environment="production", discovery={"cursor_secret": "s3cret"}, auth=auth, http=PUBLIC)  # type: ignore[arg-type]


def test_production_accepts_a_real_key_file() -> None:
    settings = Settings(
        environment="production",
        discovery={"cursor_secret": "s3cret"},  # type: ignore[arg-type]
        auth={"jwt_private_key_file": "/run/secrets/jwt.pem"},  # type: ignore[arg-type]
        http=PUBLIC,  # type: ignore[arg-type]
    )
    assert settings.auth.jwt_private_key_file == "/run/secrets/jwt.pem"


async def test_hashes_run_off_the_event_loop_at_a_lower_priority() -> None:
    import os
    import threading

    passwords = Passwords(time_cost=1, memory_kib=64, parallelism=1, concurrency=1)
    try:
        where = await passwords._run(lambda: (threading.get_ident(), os.getpriority(os.PRIO_PROCESS, 0)))
        own = await passwords._run(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        assert where[0] != threading.get_ident()
        assert own > os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    finally:
        passwords.close()
