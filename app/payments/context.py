"""What the payments code needs besides a connection: settings, the gateway, the clock.

``app.state.payments`` holds it, made in the lifespan (the worker makes its own in
``services["payments"]``); endpoints reach it through ``PaymentsDep``. Tests pin ``clock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from app.kit.clock import Clock, utc_now
from app.payments.gateway import DisabledGateway, PaymentGateway, StripeGateway
from config.settings import PaymentsSettings, Settings


@dataclass
class PaymentsContext:
    settings: PaymentsSettings
    gateway: PaymentGateway
    clock: Clock = field(default=utc_now)

    @classmethod
    def build(cls, settings: Settings) -> PaymentsContext:
        own = settings.payments
        gateway: PaymentGateway = StripeGateway(own) if own.enabled else DisabledGateway()
        return cls(settings=own, gateway=gateway)

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
