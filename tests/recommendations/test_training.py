"""Training from PostgreSQL, versioned models loaded by the API without a restart, the monthly
partitions kept ahead, and the recommender's input limited to observed data."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI

from app.recommendations.data import EventInfo, Interaction, TrainingInput
from app.recommendations.model import Model
from app.recommendations.ranking import diversified
from app.recommendations.tasks import ensure_partitions
from app.recommendations.training import train_and_store
from app.worker.jobs import WorkerContext
from bench.recsim import HiddenPerson, simulate
from tests.accounts.helpers import EPOCH, FrozenClock
from tests.profiles.world import PARIS, event, organizer

# What the recommender may read. A new field here is a decision: it must be something observed.
OBSERVED_INTERACTION = {"account_id", "event_id", "organizer_id", "category", "kind", "occurred_at"}
OBSERVED_EVENT = {"event_id", "organizer_id", "venue_id", "category", "tags", "lat", "lon", "starts_at",
                  "weekday", "hour", "listed_popularity"}  # fmt: skip


def test_training_input_holds_only_observed_fields() -> None:
    assert {f.name for f in dataclasses.fields(Interaction)} == OBSERVED_INTERACTION
    assert {f.name for f in dataclasses.fields(EventInfo)} == OBSERVED_EVENT
    assert {f.name for f in dataclasses.fields(TrainingInput)} == {"interactions", "events", "interests", "now"}
    hidden = {f.name for f in dataclasses.fields(HiddenPerson)} - {"id", "interests"}
    assert not hidden & (OBSERVED_INTERACTION | OBSERVED_EVENT)
    world = simulate(3, people=60, organizers_per_city=6, days=20)
    observed = world.observed()
    assert all(type(s) is Interaction for s in observed.interactions)
    assert all(type(e) is EventInfo for e in observed.events.values())
    # Interests are what people chose at sign-up (observed), not their hidden tastes.
    assert all(isinstance(v, tuple) and all(isinstance(c, str) for c in v) for v in observed.interests.values())


def test_diversity_bounds_each_organizer_and_category_per_window() -> None:
    keys = {i: ("org0" if i < 20 else f"org{i % 4}", "music" if i < 30 else "arts") for i in range(40)}
    order = diversified(list(range(40)), lambda i: keys[i])
    first = order[:10]
    assert max(sum(1 for i in first if keys[i][0] == org) for org in ("org0", "org1", "org2", "org3")) <= 3
    assert sum(1 for i in first if keys[i][1] == "music") <= 5
    assert sorted(order) == list(range(40))


async def _people_and_signals(app: FastAPI, client: httpx.AsyncClient) -> tuple[list[dict[str, Any]], list[UUID]]:
    """Two tastes: jazz-goers and football-goers, each going to their own organizer's events."""
    jazz, sport = await organizer(app, "Caveau Jazz"), await organizer(app, "Stade Club")
    events = []
    for n in range(12):
        org, category = (jazz, "music") if n % 2 else (sport, "sports")
        starts = EPOCH - timedelta(days=40 - 3 * n)
        events.append(await event(app, org, title=f"E{n}", category=category, starts_at=starts,
                                  ends_at=starts + timedelta(hours=2), lat=PARIS[0] + 0.003 * n))  # fmt: skip
    people = [uuid4() for _ in range(12)]
    async with app.state.pool.connection() as conn:
        for i, person in enumerate(people):
            await conn.execute("INSERT INTO accounts (id, email) VALUES (%s, %s)", (person, f"p{i}@example.com"))
    rng = random.Random(5)
    rows = []
    for i, person in enumerate(people):
        mine = [e for e in events if (e["organizer_id"] == jazz) == (i % 2 == 0)]
        for e in rng.sample(mine, 5):
            at = e["starts_at"] - timedelta(days=rng.randint(1, 5))
            rows.append((person, e["cell"], e["id"], e["organizer_id"], e["category"], "rsvp", at))
            rows.append((person, e["cell"], e["id"], e["organizer_id"], e["category"], "view", at - timedelta(hours=1)))
    async with app.state.pool.connection() as conn:
        await conn.cursor().executemany(
            "INSERT INTO interactions (account_id, cell, event_id, organizer_id, category, kind, occurred_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    return events, people


async def test_train_store_and_load_without_restart(app: FastAPI, client: httpx.AsyncClient) -> None:
    _events, people = await _people_and_signals(app, client)
    holder = app.state.recommendations.models
    assert holder.version == 0  # the hand-set blend until a model is trained
    settings = app.state.settings.recommendations
    async with app.state.pool.connection() as conn, conn.transaction():
        version, model, _seconds = await train_and_store(conn, EPOCH, settings)
    assert isinstance(model, Model) and version >= 1
    assert model.summary["people"] == len(people) and model.summary["entities"] > 2
    assert await holder.refresh() is True  # loaded in a thread and swapped: no restart
    assert holder.version == version
    assert await holder.refresh() is False
    # The model holds no person: tastes are folded in from signals at request time.
    assert not any(str(person) in key for person in people for key in model.vectors.index)


async def test_worker_keeps_monthly_partitions_ahead(app: FastAPI, settings: Any) -> None:
    far = datetime(2031, 5, 17, tzinfo=UTC)
    account, org = uuid4(), await organizer(app)
    async with app.state.pool.connection() as conn:  # a month without its partition: the DEFAULT holds it
        await conn.execute("INSERT INTO accounts (id, email) VALUES (%s, %s)", (account, "x@example.com"))
        await conn.execute(
            "INSERT INTO interactions (account_id, organizer_id, kind, occurred_at) VALUES (%s, %s, 'follow', %s)",
            (account, org, far + timedelta(days=20)),
        )
    # Keep every month of the test database (the migration made this year's): retention is not tested here.
    settings = settings.model_copy(
        update={"recommendations": settings.recommendations.model_copy(update={"retention_months": 600})}
    )
    ctx = WorkerContext(settings, app.state.pool, app.state.redis, FrozenClock(far), app.state.after_commit)
    try:
        created = await ensure_partitions(ctx)
        assert created == settings.recommendations.partitions_ahead + 1
        assert await ensure_partitions(ctx) == 0  # already there
        async with app.state.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'interactions'::regclass ORDER BY 1"
            )
            names = [row["relname"] for row in await cur.fetchall()]
            assert {"interactions_2031_05", "interactions_2031_08", "interactions_default"} <= set(names)
            cur = await conn.execute("SELECT count(*) AS n FROM interactions_2031_06")
            assert (await cur.fetchone())["n"] == 1  # moved out of the DEFAULT partition
            cur = await conn.execute("SELECT count(*) AS n FROM interactions_default")
            assert (await cur.fetchone())["n"] == 0
    finally:
        async with app.state.pool.connection() as conn:
            for year, month in ((2031, 5), (2031, 6), (2031, 7), (2031, 8)):
                await conn.execute(f"DROP TABLE IF EXISTS interactions_{year}_{month:02d}")
