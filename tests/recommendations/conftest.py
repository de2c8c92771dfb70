"""A small world for recommendation tests: cheap sign-in, a pinned clock (also the recommender's),
organizers and events around Paris, and every table these tests write emptied afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi import FastAPI

from tests.accounts.helpers import FrozenClock
from tests.profiles.world import TABLES, media_root, settings

__all__ = ["clean_db", "clock", "media_root", "settings"]


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    yield database_url
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        # On Citus, one connection per worker: the reference and coordinator tables (accounts,
        # sessions ...) are then written after the shards of `events` in the same transaction. On a
        # single node the setting is an unused placeholder.
        conn.execute("SELECT set_config('citus.multi_shard_modify_mode', 'sequential', true)")
        for table in ("recommendation_models", *TABLES):
            conn.execute(f"DELETE FROM {table}")


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> FrozenClock:
    pinned = FrozenClock()
    app.state.accounts.clock = pinned
    app.state.organizers.clock = pinned
    app.state.recommendations.clock = pinned
    return pinned
