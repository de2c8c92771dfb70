"""Every periodic job the worker runs: one entry per job, its function in its domain's ``tasks.py``."""

from __future__ import annotations

from datetime import timedelta

from app.recommendations import tasks as recommendations
from app.worker.jobs import Periodic
from config.settings import Settings


def periodic_jobs(settings: Settings) -> list[Periodic]:
    """The jobs, in the order they first run. Each domain adds its own entries here."""
    jobs: list[Periodic] = [
        Periodic("recommendation-partitions", timedelta(hours=6), recommendations.ensure_partitions, exclusive=True),
        Periodic(
            "recommendation-training",
            timedelta(seconds=settings.recommendations.train_every_s),
            recommendations.train_model,
            exclusive=True,
        ),
    ]
    return jobs
