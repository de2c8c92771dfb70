"""Running imports in tests: submit over HTTP, run the worker's job for real, read the report."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from app.imports.tasks import run_imports
from app.venues.geocoding import OfflineGeocoder
from app.worker.runner import build_context, close_context
from config.settings import Settings
from tests.accounts.helpers import FrozenClock, SignedIn, bearer


async def upload(client: httpx.AsyncClient, who: SignedIn, org: str, body: bytes, **form: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/organizers/{org}/imports", files={"file": ("calendar.ics", body, "text/calendar")}, data=form,
        headers=bearer(who),
    )  # fmt: skip


async def work(settings: Settings, clock: FrozenClock) -> int:
    """Run the worker's import job until the queue is empty (the offline geocoder: no network)."""
    context = await build_context(settings, clock=clock)
    context.services["imports.geocoder"] = OfflineGeocoder()
    try:
        total = 0
        while ran := await run_imports(context):
            total += ran
        return total
    finally:
        await close_context(context)


async def report(client: httpx.AsyncClient, who: SignedIn, job_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/imports/{job_id}?limit=1000", headers=bearer(who))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def counts(app: FastAPI) -> dict[str, int]:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM event_series) AS series, "
            "(SELECT count(*) FROM venues) AS venues, (SELECT count(*) FROM event_changes) AS changes"
        )
        row = await cur.fetchone()
    assert row is not None
    return dict(row)
