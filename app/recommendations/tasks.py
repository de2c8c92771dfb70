"""The worker's recommendation jobs: train the next model; keep monthly partitions of
``interactions`` ahead of the clock and drop those past the retention."""

from __future__ import annotations

from app.recommendations import repository
from app.recommendations.training import train_and_store
from app.worker.jobs import WorkerContext


async def train_model(ctx: WorkerContext) -> int:
    """Train on the observed window and store the next version (the API picks it up by polling)."""
    settings = ctx.settings.recommendations
    async with ctx.unit_of_work() as work:
        await train_and_store(work.conn, ctx.clock(), settings)
    return 1


async def ensure_partitions(ctx: WorkerContext) -> int:
    """Create this month and ``partitions_ahead`` months of ``interactions``; drop expired months."""
    settings = ctx.settings.recommendations
    now = ctx.clock()
    created = 0
    async with ctx.unit_of_work() as work:
        await work.conn.execute("SET LOCAL lock_timeout = '5s'")
        for offset in range(settings.partitions_ahead + 1):
            year, month = month_after(now.year, now.month, offset)
            created += int(await repository.ensure_month(work.conn, year, month))
        year, month = month_after(now.year, now.month, -settings.retention_months)
        created += await repository.drop_months_before(work.conn, year, month)
    return created


def month_after(year: int, month: int, offset: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + offset
    return index // 12, index % 12 + 1
