"""The tests of this folder run only on the Citus cluster (``pytest --citus``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import DictRow

from app.events.schemas import EventCreate, Point
from app.events.service import create_event

PARIS = Point(lat=48.8566, lon=2.3522)
NEW_YORK = Point(lat=40.7128, lon=-74.0060)


@pytest.fixture(autouse=True)
def _only_on_citus(request: pytest.FixtureRequest) -> None:
    if not request.config.getoption("--citus"):
        pytest.skip("runs on the Citus cluster (pytest --citus)")


async def published_event(conn: psycopg.AsyncConnection[DictRow], title: str) -> dict[str, Any]:
    """A published event in Paris tomorrow, by a new organizer, through the write path (its locator row too)."""
    cur = await conn.execute("INSERT INTO organizers (name) VALUES (%s) RETURNING id", (f"{title} Events",))
    organizer = (await cur.fetchone())["id"]  # type: ignore[index]
    starts = datetime.now(UTC) + timedelta(days=1)
    data = EventCreate.model_validate({
        "organizer_id": organizer, "location": PARIS, "title": title, "category": "music",
        "starts_at": starts, "ends_at": starts + timedelta(hours=2), "timezone": "Europe/Paris",
        "status": "published",
    })  # fmt: skip
    row, _ = await create_event(conn, data)
    return row
