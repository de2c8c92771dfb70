"""A place that stays locked past the lock timeout: a 503 with Retry-After, and nothing written."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from config.settings import Settings
from tests.ticketing.helpers import Person, event, organizer, people, scalar


@pytest.fixture
def settings(settings: Settings) -> Settings:
    ticketing = settings.ticketing.model_copy(update={"lock_timeout_ms": 200})
    return settings.model_copy(update={"ticketing": ticketing})


async def test_an_rsvp_waiting_past_the_lock_timeout_is_a_503_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, clean_db: str
) -> None:
    owner, first, second = await people(app, 3)
    event_id = await event(app, await organizer(app, {"owner": owner}), capacity=5)
    path = f"/api/v1/events/{event_id}/rsvp"

    async def going(person: Person) -> httpx.Response:
        return await client.put(path, json={"status": "going"}, headers=person.headers)

    assert (await going(first)).status_code == 200  # the event's places row exists from here on
    cell = await scalar(app, "SELECT cell FROM event_places WHERE event_id = %s", event_id)
    async with await psycopg.AsyncConnection.connect(clean_db) as other, other.transaction():
        await other.execute("SELECT 1 FROM event_places WHERE cell = %s AND event_id = %s FOR UPDATE", (cell, event_id))
        busy = await going(second)
    assert busy.status_code == 503, busy.text
    assert busy.headers["content-type"] == "application/problem+json"
    assert busy.headers["retry-after"] == str(app.state.settings.ticketing.retry_after_s)
    assert await scalar(app, "SELECT taken FROM event_places WHERE event_id = %s", event_id) == 1
    assert await scalar(app, "SELECT count(*) FROM rsvps WHERE event_id = %s", event_id) == 1
    assert (await going(second)).status_code == 200  # the lock released: the same answer goes through
    assert await scalar(app, "SELECT taken FROM event_places WHERE event_id = %s", event_id) == 2
