"""Run the periodic jobs until told to stop; a job that fails is logged and retried with backoff."""

from __future__ import annotations

import asyncio
import logging
import random
import signal
import zlib
from collections.abc import Sequence

from app.db import make_pool
from app.kit.after_commit import AfterCommit
from app.kit.clock import Clock, utc_now
from app.redis import make_redis
from app.worker.jobs import Periodic, WorkerContext
from config.settings import Settings

log = logging.getLogger("happenings.worker")

MAX_BACKOFF_S = 300.0


def advisory_key(name: str) -> int:
    """A stable 32-bit advisory lock key for a job name (the same in every worker process)."""
    return zlib.crc32(f"happenings.job:{name}".encode())


async def run_once(context: WorkerContext, job: Periodic) -> int | None:
    """Run ``job`` once; ``None`` when another worker holds an exclusive job's lock."""
    if not job.exclusive:
        return await job.run(context)
    async with context.pool.connection() as conn:
        await conn.set_autocommit(True)
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (advisory_key(job.name),))
        row = await cur.fetchone()
        if row is None or not row["got"]:
            return None
        try:
            return await job.run(context)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (advisory_key(job.name),))


async def _loop(context: WorkerContext, job: Periodic, stop: asyncio.Event) -> None:
    failures = 0
    # Spread the first runs so that workers started together do not run every job at the same moment.
    delay = random.uniform(0, min(job.every.total_seconds(), 1.0))
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return
        except TimeoutError:
            pass
        try:
            settled = await run_once(context, job)
            failures = 0
        except Exception:
            failures += 1
            delay = min(job.every.total_seconds() * 2**failures, MAX_BACKOFF_S)
            log.exception("job failed", extra={"job": job.name, "retry_in_s": delay})
            continue
        if settled:
            log.info("job ran", extra={"job": job.name, "settled": settled})
        full_batch = job.batch is not None and settled is not None and settled >= job.batch
        delay = 0.0 if full_batch else job.every.total_seconds()


async def run_jobs(context: WorkerContext, jobs: Sequence[Periodic], stop: asyncio.Event) -> None:
    """Run every job on its own period until ``stop`` is set; jobs in flight finish first."""
    loops = [asyncio.create_task(_loop(context, job, stop), name=f"job:{job.name}") for job in jobs]
    try:
        await asyncio.gather(*loops)
    finally:
        for task in loops:
            task.cancel()


async def build_context(settings: Settings, clock: Clock = utc_now) -> WorkerContext:
    """The worker's pool, Redis and after-commit listeners (the tile cache forgets what jobs changed)."""
    from app.events.changes import EventChange
    from app.live.hub import LivePublisher
    from tiles.cache import invalidate

    pool = make_pool(settings.database, application_name="happenings-worker", name="worker")
    await pool.open(wait=False)
    redis = make_redis(settings.redis)
    after_commit = AfterCommit()

    async def forget_tiles(change: EventChange) -> None:
        await invalidate(redis, settings, change)

    after_commit.listen(EventChange, forget_tiles)
    # Changes jobs make reach open live maps too.
    live = LivePublisher(redis, settings.redis.key_prefix, settings.notifications.live_history)
    after_commit.listen(EventChange, live.on_change)
    return WorkerContext(settings=settings, pool=pool, redis=redis, clock=clock, after_commit=after_commit)


async def close_context(context: WorkerContext) -> None:
    await context.redis.aclose()
    await context.pool.close()


async def serve_worker(settings: Settings) -> None:
    """`python -m app worker`: run the schedule until SIGINT or SIGTERM."""
    from app.worker.schedule import periodic_jobs

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    context = await build_context(settings)
    jobs = periodic_jobs(settings)
    log.info("worker started", extra={"jobs": [job.name for job in jobs]})
    try:
        await run_jobs(context, jobs, stop)
    finally:
        await close_context(context)
