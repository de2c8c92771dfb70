"""Fixtures for the notifications tests: cheap sign-in, a pinned clock, events written through the
events write service (so ``event_changes`` gets its rows), the worker's context, tables emptied after."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI

from app.events.schemas import EventCreate, EventUpdate, Point
from app.events.service import create_event, update_event
from app.worker.jobs import WorkerContext
from app.worker.runner import build_context, close_context
from config.settings import NotificationSettings, Settings
from tests.accounts.helpers import FrozenClock, with_cheap_auth
from tests.conftest import make_settings
from tests.fixtures.database import delete_rows

TABLES = (
    "notices", "push_devices", "geofence_cells", "geofences", "notification_settings", "event_changes",
    "checkins", "tickets", "rsvps", "saved_events", "organizer_follows", "profile_interests", "profiles", "erasures",
    "organizer_invitations", "organizer_members", "account_identities",
    "mail_outbox", "account_tokens", "refresh_tokens", "auth_sessions", "accounts",
    "events", "event_locator", "venues", "organizers",
)  # fmt: skip

PARIS = (48.8566, 2.3522)
# A Wednesday, 10:00 in Paris: not in the default quiet hours (22:00-07:00).
NOW = datetime(2031, 6, 4, 8, 0, tzinfo=UTC)


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    yield database_url
    delete_rows(database_url, TABLES)


def notification_settings(**overrides: Any) -> NotificationSettings:
    return NotificationSettings(**{"retry_base_s": 1.0, **overrides})


@pytest.fixture
def push_settings() -> NotificationSettings:
    return notification_settings()


@pytest.fixture
def settings(clean_db: str, redis_prefix: str, push_settings: NotificationSettings) -> Settings:
    base = with_cheap_auth(make_settings(clean_db, redis_prefix))
    return base.model_copy(update={"notifications": push_settings})


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture(autouse=True)
def pin_clock(app: FastAPI, clock: FrozenClock) -> None:
    app.state.accounts.clock = clock
    app.state.organizers.clock = clock


@pytest.fixture
async def worker(settings: Settings, clock: FrozenClock) -> AsyncIterator[WorkerContext]:
    context = await build_context(settings, clock)
    await context.pool.wait()
    yield context
    await close_context(context)


async def organizer(app: FastAPI, name: str = "Ville Lumière Events") -> UUID:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("INSERT INTO organizers (name) VALUES (%s) RETURNING id", (name,))
        row = await cur.fetchone()
    assert row is not None
    return UUID(str(row["id"]))


async def publish(
    app: FastAPI,
    organizer_id: UUID,
    *,
    lat: float = PARIS[0],
    lon: float = PARIS[1],
    starts_at: datetime = NOW + timedelta(days=3),
    **fields: Any,
) -> dict[str, Any]:
    """A published event, written through the events write service in one transaction."""
    data = {
        "organizer_id": organizer_id,
        "title": "Jazz on the river",
        "category": "music",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=3),
        "timezone": "Europe/Paris",
        "status": "published",
        "is_free": True,
        "location": Point(lat=lat, lon=lon),
        **fields,
    }
    async with app.state.pool.connection() as conn, conn.transaction():
        row, change = await create_event(conn, EventCreate.model_validate(data))
    await app.state.after_commit.dispatch([change])
    return row


async def change(app: FastAPI, event_id: UUID, **fields: Any) -> None:
    async with app.state.pool.connection() as conn, conn.transaction():
        _, event_change = await update_event(conn, event_id, EventUpdate.model_validate(fields))
    await app.state.after_commit.dispatch([event_change])


async def save(app: FastAPI, account_id: UUID, event: dict[str, Any]) -> None:
    async with app.state.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO saved_events (cell, event_id, account_id) VALUES (%s, %s, %s)",
            (event["cell"], event["id"], account_id),
        )


async def notices(app: FastAPI, account_id: UUID | None = None) -> list[dict[str, Any]]:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT * FROM notices WHERE %s::uuid IS NULL OR account_id = %s ORDER BY id", (account_id, account_id)
        )
        return await cur.fetchall()


async def pushes(app: FastAPI, email: str) -> list[dict[str, Any]]:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT * FROM mail_outbox WHERE kind = 'push' AND to_address = %s ORDER BY id", (email,)
        )
        return await cur.fetchall()


async def drain(worker: WorkerContext) -> None:
    """Run the worker's match and delivery jobs until nothing is left."""
    from app.notifications.tasks import deliver_notices, match_changes

    while await match_changes(worker):
        pass
    while await deliver_notices(worker):
        pass


def circle(lat: float, lon: float, radius_m: float, **filters: Any) -> dict[str, Any]:
    return {"area": {"center": {"lat": lat, "lon": lon}, "radius_m": radius_m}, **filters}
