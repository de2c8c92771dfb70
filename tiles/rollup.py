"""Keeping ``tile_rollup``'s horizon ahead of the clock (migration 0008).

The rollup counts public events that end at or after its horizon; a wide cluster tile adds the
events ending between now and the horizon, read from ``events_ends_idx``. That holds only while
the horizon is in the future: once the clock passes it the rollup still counts events that have
ended, and tiles fall back to aggregating ``events`` (exact, but tens of milliseconds slower).

Every API process runs a ``RollupHorizon``: every ``rollup_check_s`` it moves the horizon to
``rollup_lead_s`` ahead when less than half of that lead is left. The database serialises the
advance (an exclusive advisory lock that event writers hold shared), so several processes doing
it at once is harmless: the later ones find nothing to do. The lock is waited for at most
``LOCK_WAIT``: a long write transaction delays the advance to the next round rather than making
every other writer queue behind it. An advance that moved the horizon vacuums the rollup at once.

Each round opens a connection of its own (``connect``) rather than borrowing one of the tile
pools': an advance may take seconds, and a borrow at start-up, before the pool's one connection
is ready, would grow the pool to two idle connections that misses then take in turn, each backend
idle twice as long (colder) for every tile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import psycopg

from app.db import Conn
from config.settings import TileSettings

log = logging.getLogger("happenings.tiles.rollup")

LOCK_WAIT = "2s"
# Advancing reads the events that leave the rollup and recounts the cells whose bounds they held.
ADVANCE_TIMEOUT = "60s"

_ADVANCE = """
SELECT tile_rollup_advance(now() + make_interval(secs => %(lead)s))
FROM tile_rollup_horizon h
WHERE h.counted_from < now() + make_interval(secs => %(lead)s / 2.0)
"""


class RollupHorizon:
    CLOSE_WAIT_S = 5.0

    def __init__(self, connect: Callable[[], Awaitable[Conn]], settings: TileSettings) -> None:
        self.connect = connect  # an autocommit connection (VACUUM cannot run in a transaction)
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="tile-rollup-horizon")

    async def aclose(self) -> None:
        # A stop signal rather than only a cancel: a cancel that lands inside the pool or the
        # driver can be absorbed there, and the loop would sleep on.
        if self._task is None:
            return
        self._stop.set()
        done, _ = await asyncio.wait({self._task}, timeout=self.CLOSE_WAIT_S)
        if not done:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def advance(self) -> datetime | None:
        """Move the horizon if it is due; the new horizon, or None when it was far enough ahead."""
        async with await self.connect() as conn:
            async with conn.transaction():
                await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                await conn.execute(f"SET LOCAL statement_timeout = '{ADVANCE_TIMEOUT}'")
                row = await (await conn.execute(_ADVANCE, {"lead": self.settings.rollup_lead_s})).fetchone()
            if row is None:
                return None
            # The advance rewrote the rows of the cells whose events ended: until a vacuum marks
            # their pages all-visible again, wide tiles read those pages from the heap. Autovacuum
            # would (migration 0009) where it runs, in its own time; this is at once, and ~2,400
            # pages over the three levels at 1M events. Outside the transaction: VACUUM cannot
            # run inside one.
            await conn.execute("VACUUM (SKIP_LOCKED) tile_rollup, tile_rollup_coarse, tile_rollup_fine")
        moved: datetime = row["tile_rollup_advance"]
        return moved

    async def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                moved = await self.advance()
                if moved is not None:
                    log.info("tile rollup horizon moved to %s", moved.isoformat())
                if failing:
                    log.info("tile rollup horizon checked again")
                failing = False
            except (psycopg.Error, OSError) as error:
                # The next round retries; meanwhile tiles are made from events, still exact. One
                # warning per run of failures (a database away for a while is not a line a minute).
                if not failing:
                    every, reason = self.settings.rollup_check_s, " ".join(str(error).split())
                    log.warning("tile rollup horizon not moved, retrying every %gs: %s", every, reason)
                failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.settings.rollup_check_s)
