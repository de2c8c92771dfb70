"""The Stripe gateway against a running localstripe, and the requests it builds."""

from __future__ import annotations

import uuid

import pytest

from app.payments.errors import PaymentProviderError, PaymentProviderRefused
from app.payments.gateway import DisabledGateway, StripeGateway, intent_params
from tests.fixtures.localstripe import LocalStripe


async def pay(gateway: StripeGateway, intent_id: str, card: str = "pm_card_visa") -> str:
    """What the buyer's browser does with Stripe.js: attach a card and confirm."""
    await gateway.client.v1.payment_intents.update_async(intent_id, {"payment_method": card})
    intent = await gateway.client.v1.payment_intents.confirm_async(intent_id)
    return intent.status


async def test_intent_round_trip(localstripe: LocalStripe) -> None:
    gateway = StripeGateway(localstripe.settings())
    order_id = uuid.uuid4()
    created = await gateway.create_intent(
        order_id=order_id, amount=2500, currency="eur", application_fee=None, destination_account=None,
        idempotency_key=f"order:{order_id}",
    )  # fmt: skip
    assert created.id.startswith("pi_")
    assert created.client_secret.startswith(created.id + "_secret_")
    assert created.status == "requires_payment_method"
    assert await pay(gateway, created.id) == "succeeded"
    state = await gateway.retrieve_intent(created.id)
    assert (state.id, state.status, state.amount, state.currency, state.order_id) == (
        created.id, "succeeded", 2500, "eur", order_id,
    )  # fmt: skip
    refund = await gateway.refund(intent_id=created.id, amount=2500, idempotency_key=f"refund:{order_id}")
    assert refund.id.startswith("re_")
    assert refund.status == "succeeded"
    await gateway.aclose()


async def test_unknown_intent_is_a_refusal(localstripe: LocalStripe) -> None:
    gateway = StripeGateway(localstripe.settings())
    with pytest.raises(PaymentProviderRefused):
        await gateway.retrieve_intent("pi_doesnotexist")


async def test_unreachable_provider_is_unavailable() -> None:
    from tests.fixtures.localstripe import LocalStripe as Peer
    from tests.fixtures.private_servers import free_port

    gateway = StripeGateway(Peer(f"http://127.0.0.1:{free_port()}").settings(request_timeout_s=2))
    with pytest.raises(PaymentProviderError):
        await gateway.retrieve_intent("pi_x")


async def test_disabled_gateway_says_so() -> None:
    with pytest.raises(PaymentProviderError, match="not configured"):
        await DisabledGateway().retrieve_intent("pi_x")


def test_connect_parameters_only_with_a_connected_account() -> None:
    order_id = uuid.uuid4()
    plain = intent_params(order_id=order_id, amount=1000, currency="eur", application_fee=50, destination_account=None)
    assert "transfer_data" not in plain and "application_fee_amount" not in plain
    assert plain["metadata"] == {"order_id": str(order_id)}
    connected = intent_params(
        order_id=order_id, amount=1000, currency="eur", application_fee=50, destination_account="acct_123"
    )
    assert connected["transfer_data"] == {"destination": "acct_123"}
    assert connected["application_fee_amount"] == 50
    no_fee = intent_params(
        order_id=order_id, amount=1000, currency="eur", application_fee=0, destination_account="acct_1"
    )
    assert "application_fee_amount" not in no_fee


async def test_localstripe_refuses_connect_parameters(localstripe: LocalStripe) -> None:
    """Why the parameters above are sent only for connected accounts (and tested as a request)."""
    gateway = StripeGateway(localstripe.settings())
    with pytest.raises(PaymentProviderRefused):
        await gateway.create_intent(
            order_id=uuid.uuid4(), amount=1000, currency="eur", application_fee=50, destination_account="acct_1",
            idempotency_key="k",
        )  # fmt: skip
