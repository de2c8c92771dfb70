"""Accounts tests: cheap argon2 parameters, a pinned clock, and the accounts' tables emptied after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from config.settings import Settings
from tests.accounts.helpers import FrozenClock, with_cheap_auth
from tests.conftest import make_settings
from tests.fixtures.database import delete_rows

ACCOUNT_TABLES = ("mail_outbox", "account_tokens", "refresh_tokens", "auth_sessions", "accounts")


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    """The shared contract (data tables empty after each test), deleting only what these tests write:
    truncating the 64 event partitions would cost half a second per test."""
    yield database_url
    delete_rows(database_url, ACCOUNT_TABLES)


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    return with_cheap_auth(make_settings(clean_db, redis_prefix))


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> FrozenClock:
    """Every accounts test runs at a fixed instant (``EPOCH``) and moves time only by ``advance``."""
    pinned = FrozenClock()
    app.state.accounts.clock = pinned
    return pinned
