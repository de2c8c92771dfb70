"""Organizer tests: cheap argon2, generous sign-up limits, one pinned clock, the tables they write emptied."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app.events import derived
from config.settings import Settings
from tests.accounts.helpers import FrozenClock, with_cheap_auth
from tests.conftest import make_settings
from tests.fixtures.database import delete_rows

# Children first. DELETE, not TRUNCATE: truncating the 64 event partitions would cost half a second per test.
TABLES = (
    "organizer_invitations", "organizer_members", "organizers",
    "mail_outbox", "account_tokens", "refresh_tokens", "auth_sessions", "accounts",
)  # fmt: skip
# Many accounts sign up from one test client: the per-IP sign-up and sign-in limits are not what is tested here.
GENEROUS = {"register_ip_limit": "1000/3600", "login_ip_limit": "1000/300", "token_ip_limit": "1000/900"}


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    yield database_url
    delete_rows(database_url, TABLES, derived.REBUILD)  # no event left: nor any posting or rollup row


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    return with_cheap_auth(make_settings(clean_db, redis_prefix), **GENEROUS)


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> FrozenClock:
    """One pinned clock for accounts and organizers: moving it moves tokens and invitations alike."""
    pinned = FrozenClock()
    app.state.accounts.clock = pinned
    app.state.organizers.clock = pinned
    return pinned
