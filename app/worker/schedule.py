"""Every periodic job the worker runs: one entry per job, its function in its domain's ``tasks.py``."""

from __future__ import annotations

from datetime import timedelta

from app.notifications import tasks as notifications
from app.worker.jobs import Periodic
from config.settings import Settings


def periodic_jobs(settings: Settings) -> list[Periodic]:
    """The jobs, in the order they first run. Each domain adds its own entries here."""
    push = settings.notifications
    jobs: list[Periodic] = [
        Periodic("notifications.match", timedelta(seconds=1), notifications.match_changes, batch=push.match_batch),
        Periodic(
            "notifications.deliver", timedelta(seconds=1), notifications.deliver_notices, batch=push.deliver_batch
        ),
        Periodic("notifications.remind", timedelta(seconds=60), notifications.remind, exclusive=True),
    ]
    return jobs
