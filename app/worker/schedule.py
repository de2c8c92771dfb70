"""Every periodic job the worker runs: one entry per job, its function in its domain's ``tasks.py``."""

from __future__ import annotations

from datetime import timedelta

from app.imports.tasks import queue_subscriptions, run_imports
from app.series.tasks import extend_horizons
from app.worker.jobs import Periodic
from config.settings import Settings


def periodic_jobs(settings: Settings) -> list[Periodic]:
    """The jobs, in the order they first run. Each domain adds its own entries here."""
    jobs: list[Periodic] = [
        Periodic(
            "series.extend_horizons", timedelta(seconds=settings.series.extend_every_s), extend_horizons,
            batch=settings.series.extend_batch,
        ),
        Periodic(
            "imports.run", timedelta(seconds=settings.imports.poll_every_s), run_imports,
            batch=settings.imports.job_batch,
        ),
        Periodic(
            "imports.subscriptions", timedelta(seconds=settings.imports.poll_every_s * 30), queue_subscriptions,
            batch=settings.imports.job_batch,
        ),
    ]
    return jobs
