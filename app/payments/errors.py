"""The payments domain's problems, rendered by ``app.errors`` like every ``ProblemError``."""

from __future__ import annotations

from app.errors import Conflict, InvalidParameter, NotFound, ProblemError, ServiceUnavailable


class PaymentProviderError(ServiceUnavailable):
    """Stripe (or localstripe) could not be reached or refused a call it should have taken."""

    slug = "payment-provider-unavailable"
    title = "The payment provider is unavailable"


class PaymentProviderRefused(ProblemError):
    """Stripe refused a call because of what was asked (a bad amount, an unknown object)."""

    status, slug, title = 502, "payment-provider-refused", "The payment provider refused the request"


class WebhookNotConfigured(NotFound):
    """No webhook secret is configured: the endpoint does not exist."""

    slug = "not-found"


class WebhookRejected(InvalidParameter):
    """A webhook whose signature or timestamp does not check out; nothing was written."""

    slug = "webhook-rejected"
    title = "Webhook rejected"


class OrderNotFound(NotFound):
    """Unknown, or not the caller's: the two answer alike."""

    slug = "order-not-found"


class NotRefundable(Conflict):
    """The order is not paid, is already refunded, or the organizer's refund window has closed."""

    slug = "not-refundable"
    title = "This order cannot be refunded"


class ConnectUnavailable(ServiceUnavailable):
    """Stripe Connect onboarding needs real Stripe keys (localstripe has no Connect accounts)."""

    slug = "connect-unavailable"
    title = "Stripe Connect is not available here"


class NotPayable(Conflict):
    """The order is no longer awaiting payment (paid, expired or cancelled)."""

    slug = "not-payable"
    title = "This order cannot be paid"


class TestCardsOff(NotFound):
    """Payments here go to Stripe itself: cards are taken by Stripe.js, never by this server."""

    slug = "not-found"
