"""A person saves a geofence; an organizer publishes inside it; the worker writes the notice and
delivers it (to the development outbox here); the inbox lists it. Then quiet hours, caps, attendees."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from app.worker.jobs import WorkerContext
from tests.accounts.helpers import FrozenClock, bearer, sign_up
from tests.notifications.world import NOW, PARIS, change, circle, drain, notices, organizer, publish, pushes, save


async def test_a_publish_inside_a_geofence_lands_in_the_outbox_and_the_inbox(
    client: httpx.AsyncClient, app: FastAPI, worker: WorkerContext
) -> None:
    ana = await sign_up(client, "ana@example.com")
    bob = await sign_up(client, "bob@example.com")
    made = await client.post("/api/v1/me/geofences", json=circle(*PARIS, 3000, name="Home"), headers=bearer(ana))
    assert made.status_code == 201, made.text
    far = await client.post("/api/v1/me/geofences", json=circle(45.76, 4.83, 3000), headers=bearer(bob))  # Lyon
    assert far.status_code == 201
    org = await organizer(app)
    event = await publish(app, org, lat=PARIS[0] + 0.01, lon=PARIS[1])
    await drain(worker)

    [notice] = await notices(app)
    assert (notice["account_id"], notice["event_id"], notice["kind"], notice["state"]) == (
        ana.account_id,
        event["id"],
        "nearby",
        "sent",
    )
    [push] = await pushes(app, ana.email)
    assert push["subject"] == "New near you: Jazz on the river"
    inbox = await client.get("/api/v1/me/inbox", headers=bearer(ana))
    assert [n["kind"] for n in inbox.json()["items"]] == ["nearby"]
    assert (await client.get("/api/v1/me/inbox", headers=bearer(bob))).json()["items"] == []

    # Draining again changes nothing: the change is handled, the notice unique.
    await change(app, event["id"], title="Jazz on the river (2)")  # details only: nobody is told
    await drain(worker)
    assert len(await notices(app)) == 1


async def test_filters_decide_in_sql(client: httpx.AsyncClient, app: FastAPI, worker: WorkerContext) -> None:
    ana = await sign_up(client, "ana@example.com")
    # Weekends only, evenings 18:00-23:00 local, music, at most 20.00.
    body = circle(*PARIS, 5000, categories=["music"], price_max=2000, days=[6, 7], time_from=18 * 60, time_to=23 * 60)
    assert (await client.post("/api/v1/me/geofences", json=body, headers=bearer(ana))).status_code == 201
    org = await organizer(app)
    saturday_evening = NOW.replace(day=7, hour=18, minute=30)  # 20:30 in Paris, Saturday 7 June 2031
    wednesday = NOW.replace(day=11, hour=18, minute=30)
    matches = await publish(app, org, starts_at=saturday_evening)
    await publish(app, org, starts_at=wednesday)
    await publish(app, org, starts_at=saturday_evening, category="arts")
    await publish(app, org, starts_at=saturday_evening, is_free=False, price_min=2500, currency="EUR")
    cheap = await publish(app, org, starts_at=saturday_evening, is_free=False, price_min=1500, currency="EUR")
    await drain(worker)
    assert {n["event_id"] for n in await notices(app)} == {matches["id"], cheap["id"]}


async def test_quiet_hours_defer_and_the_cap_keeps_the_rest_in_the_inbox(
    client: httpx.AsyncClient, app: FastAPI, worker: WorkerContext, clock: FrozenClock
) -> None:
    ana = await sign_up(client, "ana@example.com")
    await client.post("/api/v1/me/geofences", json=circle(*PARIS, 5000), headers=bearer(ana))
    patch = {"quiet_hours": {"start": "09:00", "end": "12:00"}, "time_zone": "Europe/Paris"}
    settings = await client.patch("/api/v1/me/notification-settings", json=patch, headers=bearer(ana))
    assert settings.status_code == 200, settings.text
    assert settings.json()["quiet_hours"] == {"start": "09:00:00", "end": "12:00:00"}
    org = await organizer(app)
    for _ in range(worker.settings.notifications.daily_cap + 2):
        await publish(app, org)
    await drain(worker)  # 10:00 in Paris: quiet
    assert {n["state"] for n in await notices(app)} == {"pending"}
    assert await pushes(app, ana.email) == []
    clock.advance(2 * 3600 + 60)  # 12:01 in Paris
    await drain(worker)
    states = [n["state"] for n in await notices(app)]
    assert states.count("sent") == worker.settings.notifications.daily_cap
    assert states.count("inbox_only") == 2
    assert len(await pushes(app, ana.email)) == worker.settings.notifications.daily_cap


async def test_default_quiet_hours_apply_only_where_the_persons_zone_is_known(
    client: httpx.AsyncClient, app: FastAPI, worker: WorkerContext, clock: FrozenClock
) -> None:
    ana = await sign_up(client, "ana@example.com")  # no time zone anywhere
    ben = await sign_up(client, "ben@example.com")
    for person in (ana, ben):
        await client.post("/api/v1/me/geofences", json=circle(*PARIS, 5000), headers=bearer(person))
    zoned = await client.patch(
        "/api/v1/me/notification-settings", json={"time_zone": "Europe/Paris"}, headers=bearer(ben)
    )
    assert zoned.status_code == 200, zoned.text
    clock.advance(13 * 3600)  # 23:00 in Paris: inside the default quiet hours (22:00-07:00)
    await publish(app, await organizer(app))
    await drain(worker)
    assert len(await pushes(app, ana.email)) == 1  # night in an unknown zone is not guessed
    assert await pushes(app, ben.email) == []  # night in Paris: it waits
    clock.advance(8 * 3600 + 60)  # 07:01 in Paris
    await drain(worker)
    assert len(await pushes(app, ben.email)) == 1


async def test_attendees_hear_of_moves_reschedules_and_cancellations(
    client: httpx.AsyncClient, app: FastAPI, worker: WorkerContext
) -> None:
    ana = await sign_up(client, "ana@example.com")
    org = await organizer(app)
    event = await publish(app, org, lat=40.0, lon=-3.7)  # far from any geofence
    await save(app, ana.account_id, event)
    await change(app, event["id"], starts_at=NOW + timedelta(days=4), ends_at=NOW + timedelta(days=4, hours=2))
    await drain(worker)
    await change(app, event["id"], location={"lat": 40.01, "lon": -3.7})
    await drain(worker)
    await change(app, event["id"], status="cancelled")
    await change(app, event["id"], title="Cancelled, renamed")  # drained together: still one cancellation
    await drain(worker)
    assert [n["kind"] for n in await notices(app, ana.account_id)] == ["rescheduled", "moved", "cancelled"]
    # People with an RSVP or a ticket (not only a save) hear too; "not going" does not.
    rsvp, ticket, declined = [await sign_up(client, f"{who}@example.com") for who in ("rsvp", "ticket", "declined")]
    third = await publish(app, org, lat=40.0, lon=-3.7)
    async with app.state.pool.connection() as conn:
        for person, status in ((rsvp, "going"), (declined, "not_going")):
            await conn.execute(
                "INSERT INTO rsvps (cell, event_id, account_id, status, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, now(), now())", (third["cell"], third["id"], person.account_id, status),
            )
        await conn.execute(
            "INSERT INTO tickets (cell, event_id, account_id, status, issued_at) VALUES (%s, %s, %s, 'valid', now())",
            (third["cell"], third["id"], ticket.account_id),
        )
    await drain(worker)
    await change(app, third["id"], starts_at=NOW + timedelta(days=5), ends_at=NOW + timedelta(days=5, hours=2))
    await drain(worker)
    told = {n["account_id"] for n in await notices(app) if n["event_id"] == third["id"]}
    assert told == {rsvp.account_id, ticket.account_id}
    # A change already superseded when drained (moved, then cancelled) tells only what is true now.
    second = await publish(app, org, lat=40.0, lon=-3.7)
    await save(app, ana.account_id, second)
    await change(app, second["id"], location={"lat": 40.02, "lon": -3.7})
    await change(app, second["id"], status="cancelled")
    await drain(worker)
    assert [n["kind"] for n in await notices(app, ana.account_id)][3:] == ["cancelled"]


async def test_starting_soon_near_you_is_opt_in_and_rate_limited(
    client: httpx.AsyncClient, app: FastAPI, clock: FrozenClock
) -> None:
    ana = await sign_up(client, "ana@example.com")
    await client.post("/api/v1/me/geofences", json=circle(*PARIS, 3000), headers=bearer(ana))
    org = await organizer(app)
    soon = await publish(app, org, starts_at=NOW + timedelta(minutes=30))
    await publish(app, org, starts_at=NOW + timedelta(hours=5))  # not soon
    here = {"lat": PARIS[0] + 0.001, "lon": PARIS[1]}
    first = await client.post("/api/v1/me/location", json=here, headers=bearer(ana))
    assert first.json() == {"notices": 0}  # not opted in
    await client.patch("/api/v1/me/notification-settings", json={"kinds": {"starting_soon": True}}, headers=bearer(ana))
    assert (await client.post("/api/v1/me/location", json=here, headers=bearer(ana))).status_code == 429
    clock.advance(301)
    answer = await client.post("/api/v1/me/location", json=here, headers=bearer(ana))
    assert answer.json() == {"notices": 1}
    [notice] = [n for n in await notices(app) if n["kind"] == "starting_soon"]
    assert notice["event_id"] == soon["id"]
    clock.advance(301)
    away = {"lat": 45.76, "lon": 4.83}  # outside every geofence of hers
    assert (await client.post("/api/v1/me/location", json=away, headers=bearer(ana))).json() == {"notices": 0}


async def test_reminders_a_day_and_an_hour_before(
    client: httpx.AsyncClient, app: FastAPI, worker: WorkerContext, clock: FrozenClock
) -> None:
    from app.notifications.tasks import remind

    ana = await sign_up(client, "ana@example.com")
    event = await publish(app, await organizer(app), lat=40.0, lon=-3.7, starts_at=NOW + timedelta(hours=20))
    await save(app, ana.account_id, event)
    assert await remind(worker) == 1
    assert await remind(worker) == 0  # once
    clock.advance(19.5 * 3600)
    assert await remind(worker) == 1
    assert [n["kind"] for n in await notices(app, ana.account_id)] == ["reminder_24h", "reminder_1h"]
