"""Fixtures for tests of the signed-in person's data: cheap sign-in, a pinned clock, a private media
root, organizers and public events, and every table these tests write emptied afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI

from app.events import derived
from app.events.schemas import EventCreate
from app.events.service import create_event
from config.settings import MediaSettings, Settings
from tests.accounts.helpers import EPOCH, FrozenClock, with_cheap_auth
from tests.conftest import make_settings
from tests.fixtures.database import delete_rows

# Children first: DELETE (not TRUNCATE: truncating 64 event partitions costs half a second a test).
TABLES = (
    "interactions", "saved_events", "organizer_follows", "profile_interests", "profiles", "erasures",
    "organizer_invitations", "organizer_members", "account_identities",
    "mail_outbox", "account_tokens", "refresh_tokens", "auth_sessions", "accounts",
    "events", "event_locator", "venues", "organizers",
)  # fmt: skip

PARIS = (48.8566, 2.3522)


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    yield database_url
    delete_rows(database_url, TABLES, derived.REBUILD)  # no event left: nor any posting, rollup or locator row


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def settings(clean_db: str, redis_prefix: str, media_root: Path) -> Settings:
    base = with_cheap_auth(make_settings(clean_db, redis_prefix))
    return base.model_copy(update={"media": MediaSettings(root=str(media_root))})


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> FrozenClock:
    pinned = FrozenClock()
    app.state.accounts.clock = pinned
    app.state.organizers.clock = pinned
    return pinned


async def organizer(app: FastAPI, name: str = "Ville Lumière Events") -> UUID:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("INSERT INTO organizers (name) VALUES (%s) RETURNING id", (name,))
        row = await cur.fetchone()
    return UUID(str(row["id"]))


async def event(
    app: FastAPI, organizer_id: UUID, *, lat: float = PARIS[0], lon: float = PARIS[1], **fields: Any
) -> dict[str, Any]:
    """A published event (times fixed from the pinned epoch, never from today)."""
    starts_at = EPOCH + timedelta(days=10)
    data = {
        "organizer_id": organizer_id,
        "title": "Jazz on the river",
        "category": "music",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=3),
        "timezone": "Europe/Paris",
        "status": "published",
        "is_free": True,
        "location": {"lat": lat, "lon": lon},
        **fields,
    }
    async with app.state.pool.connection() as conn:
        row, _change = await create_event(conn, EventCreate.model_validate(data))
    return row
