"""Stripe Connect onboarding: an organizer's connected account (Express) and its Account Link.

The production path for payouts: orders of an organizer with a connected account are destination
charges (``app.payments.gateway.intent_params``). localstripe has no Connect accounts (it answers
404), so in development this is a clear 503 (``ConnectUnavailable``), never a fake success.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

from app.payments.errors import ConnectUnavailable
from app.payments.gateway import PaymentGateway, StripeGateway
from config.settings import PaymentsSettings


@dataclass(frozen=True, slots=True)
class OnboardingLink:
    account_id: str
    url: str
    expires_at: datetime | None


def _unavailable(detail: str) -> ConnectUnavailable:
    return ConnectUnavailable(detail, headers={"Retry-After": "3600"})


def _client(gateway: PaymentGateway) -> Any:
    if not isinstance(gateway, StripeGateway):
        raise _unavailable("payments are not configured on this server (no Stripe secret key)")
    return gateway.client


def _refused(settings: PaymentsSettings, exc: stripe.StripeError) -> ConnectUnavailable:
    where = "localstripe has no Connect accounts" if settings.api_base else "Stripe refused the request"
    return _unavailable(f"Stripe Connect onboarding is not available here ({where}): {exc.user_message or exc}")


async def create_account(gateway: PaymentGateway, settings: PaymentsSettings, organizer_id: str) -> str:
    """A new Express connected account for the organizer (saved by the caller before the link is made)."""
    try:
        account = await _client(gateway).v1.accounts.create_async(
            {"type": "express", "metadata": {"organizer_id": organizer_id}},
            {"idempotency_key": f"connect:{organizer_id}"},
        )
    except stripe.StripeError as exc:
        raise _refused(settings, exc) from exc
    return str(account.id)


async def onboarding_link(
    gateway: PaymentGateway, settings: PaymentsSettings, account_id: str, fallback_url: str
) -> OnboardingLink:
    """A one-time link where the organizer finishes onboarding with Stripe."""
    try:
        link = await _client(gateway).v1.account_links.create_async(
            {
                "account": account_id,
                "type": "account_onboarding",
                "refresh_url": settings.connect_refresh_url or fallback_url,
                "return_url": settings.connect_return_url or fallback_url,
            }
        )
    except stripe.StripeError as exc:
        raise _refused(settings, exc) from exc
    expires = getattr(link, "expires_at", None)
    return OnboardingLink(account_id, str(link.url), datetime.fromtimestamp(expires, UTC) if expires else None)
