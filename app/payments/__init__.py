"""Payments: the Stripe gateway, the webhook, reconciliation, refunds and Connect (see docs/ARCHITECTURE.md)."""
