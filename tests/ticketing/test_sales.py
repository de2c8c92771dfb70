"""The organizer's sales view: per-tier totals and tickets over time in the event's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
from fastapi import FastAPI

from app.ticketing import service
from app.ticketing.sales import MAX_BUCKETS, series
from tests.accounts.helpers import FrozenClock
from tests.ticketing.helpers import Intent, Person, event, hold, organizer, people, tier


async def buy(app: FastAPI, buyer: Person, event_id: UUID, tier_id: str, quantity: int, clock: FrozenClock) -> UUID:
    order_id = UUID(str((await hold(app, buyer, event_id, tier_id, quantity))["id"]))
    async with app.state.pool.connection() as conn, conn.transaction():
        intent = Intent(f"pi_{order_id.hex}", "succeeded", 1200 * quantity, "eur")
        outcome = await service.settle_paid(conn, order_id, intent, clock)
    assert outcome.status == "paid"
    return order_id


async def test_sales_per_tier_and_by_day_of_the_event_time_zone(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    owner, editor, checker, outsider = await people(app, 4, prefix="team")
    org = await organizer(app, {"owner": owner, "editor": editor, "checker": checker})
    await organizer(app, {"owner": outsider})
    event_id = await event(app, org)
    paid = await tier(client, editor, event_id, quota=10, price=1200)
    a, b, c, d = await people(app, 4)
    # 23:30 UTC is half past midnight in Paris: the next day there.
    clock.now = datetime(2030, 3, 12, 23, 30, tzinfo=UTC)
    await buy(app, a, event_id, paid["id"], 2, clock)
    refunded = await buy(app, b, event_id, paid["id"], 1, clock)
    async with app.state.pool.connection() as conn, conn.transaction():
        await service.mark_refunded(conn, refunded, "re_1", clock)
    clock.now += timedelta(days=2)
    await buy(app, c, event_id, paid["id"], 1, clock)
    await hold(app, d, event_id, paid["id"], 3)

    answer = await client.get(f"/api/v1/events/{event_id}/sales", headers=editor.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["timezone"] == "Europe/Paris" and body["bucket"] == "day" and body["truncated"] is False
    [standard] = body["tiers"]
    assert {k: standard[k] for k in ("sold", "held", "quota", "revenue", "refunded", "refunded_amount")} == {
        "sold": 3,
        "held": 3,
        "quota": 10,
        "revenue": 3600,
        "refunded": 1,
        "refunded_amount": 1200,
    }
    assert [(x["start"], x["tickets"], x["revenue"]) for x in body["buckets"]] == [
        ("2030-03-13T00:00:00+01:00", 2, {"EUR": 2400}),
        ("2030-03-14T00:00:00+01:00", 0, {}),
        ("2030-03-15T00:00:00+01:00", 1, {"EUR": 1200}),
    ]

    hourly = (await client.get(f"/api/v1/events/{event_id}/sales?bucket=hour", headers=owner.headers)).json()
    assert hourly["buckets"][0]["start"] == "2030-03-13T00:00:00+01:00"
    assert len(hourly["buckets"]) == 49 and hourly["buckets"][-1]["tickets"] == 1

    url = f"/api/v1/events/{event_id}/sales"
    assert (await client.get(url, headers=checker.headers)).status_code == 403
    assert (await client.get(url, headers=outsider.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401
    assert (await client.get(f"{url}?bucket=week", headers=editor.headers)).status_code == 422
    assert (await client.get(f"{url}?bucket=day&extra=1", headers=editor.headers)).status_code == 422


async def test_an_event_without_sales_has_an_empty_series(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, editor = await people(app, 2, prefix="team")
    org = await organizer(app, {"owner": owner, "editor": editor})
    event_id = await event(app, org)
    body = (await client.get(f"/api/v1/events/{event_id}/sales", headers=editor.headers)).json()
    assert body["tiers"] == [] and body["buckets"] == [] and body["truncated"] is False


def test_days_keep_their_wall_clock_across_a_change_of_clocks() -> None:
    counts = [{"local_start": datetime(2030, 3, 30), "tickets": 1}, {"local_start": datetime(2030, 4, 1), "tickets": 2}]
    buckets, truncated = series(counts, [], "day", "Europe/Paris")
    assert [b["start"].isoformat() for b in buckets] == [
        "2030-03-30T00:00:00+01:00",
        "2030-03-31T00:00:00+01:00",
        "2030-04-01T00:00:00+02:00",
    ]
    assert [b["tickets"] for b in buckets] == [1, 0, 2] and not truncated


def test_a_long_history_keeps_its_newest_buckets() -> None:
    last = datetime(2030, 3, 30, 12)
    counts = [
        {"local_start": last, "tickets": 5},
        {"local_start": last - timedelta(hours=MAX_BUCKETS + 10), "tickets": 1},
    ]
    buckets, truncated = series(counts, [], "hour", "UTC")
    assert truncated and len(buckets) == MAX_BUCKETS
    assert buckets[-1]["tickets"] == 5 and sum(b["tickets"] for b in buckets) == 5


def test_the_hour_the_clocks_skip_has_no_bucket() -> None:
    counts = [
        {"local_start": datetime(2030, 3, 31, 1), "tickets": 1},
        {"local_start": datetime(2030, 3, 31, 3), "tickets": 1},
    ]
    buckets, _ = series(counts, [], "hour", "Europe/Paris")
    assert [b["start"].isoformat() for b in buckets] == ["2030-03-31T01:00:00+01:00", "2030-03-31T03:00:00+02:00"]


async def test_ticket_holders_are_in_the_attendee_list_search_and_export(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    owner, editor, checker = await people(app, 3, prefix="team")
    org = await organizer(app, {"owner": owner, "editor": editor, "checker": checker})
    event_id = await event(app, org)
    paid = await tier(client, editor, event_id, name="Balcony", quota=10, price=1200)
    free = await tier(client, editor, event_id, name="Guest list", quota=10, price=0)
    a, b, c = await people(app, 3)
    await buy(app, a, event_id, paid["id"], 2, clock)
    clock.now += timedelta(minutes=1)
    body = {"event_id": str(event_id), "items": [{"tier_id": free["id"], "quantity": 1}]}
    assert (await client.post("/api/v1/orders", json=body, headers=b.headers)).status_code == 201
    clock.now += timedelta(minutes=1)
    await hold(app, c, event_id, paid["id"], 1)  # unpaid: nobody is coming yet
    [first, _] = (await client.get("/api/v1/me/tickets", headers=a.headers)).json()["items"]
    admitted = await client.post(
        "/api/v1/checkins", json={"code": first["code"], "door": "Main"}, headers=checker.headers
    )
    assert admitted.status_code == 201, admitted.text

    url = f"/api/v1/events/{event_id}/attendees"
    page = await client.get(url, params={"limit": 1}, headers=checker.headers)
    assert page.status_code == 200, page.text
    rest = await client.get(url, params={"limit": 1, "cursor": page.json()["next_cursor"]}, headers=checker.headers)
    assert rest.json()["next_cursor"] is None
    entries = [
        (i["email"], i["status"], i["tier_name"], i["tickets"], i["checked_in"])
        for i in page.json()["items"] + rest.json()["items"]
    ]
    assert entries == [
        (a.email, "ticket_holder", "Balcony", 2, 1),
        (b.email, "ticket_holder", "Guest list", 1, 0),
    ]
    found = await client.get(url, params={"q": b.email[:14], "status": "ticket_holder"}, headers=owner.headers)
    assert [i["email"] for i in found.json()["items"]] == [b.email]
    exported = await client.get(f"{url}.csv", headers=owner.headers)
    lines = exported.text.splitlines()
    assert lines[0].endswith("status,answered_at,tier,tickets,checked_in")
    assert len(lines) == 3 and lines[1].endswith(",Balcony,2,1") and c.email not in exported.text
