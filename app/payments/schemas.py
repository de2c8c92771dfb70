"""What the payments endpoints read and answer (the webhook's body is Stripe's, read raw)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

# Stripe's test payment methods the offline fake knows: one that pays, two that are declined.
TestCard = Literal["pm_card_visa", "pm_card_chargeCustomerFail", "pm_card_visa_chargeDeclined"]


class WebhookAnswer(BaseModel):
    received: bool = True
    outcome: str


class RefundAnswer(BaseModel):
    id: UUID
    status: str  # refund_pending, then refunded once the provider has paid it back
    amount: int
    currency: str
    updated_at: datetime


class ConnectLink(BaseModel):
    """Where to send the organizer to finish onboarding with Stripe (the link expires in minutes)."""

    account_id: str
    url: str
    expires_at: datetime | None


class PaymentsConfig(BaseModel):
    """What the buy page needs to take a payment."""

    mode: Literal["elements", "test-cards", "off"] = Field(
        description="elements: Stripe.js with the publishable key; test-cards: the offline fake, paid "
        "through POST /orders/{id}/test-payment; off: no payments here (free events only)"
    )
    publishable_key: str | None = Field(description="For Stripe.js; null unless mode is elements")


class TestPaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_method: TestCard


class TestPaymentAnswer(BaseModel):
    status: str = Field(description="The PaymentIntent's status: succeeded, requires_payment_method (declined), ...")
    decline: str | None = Field(description="Why the card was declined, for the buyer")
