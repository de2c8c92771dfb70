"""Reading a Stripe webhook: the signature over the raw body, the timestamp against our clock.

A webhook is a trigger, not a fact: once it checks out we keep only the event's id, its type and the
id of the PaymentIntent it names; the intent itself is fetched again from Stripe before anything is
decided (``app.payments.service``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

import stripe

from app.payments.errors import WebhookRejected

# The events that move an order; any other type is recorded and answered 200 (Stripe stops sending it).
INTENT_EVENTS = frozenset(
    {"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
     "payment_intent.processing", "payment_intent.amount_capturable_updated"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class VerifiedEvent:
    id: str
    type: str
    intent_id: str | None  # the PaymentIntent the event is about, when it is about one


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` Stripe would send for ``payload`` (development tools, tests, the bench)."""
    digest = hmac.new(secret.encode(), b"%d.%s" % (timestamp, payload), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed_timestamp(header: str) -> int:
    """The ``t=`` of a ``Stripe-Signature`` header (the time Stripe signed at)."""
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            return int(value)
    raise WebhookRejected("the Stripe-Signature header has no timestamp", param="Stripe-Signature")


def verify(payload: bytes, header: str | None, secret: str, tolerance_s: int, now: datetime) -> VerifiedEvent:
    """The event, if ``header`` signs ``payload`` with ``secret`` within ``tolerance_s`` of ``now``.

    The SDK checks the signature (``construct_event`` without its own tolerance: it would read the
    system clock); the timestamp is checked here against the injected clock, in both directions.
    Anything wrong is a ``WebhookRejected`` (400) and nothing has been written.
    """
    if not secret:
        raise AssertionError("never verify against an empty secret")  # the endpoint 404s before this
    if not header:
        raise WebhookRejected("the Stripe-Signature header is missing", param="Stripe-Signature")
    try:
        event = stripe.Webhook.construct_event(payload, header, secret, tolerance=None)  # type: ignore[arg-type]
    except stripe.SignatureVerificationError:
        raise WebhookRejected("the signature does not match the body", param="Stripe-Signature") from None
    except ValueError:
        raise WebhookRejected("the body is not a Stripe event") from None
    age = now.timestamp() - signed_timestamp(header)
    if abs(age) > tolerance_s:
        raise WebhookRejected(f"the signature is {int(age)} s old; at most {tolerance_s} s is accepted")
    event_id, event_type = getattr(event, "id", None), getattr(event, "type", None)
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise WebhookRejected("the body is not a Stripe event")
    return VerifiedEvent(event_id, event_type, _intent_id(event, event_type))


def _intent_id(event: stripe.Event, event_type: str) -> str | None:
    if event_type not in INTENT_EVENTS:
        return None
    obj = getattr(getattr(event, "data", None), "object", None)
    intent_id = getattr(obj, "id", None)
    return intent_id if isinstance(intent_id, str) and intent_id.startswith("pi_") else None
