"""Ticketing tests: a pinned clock, a pool big enough for concurrent buyers, the tables they write emptied."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi import FastAPI

from config.settings import DatabaseSettings, Settings
from tests.accounts.helpers import FrozenClock, with_cheap_auth
from tests.conftest import make_settings

# Children first. DELETE, not TRUNCATE: truncating the 64 event partitions would cost half a second per test.
TABLES = (
    "events", "order_requests", "organizer_members", "organizers", "mail_outbox", "auth_sessions", "accounts",
)  # fmt: skip


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    yield database_url
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        for table in TABLES:
            conn.execute(f"DELETE FROM {table}")


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    settings = with_cheap_auth(make_settings(clean_db, redis_prefix))
    # Concurrent buyers share the pool as the API's requests do in production (its default size).
    return settings.model_copy(update={"database": DatabaseSettings(url=clean_db, pool_min=2, pool_max=20)})


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> FrozenClock:
    """Ticketing's pinned clock. Accounts get one of their own at the same instant: moving this one past
    a hold's end must not end the sessions of the people in the test."""
    app.state.accounts.clock = FrozenClock()
    pinned = FrozenClock()
    app.state.ticketing.clock = pinned
    return pinned
