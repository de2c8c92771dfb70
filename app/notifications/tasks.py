"""The worker's notification jobs: drain event changes into notices, deliver notices, write reminders."""

from __future__ import annotations

from app.notifications.delivery import Delivery
from app.notifications.matching import drain_changes
from app.notifications.push import build_transports
from app.notifications.service import write_reminders
from app.worker.jobs import WorkerContext


def delivery_of(context: WorkerContext) -> Delivery:
    """The worker's one ``Delivery`` (its FCM app and VAPID key are made once, on first use)."""
    delivery = context.services.get("notifications")
    if not isinstance(delivery, Delivery):
        settings = context.settings
        transports = build_transports(settings.notifications)
        delivery = Delivery(
            context.pool, transports, settings.notifications, context.clock, outbox=settings.is_development
        )
        context.services["notifications"] = delivery
    return delivery


async def match_changes(context: WorkerContext) -> int:
    """Turn a batch of pending ``event_changes`` into notices (one transaction: exactly once)."""
    async with context.unit_of_work() as work:
        return await drain_changes(work.conn, context.clock(), context.settings.notifications.match_batch)


async def deliver_notices(context: WorkerContext) -> int:
    return await delivery_of(context).deliver_due(context.settings.notifications.deliver_batch)


async def remind(context: WorkerContext) -> int:
    async with context.unit_of_work() as work:
        return await write_reminders(work.conn, context.clock())
