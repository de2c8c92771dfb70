"""Payment tests: ticketing's world (pinned clock, people, an organizer, events) with a running
localstripe behind the gateway and a webhook secret configured."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi import FastAPI

from config.settings import DatabaseSettings, Settings
from tests.accounts.helpers import FrozenClock, with_cheap_auth
from tests.conftest import make_settings
from tests.fixtures.localstripe import LocalStripe
from tests.ticketing.conftest import TABLES as TICKETING_TABLES
from tests.ticketing.helpers import Person, people

TABLES = ("stripe_events", *TICKETING_TABLES)


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    yield database_url
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        # On Citus, the coordinator's and reference tables are written after the shards, one connection per worker.
        conn.execute("SELECT set_config('citus.multi_shard_modify_mode', 'sequential', true)")
        for table in TABLES:
            conn.execute(f"DELETE FROM {table}")


@pytest.fixture
def settings(clean_db: str, redis_prefix: str, localstripe: LocalStripe) -> Settings:
    settings = with_cheap_auth(make_settings(clean_db, redis_prefix))
    return settings.model_copy(
        update={
            "database": DatabaseSettings(url=clean_db, pool_min=2, pool_max=20),
            # Attendees may ask for a refund until an hour before the start (the events start a day
            # after the pinned clock).
            "payments": localstripe.settings(refund_window_s=3600, reconcile_after_s=60),
        }
    )


@pytest.fixture
def clock(app: FastAPI) -> FrozenClock:
    """One pinned clock for ticketing and payments (a hold's end and a webhook's age move together);
    accounts keep their own, so that moving this one does not end the people's sessions."""
    app.state.accounts.clock = FrozenClock()
    pinned = FrozenClock()
    app.state.ticketing.clock = pinned
    app.state.payments.clock = pinned
    return pinned


@pytest.fixture
async def team(app: FastAPI, clock: FrozenClock) -> dict[str, Person]:
    """An organizer's team (the clocks pinned first: everything made here is made at the pinned instant)."""
    owner, editor, checker = await people(app, 3, prefix="team")
    return {"owner": owner, "editor": editor, "checker": checker}
