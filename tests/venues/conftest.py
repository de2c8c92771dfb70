"""Venue tests: cheap argon2, generous sign-up limits, one pinned clock, the tables they write emptied."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi import FastAPI

from config.settings import Settings
from tests.accounts.helpers import FrozenClock, with_cheap_auth
from tests.conftest import make_settings
from tests.organizers.conftest import GENEROUS, TABLES


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    yield database_url
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        # On Citus, one connection per worker: the reference tables (venues, organizers, accounts)
        # are then written after the shards of `events` in the same transaction. On a single node
        # the setting is an unused placeholder.
        conn.execute("SELECT set_config('citus.multi_shard_modify_mode', 'sequential', true)")
        for table in ("event_changes", "events", "venues", *TABLES):
            conn.execute(f"DELETE FROM {table}")


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    return with_cheap_auth(make_settings(clean_db, redis_prefix), **GENEROUS)


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> FrozenClock:
    pinned = FrozenClock()
    app.state.accounts.clock = pinned
    app.state.organizers.clock = pinned
    app.state.venues.clock = pinned
    return pinned
