"""Helpers for venue tests: a team (owner, editor, checker) and an outsider's organizer, via the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import psycopg
from psycopg.rows import dict_row

from app.events import service as events_service
from app.events.schemas import EventCreate, Point
from tests.accounts.helpers import SignedIn, bearer, sign_up
from tests.organizers.helpers import found, join

VENUES = "/api/v1/venues"
PARIS = {"lat": 48.8566, "lon": 2.3522}


@dataclass
class Team:
    owner: SignedIn
    editor: SignedIn
    checker: SignedIn
    outsider: SignedIn
    org: UUID
    other_org: UUID


async def team(client: httpx.AsyncClient) -> Team:
    owner = await sign_up(client, "owner@example.com")
    editor = await sign_up(client, "editor@example.com")
    checker = await sign_up(client, "checker@example.com")
    outsider = await sign_up(client, "outsider@example.com")
    org = await found(client, owner, "Venue Makers")
    other = await found(client, outsider, "Others")
    await join(client, owner, org, editor, "editor")
    await join(client, owner, org, checker, "checker")
    return Team(owner, editor, checker, outsider, org, other)


async def create_venue(client: httpx.AsyncClient, who: SignedIn, **body: Any) -> httpx.Response:
    return await client.post(VENUES, json=body, headers=bearer(who))


async def event_at(
    database_url: str, organizer: UUID, venue_id: UUID | None, point: Point, *, approximate: bool = False
) -> UUID:
    start = datetime(2031, 5, 1, 18, tzinfo=UTC)
    data = EventCreate(
        organizer_id=organizer, venue_id=venue_id, location=point, title="Gig", category="music",
        starts_at=start, ends_at=start + timedelta(hours=2), timezone="Europe/Paris", status="published",
        is_free=True, location_approximate=approximate,
    )
    async with await psycopg.AsyncConnection.connect(database_url, row_factory=dict_row) as conn:
        row, _ = await events_service.create_event(conn, data)
        await conn.commit()
    return UUID(str(row["id"]))
