"""Trained models in PostgreSQL (``recommendation_models``), and the API's copy of the newest one.

``ModelHolder`` starts with the hand-set prior blend, checks for a newer version every
``model_poll_s`` seconds, and unpickles it in a thread: a request never waits for a load and always
reads one whole model (the reference is swapped in one assignment). The payload is written only by
our own training command (``app.recommendations.training``); it is never taken from a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle

import orjson
import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from app.db import Conn
from app.recommendations import repository
from app.recommendations.model import Model

log = logging.getLogger("happenings.recommendations")


def dump(model: Model) -> bytes:
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def load(payload: bytes) -> Model:
    model = pickle.loads(payload)
    if not isinstance(model, Model):
        raise TypeError("not a recommendation model")
    return model


async def save(conn: Conn, model: Model, keep: int) -> int:
    """Store a trained model as the next version (in the caller's transaction); returns the version."""
    payload = await asyncio.to_thread(dump, model)
    summary = orjson.dumps({**model.summary, "trained_at": model.trained_at}).decode()
    return await repository.store_model(conn, payload, summary, keep)


class ModelHolder:
    """The newest trained model, reloaded without a restart."""

    def __init__(self, pool: AsyncConnectionPool[Conn], poll_s: float, fallback: Model) -> None:
        self._pool = pool
        self._poll_s = poll_s
        self.current = fallback
        self._task: asyncio.Task[None] | None = None

    @property
    def version(self) -> int:
        return self.current.version

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="recommendations-models")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def refresh(self) -> bool:
        """Load the newest version if it is newer than ours; True when swapped."""
        async with self._pool.connection() as conn:
            newest = await repository.latest_version(conn)
            if newest <= self.current.version:
                return False
            payload = await repository.model_payload(conn, newest)
        if payload is None:
            return False
        model = await asyncio.to_thread(load, payload)
        model.version = newest
        self.current = model  # one assignment: a request holds the old one or the new one, whole
        log.info("recommendation model loaded", extra={"version": newest})
        return True

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except (psycopg.OperationalError, PoolTimeout) as exc:
                # The database is away (the breaker answers requests meanwhile): keep the model we have.
                log.warning("the recommendation model could not be checked: %s", type(exc).__name__)
            except Exception:
                log.warning("loading the recommendation model failed", exc_info=True)
            await asyncio.sleep(self._poll_s)
