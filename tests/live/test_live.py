"""The live map across processes: a client streams ``GET /api/v1/live`` from an API server process; an
event is written in another process (this test's own application, through the events write service
and its after-commit listeners); the client hears it through Redis. ``Last-Event-ID`` resumes after a
dropped connection; a bad or too wide bbox is a 400."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.notifications.world import PARIS, change, organizer, publish
from tests.ticketing.helpers import people
from tests.web.serving import Served, serve

VIEW = "2.25,48.80,2.45,48.90"


@pytest.fixture
def server(clean_db: str, redis_prefix: str, tmp_path: Path) -> Iterator[Served]:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>t</title>")
    with serve(clean_db, dist, HAPPENINGS_REDIS__KEY_PREFIX=redis_prefix) as served:
        yield served


async def messages(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """Each SSE message of the stream as {id, event, data} (comments and retry lines skipped)."""
    current: dict[str, Any] = {}
    async for line in response.aiter_lines():
        if not line:
            if "data" in current:
                yield current
            current = {}
        elif line.startswith("id: "):
            current["id"] = line[4:]
        elif line.startswith("event: "):
            current["event"] = line[7:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])


async def take(response: httpx.Response, count: int, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        found = []
        async for message in messages(response):
            found.append(message)
            if len(found) == count:
                break
        return found

    return await asyncio.wait_for(collect(), timeout_s)


async def test_a_write_in_one_process_reaches_a_stream_on_another(app: FastAPI, server: Served) -> None:
    org = await organizer(app)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        async with http.stream("GET", "/api/v1/live", params={"bbox": VIEW}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            await asyncio.sleep(0.5)  # the server's hub has subscribed by the time the headers came; margin
            inside = await publish(app, org, lat=PARIS[0], lon=PARIS[1])
            await publish(app, org, lat=45.76, lon=4.83)  # Lyon: another view
            await change(app, inside["id"], location={"lat": PARIS[0] + 0.01, "lon": PARIS[1]})
            first, moved = await take(response, 2)
        assert first["event"] == "change"
        assert first["data"]["kind"] == "created" and first["data"]["event_id"] == str(inside["id"])
        assert moved["data"]["kind"] == "moved" and moved["data"]["after"]["lat"] == pytest.approx(PARIS[0] + 0.01)

        # Dropped: two more changes happen meanwhile; Last-Event-ID resumes after what was heard.
        await change(app, inside["id"], status="cancelled")
        await publish(app, org, lat=PARIS[0] - 0.01, lon=PARIS[1])
        headers = {"Last-Event-ID": moved["id"]}
        async with http.stream("GET", "/api/v1/live", params={"bbox": VIEW}, headers=headers) as response:
            cancelled, created = await take(response, 2)
        assert [cancelled["data"]["kind"], created["data"]["kind"]] == ["cancelled", "created"]


async def test_the_last_place_going_and_coming_back_reaches_the_stream(
    app: FastAPI, client: httpx.AsyncClient, server: Served
) -> None:
    org = await organizer(app)
    held = await publish(app, org, capacity=1)
    (person,) = await people(app, 1)
    rsvp = f"/api/v1/events/{held['id']}/rsvp"
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
        http.stream("GET", "/api/v1/live", params={"bbox": VIEW}) as response,
    ):
        await asyncio.sleep(0.5)
        going = await client.put(rsvp, json={"status": "going"}, headers=person.headers)
        assert going.json()["places_left"] == 0
        assert (await client.delete(rsvp, headers=person.headers)).status_code == 200
        sold_out, available = await take(response, 2)
    assert sold_out["data"]["kind"] == "sold_out" and sold_out["data"]["event_id"] == str(held["id"])
    assert sold_out["data"]["after"]["lat"] == pytest.approx(PARIS[0])
    assert available["data"]["kind"] == "available" and available["data"]["aspects"] == ["available", "few_left"]


@pytest.mark.parametrize("bbox", ["nonsense", "2,48,1,47,0", "-170,-80,170,80"])
async def test_a_bad_or_too_wide_view_is_refused(client: httpx.AsyncClient, bbox: str) -> None:
    answer = await client.get("/api/v1/live", params={"bbox": bbox})
    assert answer.status_code in (400, 422)
    assert answer.json()["param"] == "bbox"
