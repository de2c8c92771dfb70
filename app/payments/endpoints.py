"""HTTP for payments: the Stripe webhook, an attendee's refund, an organizer's Connect onboarding."""

from __future__ import annotations

import logging
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Path, Request, status

from app.accounts.auth import SubjectDep
from app.db import UnitOfWorkDep, open_unit_of_work
from app.errors import problem_responses
from app.kit.public_url import public_base_url
from app.organizers.auth import OwnerAccess
from app.payments import connect, repository, service, webhooks
from app.payments.context import PaymentsDep
from app.payments.errors import PaymentProviderError, TestCardsOff, WebhookNotConfigured
from app.payments.gateway import StripeGateway
from app.payments.schemas import (
    ConnectLink,
    PaymentsConfig,
    RefundAnswer,
    TestPaymentAnswer,
    TestPaymentIn,
    WebhookAnswer,
)

log = logging.getLogger("happenings.payments")
router = APIRouter(prefix="/api/v1", tags=["payments"])


@router.post(
    "/payments/stripe/webhook",
    response_model=WebhookAnswer,
    responses=problem_responses(
        {
            400: "The signature, the timestamp or the body does not check out; nothing was written",
            404: "No webhook secret is configured here",
            503: "Stripe could not be asked about the payment; Stripe delivers the event again",
        }
    ),
    summary="Stripe's webhook (signed; payment_intent.* events)",
)
async def stripe_webhook(
    request: Request,
    payments: PaymentsDep,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature", max_length=2000)] = None,
) -> WebhookAnswer:
    secret = payments.settings.webhook_secret
    if secret is None or not secret.get_secret_value():
        raise WebhookNotConfigured("no webhook is configured here")
    payload = await request.body()  # the raw bytes: the signature covers them exactly
    event = webhooks.verify(
        payload, stripe_signature, secret.get_secret_value(), payments.settings.webhook_tolerance_s, payments.clock()
    )
    result = await service.handle_webhook(payments.open_work, payments.gateway, event, payments.clock)
    if result.refund_owed and result.order_id is not None:
        await _refund_soon(payments, result.order_id)
    return WebhookAnswer(outcome=result.outcome)


async def _refund_soon(payments: PaymentsDep, order_id: UUID) -> None:
    """Make an owed refund now, after the commit; if the provider is away, the worker's job will."""
    try:
        await service.execute_refunds(payments.open_work, payments.gateway, payments.clock, 1, order_id)
    except PaymentProviderError:
        log.warning("refund left to the worker", extra={"order_id": str(order_id)})


@router.get("/payments/config", response_model=PaymentsConfig, summary="What the buy page needs to take a payment")
async def payments_config(payments: PaymentsDep) -> PaymentsConfig:
    """Stripe Elements with the publishable key when payments go to Stripe; the test-card form when
    they go to the offline fake (localstripe); off without a secret key."""
    own = payments.settings
    if own.test_cards:
        return PaymentsConfig(mode="test-cards", publishable_key=None)
    if own.enabled and own.publishable_key:
        return PaymentsConfig(mode="elements", publishable_key=own.publishable_key)
    return PaymentsConfig(mode="off", publishable_key=None)


@router.post(
    "/orders/{order_id}/test-payment",
    response_model=TestPaymentAnswer,
    responses=problem_responses(
        {
            401: "Not signed in",
            404: "No such order of yours, or payments here go to Stripe itself (cards go through Stripe.js)",
            409: "The order is not awaiting payment",
            422: "Not one of the test payment methods",
            503: "The payment provider did not answer",
        }
    ),
    summary="Pay an order with a Stripe test card (only against the offline fake of Stripe)",
)
async def test_payment(
    order_id: Annotated[UUID, Path()],
    body: TestPaymentIn,
    subject: SubjectDep,
    payments: PaymentsDep,
    work: UnitOfWorkDep,
) -> TestPaymentAnswer:
    """What Stripe.js does in a browser, for localstripe (which confirms only with the secret key).
    The order is settled as always: by the webhook, or by the reconciliation job."""
    if not payments.settings.test_cards or not isinstance(payments.gateway, StripeGateway):
        raise TestCardsOff("no test payments here")
    intent_id = await service.test_payment_intent(work.conn, order_id, subject.account_id)
    result = await payments.gateway.pay_with_test_card(intent_id, body.payment_method)
    return TestPaymentAnswer(status=result.status, decline=result.decline)


@router.post(
    "/orders/{order_id}/refund",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RefundAnswer,
    responses=problem_responses(
        {
            401: "Not signed in",
            404: "No such order of yours",
            409: "Not paid, free, or the organizer's refund window has closed",
        }
    ),
    summary="Ask for an order's refund (within the organizer's refund policy)",
)
async def refund_order(
    request: Request, order_id: Annotated[UUID, Path()], subject: SubjectDep, payments: PaymentsDep
) -> RefundAnswer:
    async with open_unit_of_work(request) as work:
        order, refunded = await service.request_attendee_refund(
            work.conn, order_id, subject.account_id, payments.settings, payments.clock
        )
        if refunded is not None:
            work.publish(refunded)
    if order["status"] == "refund_pending":
        await _refund_soon(payments, order_id)
        async with open_unit_of_work(request) as work:
            order = await service.order_now(work.conn, order_id) or order
    return RefundAnswer(
        id=order["id"], status=order["status"], amount=order["amount"], currency=order["currency"],
        updated_at=order["updated_at"],
    )  # fmt: skip


@router.post(
    "/organizers/{organizer_id}/payments/connect",
    response_model=ConnectLink,
    responses=problem_responses(
        {
            401: "Not signed in",
            403: "Only the organizer's owners connect a payout account",
            404: "No such organizer of yours",
            503: "Stripe Connect is not available here (no keys, or localstripe)",
        }
    ),
    summary="Connect the organizer's Stripe account (Connect onboarding link)",
)
async def connect_account(
    request: Request, access: OwnerAccess, payments: PaymentsDep, work: UnitOfWorkDep
) -> ConnectLink:
    existing = await repository.payment_account(work.conn, access.organizer_id)
    account_id = existing["stripe_account_id"] if existing else None
    if account_id is None:
        account_id = await connect.create_account(payments.gateway, payments.settings, str(access.organizer_id))
        await repository.save_connected_account(work.conn, access.organizer_id, account_id, payments.clock())
    fallback = f"{public_base_url(request)}/#/organizers/{access.organizer_id}"
    link = await connect.onboarding_link(payments.gateway, payments.settings, account_id, fallback)
    return ConnectLink(account_id=link.account_id, url=link.url, expires_at=link.expires_at)
