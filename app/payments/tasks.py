"""The worker's payment jobs: reconciliation (payments whose webhook never came) and refunds owed."""

from __future__ import annotations

from datetime import timedelta

from app.payments import service
from app.payments.context import PaymentsContext
from app.worker.jobs import WorkerContext

# Unpaid orders are checked with Stripe for this long after they were made (a payment can succeed
# after its hold lapsed: ticketing then sells the places again, or the payment is refunded).
RECONCILE_LOOKBACK = timedelta(hours=6)
REFUND_BATCH = 50


def payments_of(context: WorkerContext) -> PaymentsContext:
    """The worker's payments context (its gateway made once, on the worker's pool and clock)."""
    found = context.services.get("payments")
    if not isinstance(found, PaymentsContext):
        found = PaymentsContext.build(context.settings, context.pool, context.after_commit)
        found.clock = context.clock
        context.services["payments"] = found
    return found


async def reconcile_payments(context: WorkerContext) -> int:
    """Orders awaiting payment (or closed unpaid) for a while: ask Stripe, settle what succeeded."""
    payments = payments_of(context)
    if not payments.settings.enabled:
        return 0
    changed = await service.reconcile(
        payments.open_work, payments.gateway, payments.settings, payments.clock, RECONCILE_LOOKBACK
    )
    await service.execute_refunds(payments.open_work, payments.gateway, payments.clock, REFUND_BATCH)
    return changed


async def execute_refunds(context: WorkerContext) -> int:
    """Make the refunds owed (cancelled events, attendees, late payments), each exactly once."""
    payments = payments_of(context)
    if not payments.settings.enabled:
        return 0
    return await service.execute_refunds(payments.open_work, payments.gateway, payments.clock, REFUND_BATCH)
