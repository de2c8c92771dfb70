"""What the payments code needs besides a connection: settings, the gateway, the clock, transactions.

``app.state.payments`` holds it, made in the lifespan (the worker makes its own in
``services["payments"]``); endpoints reach it through ``PaymentsDep``. Tests pin ``clock``.
``open_work`` opens a transaction of its own (with after-commit events), for work done after the
request's answer is decided or outside any request: settling a webhook, making a refund.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from app.db import Conn, UnitOfWork
from app.kit.after_commit import AfterCommit
from app.kit.clock import Clock, utc_now
from app.payments.gateway import DisabledGateway, RefundingGateway, StripeGateway
from config.settings import PaymentsSettings, Settings


@dataclass
class PaymentsContext:
    settings: PaymentsSettings
    gateway: RefundingGateway
    pool: AsyncConnectionPool[Conn]
    after_commit: AfterCommit
    clock: Clock = field(default=utc_now)

    @classmethod
    def build(cls, settings: Settings, pool: AsyncConnectionPool[Conn], after_commit: AfterCommit) -> PaymentsContext:
        own = settings.payments
        gateway: RefundingGateway = StripeGateway(own) if own.enabled else DisabledGateway()
        return cls(settings=own, gateway=gateway, pool=pool, after_commit=after_commit)

    @asynccontextmanager
    async def open_work(self) -> AsyncIterator[UnitOfWork]:
        """One transaction; its published events reach the listeners after commit."""
        async with self.pool.connection() as conn:
            work = UnitOfWork(conn)
            async with conn.transaction():
                yield work
        await self.after_commit.dispatch(work.events)

    def platform_fee(self, amount: int) -> int:
        """The platform's fee on an order of ``amount`` (minor units), never more than the amount."""
        fee = round(amount * self.settings.platform_fee_percent / 100) + self.settings.platform_fee_fixed
        return min(fee, amount)

    async def aclose(self) -> None:
        close = getattr(self.gateway, "aclose", None)
        if close is not None:
            await close()


def get_payments(request: Request) -> PaymentsContext:
    context: PaymentsContext = request.app.state.payments
    return context


PaymentsDep = Annotated[PaymentsContext, Depends(get_payments)]
