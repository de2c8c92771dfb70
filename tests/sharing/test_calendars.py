"""Calendar feeds: one event, an organizer's, a search's and a person's; parsed back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from app.events import derived
from tests.accounts.helpers import bearer, sign_up
from tests.profiles.world import event, organizer
from tests.sharing.rfc5545 import check_rfc5545


async def test_one_event_as_ics(app: FastAPI, client: httpx.AsyncClient) -> None:
    row = await event(app, await organizer(app, "River Club"), title="Jazz on the river", description="Bring a chair")
    async with app.state.pool.connection() as conn:
        await conn.execute("UPDATE events SET sequence = 3 WHERE id = %s", (row["id"],))
    response = await client.get(f"/api/v1/events/{row['id']}.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = check_rfc5545(response.content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"{row['id']}@test"
    start = vevent.decoded("DTSTART")
    assert start.tzinfo is not None and str(vevent["DTSTART"].params["TZID"]) == "Europe/Paris"
    assert start == row["starts_at"] and start.astimezone(ZoneInfo("Europe/Paris")).hour == 10
    assert vevent.decoded("DTEND") == row["ends_at"]
    assert str(vevent["SUMMARY"]) == "Jazz on the river"
    assert int(vevent["SEQUENCE"]) == 3 and str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["URL"]) == f"http://test/e/{row['id']}-jazz-on-the-river"
    assert vevent["GEO"].latitude == 48.8566 and vevent["GEO"].longitude == 2.3522
    assert "Bring a chair" in str(vevent["DESCRIPTION"]) and "River Club" in str(vevent["DESCRIPTION"])
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]


async def test_a_cancelled_event_is_cancelled_in_calendars(app: FastAPI, client: httpx.AsyncClient) -> None:
    row = await event(app, await organizer(app), status="cancelled")
    (vevent,) = check_rfc5545((await client.get(f"/api/v1/events/{row['id']}.ics")).content).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"


async def test_feeds_answer_304_by_etag_and_by_date(app: FastAPI, client: httpx.AsyncClient) -> None:
    row = await event(app, await organizer(app))
    first = await client.get(f"/api/v1/events/{row['id']}.ics")
    assert first.headers["etag"] and first.headers["last-modified"]
    by_tag = await client.get(f"/api/v1/events/{row['id']}.ics", headers={"If-None-Match": first.headers["etag"]})
    by_date = await client.get(
        f"/api/v1/events/{row['id']}.ics", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert by_tag.status_code == 304 and by_date.status_code == 304
    async with app.state.pool.connection() as conn:
        # The new time computed here and the row named by its cell: Citus runs no STABLE function
        # (timestamptz + interval) over a column in an UPDATE, and reaches one shard by the cell.
        renamed = "UPDATE events SET title = 'Renamed', updated_at = %s WHERE cell = %s AND id = %s"
        later = row["updated_at"] + timedelta(minutes=1)
        await derived.write_rows(conn, [(row["cell"], row["id"])], renamed, (later, row["cell"], row["id"]))
    changed = await client.get(f"/api/v1/events/{row['id']}.ics", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and b"SUMMARY:Renamed" in changed.content
    old_date = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    stale = await client.get(f"/api/v1/events/{row['id']}.ics", headers={"If-Modified-Since": old_date})
    assert stale.status_code == 200


async def test_an_organizers_feed_holds_its_public_events_only(app: FastAPI, client: httpx.AsyncClient) -> None:
    mine, theirs = await organizer(app, "Mine"), await organizer(app, "Theirs")
    shown = await event(app, mine, title="Shown")
    await event(app, mine, title="Draft", status="draft")
    await event(app, theirs, title="Other")
    response = await client.get(f"/api/v1/organizers/{mine}/calendar.ics")
    calendar = check_rfc5545(response.content)
    assert [str(v["UID"]) for v in calendar.walk("VEVENT")] == [f"{shown['id']}@test"]
    assert str(calendar["X-WR-CALNAME"]) == "Mine · Happenings"
    missing = await client.get("/api/v1/organizers/00000000-0000-0000-0000-000000000000/calendar.ics")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


async def test_a_search_feed_takes_the_lists_area_and_filters(app: FastAPI, client: httpx.AsyncClient) -> None:
    host = await organizer(app)
    paris = await event(app, host, title="Paris jazz")
    await event(app, host, title="Tokyo jazz", lat=35.68, lon=139.69)
    await event(app, host, title="Paris food", category="food")
    response = await client.get(
        "/api/v1/calendars/search.ics", params={"bbox": "2.2,48.8,2.5,48.9", "category": "music"}
    )
    assert response.status_code == 200, response.text
    calendar = check_rfc5545(response.content)
    assert [str(v["UID"]) for v in calendar.walk("VEVENT")] == [f"{paris['id']}@test"]
    refusals = (
        {"bbox": "2.5,48.8,2.2"},
        {"bbox": "2.2,48.8,2.5,48.9", "cursor": "a.b"},  # a cursor the server did not issue
        {"limit": "0", "bbox": "1,1,2,2"},
    )
    for bad in refusals:
        refused = await client.get("/api/v1/calendars/search.ics", params=bad)
        assert refused.status_code in {400, 422}, bad  # as GET /api/v1/events answers them
        assert refused.headers["content-type"] == "application/problem+json"


async def test_the_personal_feed_is_behind_a_token_that_rotates(app: FastAPI, client: httpx.AsyncClient) -> None:
    saved = await event(app, await organizer(app), title="Saved one")
    await event(app, await organizer(app), title="Not saved")
    person = await sign_up(client, "feed@example.com")
    saving = await client.put(f"/api/v1/me/saved-events/{saved['id']}", headers=bearer(person))
    assert saving.status_code in {200, 204}
    assert (await client.post("/api/v1/me/calendar-token")).status_code == 401
    first = (await client.post("/api/v1/me/calendar-token", headers=bearer(person))).json()
    assert first["url"].startswith("http://test/api/v1/calendars/me.ics?token=")
    assert first["webcal_url"].startswith("webcal://test/api/v1/calendars/me.ics?token=")
    feed = await client.get("/api/v1/calendars/me.ics", params={"token": first["token"]})
    assert feed.headers["cache-control"].startswith("private")
    calendar = check_rfc5545(feed.content)
    assert [str(v["SUMMARY"]) for v in calendar.walk("VEVENT")] == ["Saved one"]
    second = (await client.post("/api/v1/me/calendar-token", headers=bearer(person))).json()
    assert (await client.get("/api/v1/calendars/me.ics", params={"token": first["token"]})).status_code == 404
    assert (await client.get("/api/v1/calendars/me.ics", params={"token": second["token"]})).status_code == 200
    assert (await client.get("/api/v1/calendars/me.ics", params={"token": "short"})).status_code == 422


async def test_sitemap_and_robots(app: FastAPI, client: httpx.AsyncClient) -> None:
    upcoming = await event(app, await organizer(app), title="Upcoming")
    robots = await client.get("/robots.txt")
    assert "Sitemap: http://test/sitemap.xml" in robots.text and "Disallow: /api/" in robots.text
    index = await client.get("/sitemap.xml")
    assert index.status_code == 200 and "http://test/sitemaps/events-0-0.xml" in index.text
    chunk = await client.get("/sitemaps/events-0-0.xml")
    assert f"<loc>http://test/e/{upcoming['id']}-upcoming</loc>" in chunk.text
    assert (await client.get("/sitemaps/events-0-1.xml")).status_code == 404
    assert (await client.get("/sitemaps/events-99-0.xml")).status_code == 404


async def test_the_personal_feed_holds_answered_events_too(app: FastAPI, client: httpx.AsyncClient) -> None:
    host = await organizer(app)
    going = await event(app, host, title="Going there")
    await event(app, host, title="Not answered")
    person = await sign_up(client, "rsvp-feed@example.com")
    answer = await client.put(f"/api/v1/events/{going['id']}/rsvp", json={"status": "going"}, headers=bearer(person))
    assert answer.status_code == 200, answer.text
    token = (await client.post("/api/v1/me/calendar-token", headers=bearer(person))).json()["token"]
    feed = await client.get("/api/v1/calendars/me.ics", params={"token": token})
    assert [str(v["SUMMARY"]) for v in check_rfc5545(feed.content).walk("VEVENT")] == ["Going there"]
