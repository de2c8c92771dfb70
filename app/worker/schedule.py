"""Every periodic job the worker runs: one entry per job, its function in its domain's ``tasks.py``."""

from __future__ import annotations

from datetime import timedelta

from app.imports.tasks import queue_subscriptions, run_imports
from app.notifications import tasks as notifications
from app.payments import tasks as payments
from app.recommendations import tasks as recommendations
from app.series.tasks import extend_horizons
from app.ticketing import tasks as ticketing
from app.worker.jobs import Periodic
from config.settings import Settings


def periodic_jobs(settings: Settings) -> list[Periodic]:
    """The jobs, in the order they first run. Each domain adds its own entries here."""
    push = settings.notifications
    jobs: list[Periodic] = [
        Periodic(
            "notifications.match", timedelta(seconds=push.poll_every_s), notifications.match_changes,
            batch=push.match_batch,
        ),
        Periodic(
            "notifications.deliver", timedelta(seconds=push.poll_every_s), notifications.deliver_notices,
            batch=push.deliver_batch,
        ),
        Periodic("notifications.remind", timedelta(seconds=60), notifications.remind, exclusive=True),
        Periodic(
            "series.extend_horizons", timedelta(seconds=settings.series.extend_every_s), extend_horizons,
            batch=settings.series.extend_batch,
        ),
        Periodic(
            "ticketing.sweep_lapsed_holds",
            timedelta(seconds=settings.ticketing.sweep_every_s),
            ticketing.sweep_lapsed_holds,
            batch=settings.ticketing.sweep_batch,
        ),
        # Refund rows are leased one by one: every worker may run this at once.
        Periodic("payments.refunds", timedelta(seconds=10), payments.execute_refunds, batch=payments.REFUND_BATCH),
        Periodic(
            "payments.reconcile",
            timedelta(seconds=60),
            payments.reconcile_payments,
            exclusive=True,
            batch=settings.payments.reconcile_batch,
        ),
        Periodic("recommendation-partitions", timedelta(hours=6), recommendations.ensure_partitions, exclusive=True),
        Periodic(
            "recommendation-training",
            timedelta(seconds=settings.recommendations.train_every_s),
            recommendations.train_model,
            exclusive=True,
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
