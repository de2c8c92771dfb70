"""The payment provider seen by the rest of the service: create an intent, read it back, refund it.

``PaymentGateway`` is the contract ticketing and the jobs use; ``StripeGateway`` implements it with
the official SDK's async methods (a ``StripeClient`` per gateway, HTTPX underneath). Stripe objects
of SDK 16 are not dicts: fields are read as attributes. What we send is built by pure functions
(``intent_params``, ``refund_params``) so that the Connect parameters, which localstripe refuses,
are tested by the request we build.

We pass an idempotency key on every write, as Stripe recommends, but never rely on it: localstripe
ignores them, and a key only covers 24 hours. Our own exactly-once comes from rows in PostgreSQL
(one intent per order, one refund per order) claimed before the call and re-read after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import stripe

from app.payments.errors import NotPayable, PaymentProviderError, PaymentProviderRefused
from config.settings import PaymentsSettings

ORDER_ID_KEY = "order_id"  # the metadata key every intent carries: the webhook finds its order by it


@dataclass(frozen=True, slots=True)
class CreatedIntent:
    id: str
    client_secret: str
    status: str


@dataclass(frozen=True, slots=True)
class IntentState:
    """A PaymentIntent as the provider holds it now (re-fetched: never a webhook's copy)."""

    id: str
    # requires_payment_method | requires_confirmation | requires_action | processing | succeeded | canceled
    status: str
    amount: int
    currency: str
    order_id: UUID | None  # from the intent's metadata; None when it names no order of ours

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def failed(self) -> bool:
        """Payment attempts over for good: the buyer's hold may go."""
        return self.status == "canceled"


@dataclass(frozen=True, slots=True)
class TestPayment:
    status: str  # the intent's status after the attempt
    decline: str | None  # the card issuer's refusal, as the buyer should read it


@dataclass(frozen=True, slots=True)
class RefundState:
    id: str
    status: str  # pending | requires_action | succeeded | failed | canceled


class PaymentGateway(Protocol):
    async def create_intent(
        self,
        *,
        order_id: UUID,
        amount: int,
        currency: str,
        application_fee: int | None,
        destination_account: str | None,
        idempotency_key: str,
    ) -> CreatedIntent: ...

    async def retrieve_intent(self, intent_id: str) -> IntentState: ...

    async def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> RefundState: ...


class RefundingGateway(PaymentGateway, Protocol):
    """The gateway the refunds job uses: it also reads back the refunds an intent already has (after
    a crash between the provider's answer and our commit, the refund made is found, not made again)."""

    async def refunds_of(self, intent_id: str) -> list[RefundState]: ...


def intent_params(
    *, order_id: UUID, amount: int, currency: str, application_fee: int | None, destination_account: str | None
) -> dict[str, Any]:
    """The PaymentIntent create request for an order.

    A destination charge (Connect) only when the organizer has a connected account: the money goes
    to that account and the platform keeps ``application_fee``. Without one the platform collects
    everything and no Connect parameter is sent (localstripe refuses them with a 400; so would Stripe
    for an account that is not connected).
    """
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "payment_method_types": ["card"],
        "metadata": {ORDER_ID_KEY: str(order_id)},
    }
    if destination_account:
        params["transfer_data"] = {"destination": destination_account}
        if application_fee:
            params["application_fee_amount"] = application_fee
    return params


def refund_params(*, intent_id: str, amount: int) -> dict[str, Any]:
    return {"payment_intent": intent_id, "amount": amount}


def _order_id(metadata: Any) -> UUID | None:
    values = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata or {})
    raw = values.get(ORDER_ID_KEY)
    try:
        return UUID(str(raw)) if raw else None
    except ValueError:
        return None


def intent_state(intent: Any) -> IntentState:
    """An SDK PaymentIntent object as ``IntentState``."""
    return IntentState(
        id=intent.id,
        status=intent.status,
        amount=int(intent.amount),
        currency=str(intent.currency),
        order_id=_order_id(intent.metadata),
    )


def make_client(settings: PaymentsSettings, http: Any) -> stripe.StripeClient:
    """A client of its own (no module globals): its key, its base URL, async HTTP, no SDK retries."""
    assert settings.secret_key is not None
    base = {"api": settings.api_base} if settings.api_base else None
    return stripe.StripeClient(
        settings.secret_key.get_secret_value(),
        base_addresses=base,  # type: ignore[arg-type]
        http_client=http,
        max_network_retries=0,
    )


def provider_error(exc: stripe.StripeError) -> Exception:
    """A refusal about what we asked (4xx) or an unavailable provider (network, 5xx, 429)."""
    status = exc.http_status or 0
    if isinstance(exc, stripe.InvalidRequestError) and 400 <= status < 500 and status != 429:
        return PaymentProviderRefused(f"the payment provider refused the request: {exc.user_message or exc}")
    return PaymentProviderError("the payment provider could not be reached; try again", headers={"Retry-After": "5"})


class StripeGateway:
    """``PaymentGateway`` over Stripe's API (or localstripe's, by ``settings.api_base``)."""

    def __init__(self, settings: PaymentsSettings) -> None:
        self.settings = settings
        self.http: Any = stripe.HTTPXClient(timeout=settings.request_timeout_s)
        self.client = make_client(settings, self.http)

    async def create_intent(
        self,
        *,
        order_id: UUID,
        amount: int,
        currency: str,
        application_fee: int | None,
        destination_account: str | None,
        idempotency_key: str,
    ) -> CreatedIntent:
        params = intent_params(
            order_id=order_id,
            amount=amount,
            currency=currency,
            application_fee=application_fee,
            destination_account=destination_account,
        )
        try:
            intent = await self.client.v1.payment_intents.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return CreatedIntent(id=intent.id, client_secret=intent.client_secret or "", status=intent.status)

    async def retrieve_intent(self, intent_id: str) -> IntentState:
        try:
            intent = await self.client.v1.payment_intents.retrieve_async(intent_id)
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return intent_state(intent)

    async def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> RefundState:
        try:
            refund = await self.client.v1.refunds.create_async(
                refund_params(intent_id=intent_id, amount=amount),  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return RefundState(id=refund.id, status=refund.status or "pending")

    async def refunds_of(self, intent_id: str) -> list[RefundState]:
        try:
            found = await self.client.v1.refunds.list_async({"payment_intent": intent_id, "limit": 100})
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        return [RefundState(id=r.id, status=r.status or "pending") for r in found.data]

    async def pay_with_test_card(self, intent_id: str, payment_method: str) -> TestPayment:
        """What Stripe.js does in the buyer's browser, done here for an offline fake that has no
        browser-side confirmation: attach a test payment method, then confirm. A declined card is an
        answer (the intent goes back to ``requires_payment_method``), not an error. localstripe
        cannot confirm an intent again after a declined charge: that is a 409 (order again)."""
        try:
            before = await self.client.v1.payment_intents.retrieve_async(intent_id)
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        if before.last_payment_error or before.status not in {"requires_payment_method", "requires_confirmation"}:
            raise NotPayable("this payment was declined or is under way: place the order again")
        try:
            await self.client.v1.payment_intents.update_async(intent_id, {"payment_method": payment_method})
            intent = await self.client.v1.payment_intents.confirm_async(intent_id)
        except stripe.CardError as exc:
            return TestPayment(status="requires_payment_method", decline=exc.user_message or "The card was declined.")
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        error = intent.last_payment_error
        return TestPayment(status=intent.status, decline=error.message if error else None)

    async def aclose(self) -> None:
        await self.http.close_async()


class DisabledGateway:
    """Payments without a secret key: every call is a 503 that says so (free events still work)."""

    def _off(self) -> PaymentProviderError:
        return PaymentProviderError("payments are not configured on this server (no Stripe secret key)")

    async def create_intent(
        self,
        *,
        order_id: UUID,
        amount: int,
        currency: str,
        application_fee: int | None,
        destination_account: str | None,
        idempotency_key: str,
    ) -> CreatedIntent:
        raise self._off()

    async def retrieve_intent(self, intent_id: str) -> IntentState:
        raise self._off()

    async def refund(self, *, intent_id: str, amount: int, idempotency_key: str) -> RefundState:
        raise self._off()

    async def refunds_of(self, intent_id: str) -> list[RefundState]:
        raise self._off()

    async def aclose(self) -> None:
        return None
