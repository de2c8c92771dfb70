"""Ticketing's background jobs (run by the worker, ``app.worker.schedule``)."""

from __future__ import annotations

from app.ticketing import service
from app.worker.jobs import WorkerContext


async def sweep_lapsed_holds(ctx: WorkerContext) -> int:
    """Free the places of holds that ended unpaid (a batch per transaction; SKIP LOCKED)."""
    async with ctx.unit_of_work() as work:
        return await service.sweep_lapsed_holds(work.conn, ctx.settings.ticketing, ctx.clock)
