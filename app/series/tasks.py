"""The series' periodic job: extend every series' occurrences to the horizon as time passes."""

from __future__ import annotations

from datetime import timedelta

from app.series import repository, service
from app.worker.jobs import WorkerContext


async def extend_horizons(context: WorkerContext) -> int:
    """Materialise occurrences up to now + horizon for series that stop short of it; how many series.

    One series per transaction, claimed with ``FOR UPDATE SKIP LOCKED`` (workers share the work, and
    an edit holding a series' lock is skipped, not waited for). Idempotent: a series already at the
    horizon is not claimed, and materialising matches rows by recurrence id.
    """
    settings = context.settings.series
    now = context.clock()
    target = now + timedelta(days=settings.horizon_days)
    done = 0
    while done < settings.extend_batch:
        async with context.unit_of_work() as work:
            series = await repository.claim_series_behind(work.conn, target)
            if series is None:
                break
            for change in await service.extend_horizon(work.conn, series, until=target, now=now):
                work.publish(change)
        done += 1
    return done
