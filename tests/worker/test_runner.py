"""The job worker: jobs run on their period, exclusive jobs in one worker at a time, failures retried."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.worker.jobs import Periodic, WorkerContext
from app.worker.runner import build_context, close_context, run_jobs, run_once
from config.settings import Settings


async def test_a_job_runs_again_at_once_after_a_full_batch(settings: Settings) -> None:
    context = await build_context(settings)
    runs: list[int] = []
    stop = asyncio.Event()

    async def drain(_: WorkerContext) -> int:
        runs.append(1)
        if len(runs) == 3:
            stop.set()
        return 10 if len(runs) < 3 else 0  # two full batches, then nothing left

    try:
        job = Periodic("test.drain", timedelta(seconds=30), drain, batch=10)
        await asyncio.wait_for(run_jobs(context, [job], stop), timeout=10)
    finally:
        await close_context(context)
    assert len(runs) == 3  # a 30 s period, yet three runs: full batches do not wait


async def test_a_failing_job_is_retried_and_the_worker_lives_on(settings: Settings) -> None:
    context = await build_context(settings)
    attempts: list[int] = []
    stop = asyncio.Event()

    async def flaky(_: WorkerContext) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the first run fails")
        stop.set()
        return 1

    try:
        job = Periodic("test.flaky", timedelta(milliseconds=50), flaky)
        await asyncio.wait_for(run_jobs(context, [job], stop), timeout=10)
    finally:
        await close_context(context)
    assert len(attempts) == 2


async def test_an_exclusive_job_runs_in_one_worker_at_a_time(settings: Settings) -> None:
    first, second = await build_context(settings), await build_context(settings)
    inside = asyncio.Event()
    release = asyncio.Event()

    async def sweep(_: WorkerContext) -> int:
        inside.set()
        await release.wait()
        return 1

    job = Periodic("test.sweep", timedelta(seconds=1), sweep, exclusive=True)
    try:
        running = asyncio.create_task(run_once(first, job))
        await asyncio.wait_for(inside.wait(), timeout=5)
        assert await run_once(second, job) is None  # the other worker holds the job's lock
        release.set()
        assert await running == 1
        release.set()
        assert await run_once(second, job) == 1  # released: the next run may take it
    finally:
        await close_context(first)
        await close_context(second)


async def test_a_unit_of_work_hands_its_events_to_listeners_after_commit(settings: Settings) -> None:
    context = await build_context(settings)
    heard: list[str] = []

    async def listener(event: str) -> None:
        heard.append(event)

    context.after_commit.listen(str, listener)
    try:
        async with context.unit_of_work() as work:
            await work.conn.execute("SELECT 1")
            work.publish("committed")
        try:
            async with context.unit_of_work() as work:
                work.publish("rolled back")
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    finally:
        await close_context(context)
    assert heard == ["committed"]
