"""Ticketing tests: a pinned clock, a pool big enough for concurrent buyers, the tables they write emptied."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi import FastAPI

from app.events import derived
from config.settings import DatabaseSettings, Settings
from geo.cells import cell_of
from tests.accounts.helpers import FrozenClock, with_cheap_auth
from tests.conftest import make_settings
from tests.ticketing.helpers import PARIS

# Children first. DELETE, not TRUNCATE: truncating the 64 event partitions would cost half a second per test.
TABLES = (
    "checkins",
    "tickets",
    "order_items",
    "orders",
    "order_requests",
    "rsvps",
    "ticket_tiers",
    "event_places",
    "organizer_members",
    "mail_outbox",
    "auth_sessions",
    "accounts",
)


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    yield database_url
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        # On Citus, the coordinator's and reference tables are written after the shards, one connection per worker.
        conn.execute("SELECT set_config('citus.multi_shard_modify_mode', 'sequential', true)")
        for table in TABLES:
            conn.execute(f"DELETE FROM {table}")
        # The tests' events are all in one cell: one partition to delete from (and to lock), not 64.
        conn.execute("DELETE FROM events WHERE cell = %s", (cell_of(*PARIS),))
        conn.execute("DELETE FROM organizers")
        conn.execute(derived.REBUILD)  # the derived tables follow the events left


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    settings = with_cheap_auth(make_settings(clean_db, redis_prefix))
    # 200 buyers at once share one process's pool here (production spreads them over processes). A
    # request waits for a connection longer than the product's 2 s: on a shared 2-core test machine
    # a full pool is the overload guard answering 503, not what these tests are about.
    database = DatabaseSettings(url=clean_db, pool_min=2, pool_max=20, acquire_timeout_s=60)
    return settings.model_copy(update={"database": database})


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> FrozenClock:
    """Ticketing's pinned clock. Accounts get one of their own at the same instant: moving this one past
    a hold's end must not end the sessions of the people in the test."""
    app.state.accounts.clock = FrozenClock()
    pinned = FrozenClock()
    app.state.ticketing.clock = pinned
    return pinned
