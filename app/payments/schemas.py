"""What the payments endpoints answer (none of them reads a JSON body of ours: the webhook's body is Stripe's)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


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
