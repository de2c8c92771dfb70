"""Publishing tests: a team built through the real HTTP flows, a pinned clock, venues of two organizers."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.events.changes import EventChange
from config.settings import Settings
from tests.accounts.helpers import FrozenClock, SignedIn, app_of, sign_up, with_cheap_auth
from tests.conftest import make_settings
from tests.organizers.conftest import GENEROUS
from tests.organizers.helpers import found, join

# The first write's time: pinned, so the audit log and published_at read the same at any hour.
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
PARIS = (48.8566, 2.3522)


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    return with_cheap_auth(make_settings(clean_db, redis_prefix), **GENEROUS)


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> FrozenClock:
    pinned = FrozenClock()
    app.state.accounts.clock = pinned
    app.state.organizers.clock = pinned
    ticks = itertools.count()
    app.state.events_clock = lambda: NOW + timedelta(seconds=next(ticks))  # each write a second later
    return pinned


@dataclass
class Team:
    owner: SignedIn
    editor: SignedIn
    checker: SignedIn
    outsider: SignedIn  # owner of organizer B
    org: uuid.UUID
    other_org: uuid.UUID
    venue: uuid.UUID  # A's, in Paris
    other_venue: uuid.UUID  # B's


async def venue(
    client: httpx.AsyncClient, org: uuid.UUID, lat: float, lon: float, zone: str = "Europe/Paris"
) -> uuid.UUID:
    """A venue of ``org`` (written straight to the table: the venues API is another domain's)."""
    async with app_of(client).state.pool.connection() as conn:
        cur = await conn.execute(
            "INSERT INTO venues (organizer_id, name, address, city, country_code, timezone, geom) "
            "VALUES (%s, 'Le Lieu', '1 rue Exemple', 'Paris', 'FR', %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
            "RETURNING id",
            (org, zone, lon, lat),
        )
        row = await cur.fetchone()
        assert row is not None
        return uuid.UUID(str(row["id"]))


@pytest.fixture
async def team(client: httpx.AsyncClient) -> Team:
    owner = await sign_up(client, "owner@example.com")
    editor = await sign_up(client, "editor@example.com")
    checker = await sign_up(client, "checker@example.com")
    outsider = await sign_up(client, "outsider@example.com")
    org = await found(client, owner, "Organizer A")
    other = await found(client, outsider, "Organizer B")
    await join(client, owner, org, editor, "editor")
    await join(client, owner, org, checker, "checker")
    return Team(
        owner, editor, checker, outsider, org, other,
        await venue(client, org, *PARIS), await venue(client, other, 48.86, 2.34),
    )  # fmt: skip


def draft_body(team: Team, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "organizer_id": str(team.org),
        "venue_id": str(team.venue),
        "title": "Jazz au bord de l'eau",
        "category": "music",
        "starts_at": "2030-07-14T19:30:00",
        "ends_at": "2030-07-14T23:00:00",
        "is_free": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


class Changes:
    """Every EventChange the app's after-commit listeners received (what the tile caches were told)."""

    def __init__(self, app: FastAPI) -> None:
        self.seen: list[EventChange] = []

        async def listen(change: EventChange) -> None:
            self.seen.append(change)

        app.state.after_commit.listen(EventChange, listen)


@pytest.fixture
def changes(app: FastAPI) -> Changes:
    return Changes(app)
