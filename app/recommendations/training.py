"""``python -m app.recommendations train`` and the worker's job: read what was observed, train in a
thread (numerical work), store the next model version."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from uuid import UUID

from app.db import Conn
from app.recommendations import repository, store
from app.recommendations.data import EventInfo, Id, Interaction, TrainingInput
from app.recommendations.model import Model, train
from config.settings import RecommendationSettings

log = logging.getLogger("happenings.recommendations")
MAX_TRAINING_EVENTS = 300_000


async def load_input(conn: Conn, now: datetime, settings: RecommendationSettings) -> TrainingInput:
    """The observed data of the training window, as the records ``train`` takes."""
    since = now - timedelta(days=settings.training_window_days)
    signals = [Interaction(**row) for row in await repository.training_signals(conn, since)]
    events: dict[Id, EventInfo] = {}
    for row in await repository.training_events(conn, since, now + timedelta(days=30), MAX_TRAINING_EVENTS):
        events[row["event_id"]] = EventInfo(**{**row, "tags": tuple(row["tags"])})
    interests: dict[Id, tuple[str, ...]] = {
        row["account_id"]: tuple(row["interests"]) for row in await repository.training_interests(conn, since)
    }
    return TrainingInput(signals, events, interests, now.timestamp())


async def train_and_store(conn: Conn, now: datetime, settings: RecommendationSettings) -> tuple[int, Model, float]:
    """Train on the window ending ``now``; returns (version, model, seconds spent training)."""
    data = await load_input(conn, now, settings)
    started = time.perf_counter()
    model = await asyncio.to_thread(train, data)
    seconds = time.perf_counter() - started
    version = await store.save(conn, model, settings.keep_models)
    model.version = version
    log.info("recommendation model trained", extra={"version": version, "seconds": round(seconds, 2)})
    return version, model, seconds


def as_uuid(value: Id) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
