"""Tiers, orders, tickets and check-ins over HTTP (``/api/v1``).

HTTP only: bodies and parameters are validated here (unknown fields are a 422 and nothing is
written), the service applies the rules. ``POST /orders`` runs in two transactions around the
payment provider's call, so no lock is held while the provider answers (``app.ticketing.service``).
Answers about a person's orders and tickets are never cached (``no-store``).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from starlette.responses import Response

from app.accounts.auth import SubjectDep, VerifiedSubjectDep
from app.db import Conn, UnitOfWorkDep, open_unit_of_work
from app.errors import problem_responses
from app.kit.query_params import openapi, query_model
from app.kit.read_connection import ReadConnDep
from app.organizers.auth import Role
from app.payments.context import PaymentsContext
from app.payments.service import charge_terms
from app.profiles.paging import page_request
from app.profiles.schemas import PageParams
from app.ticketing import checkins, repository, sales, service
from app.ticketing.auth import event_access, tier_access
from app.ticketing.context import TicketingContext, TicketingDep
from app.ticketing.errors import EventNotFound
from app.ticketing.schemas import (
    IDEMPOTENCY_KEY,
    Checkin,
    CheckinIn,
    CheckinList,
    CheckinListParams,
    MyTicket,
    MyTicketPage,
    Order,
    OrderIn,
    Sales,
    SalesParams,
    Tier,
    TierFields,
    TierList,
    TierPatch,
)
from app.ticketing.signing import qr_svg_data_uri

router = APIRouter(prefix="/api/v1", tags=["ticketing"])
NO_STORE = {"Cache-Control": "no-store"}
PageQuery = Annotated[PageParams, Depends(query_model(PageParams))]
ListQuery = Annotated[CheckinListParams, Depends(query_model(CheckinListParams))]
SalesQuery = Annotated[SalesParams, Depends(query_model(SalesParams))]

_auth = {401: "Not signed in, or the session has ended", 422: "Malformed or unknown field"}
_event = {**_auth, 403: "Your role in the event's organizer does not allow this", 404: "No such event (or not yours)"}


# --- tiers --------------------------------------------------------------------------------------


@router.get(
    "/events/{event_id}/tiers",
    response_model=TierList,
    responses=problem_responses({404: "No such published event"}),
    summary="The ticket tiers of an event, cheapest first",
)
async def list_tiers(event_id: UUID, db: ReadConnDep, ctx: TicketingDep) -> TierList:
    conn = await db.get()
    event = await repository.event_of(conn, event_id)
    if event is None or event["status"] != "published":
        raise EventNotFound(f"event {event_id} not found")
    tiers = await repository.tiers_of_event(conn, event["cell"], event_id, ctx.settings.ticketing.max_tiers_per_event)
    return TierList(items=[_tier(t, await _event_left(conn, event)) for t in tiers])


@router.post(
    "/events/{event_id}/tiers",
    status_code=201,
    response_model=Tier,
    responses=problem_responses({**_event, 409: "The event has the most tiers it may have"}),
    summary="Add a ticket tier (editors of the event's organizer)",
)
async def create_tier(
    event_id: UUID, body: TierFields, subject: VerifiedSubjectDep, work: UnitOfWorkDep, ctx: TicketingDep
) -> Tier:
    access = await event_access(work.conn, subject, event_id, Role.EDITOR)
    tier = await service.create_tier(work.conn, access.event, body.model_dump(), ctx.settings.ticketing, ctx.clock)
    return _tier(tier, await _event_left(work.conn, access.event))


@router.patch(
    "/tiers/{tier_id}",
    response_model=Tier,
    responses=problem_responses({**_event, 404: "No such tier (or not yours)", 409: "Quota below places taken"}),
    summary="Change a ticket tier (editors of the event's organizer)",
)
async def patch_tier(
    tier_id: UUID, body: TierPatch, subject: VerifiedSubjectDep, work: UnitOfWorkDep, ctx: TicketingDep
) -> Tier:
    tier = await tier_access(work.conn, subject, tier_id, Role.EDITOR)
    changes = body.model_dump(exclude_unset=True)
    updated = (
        await service.update_tier(work.conn, tier, changes, ctx.settings.ticketing, ctx.clock) if changes else tier
    )
    event = await repository.event_of(work.conn, tier["event_id"])
    assert event is not None
    return _tier(updated, await _event_left(work.conn, event))


def _tier(row: dict[str, Any], event_left: int | None) -> Tier:
    left = None if row["quota"] is None else row["quota"] - row["sold"] - row["held"]
    if event_left is not None:
        left = event_left if left is None else min(left, event_left)
    return Tier(
        id=row["id"],
        event_id=row["event_id"],
        name=row["name"],
        price=row["price"],
        currency=row["currency"],
        quota=row["quota"],
        sales_start=row["sales_start"],
        sales_end=row["sales_end"],
        max_per_order=row["max_per_order"],
        places_left=left,
        sold_out=left == 0,
    )


async def _event_left(conn: Conn, event: dict[str, Any]) -> int | None:
    return await service.places_left(conn, event["cell"], event["id"])


@router.get(
    "/events/{event_id}/sales",
    response_model=Sales,
    responses=problem_responses({**_event, 400: "A parameter given twice"}),
    openapi_extra=openapi(SalesParams),
    summary="Sales per tier and tickets over time, by hour or day of the event's time zone (editors)",
)
async def event_sales(
    event_id: UUID,
    params: SalesQuery,
    subject: VerifiedSubjectDep,
    db: ReadConnDep,
    ctx: TicketingDep,
    response: Response,
) -> Sales:
    """Takings and refunds are for those who run the event: editors and owners (checkers at the door
    see the attendee list, not the money)."""
    conn = await db.get()
    access = await event_access(conn, subject, event_id, Role.EDITOR)
    body = await sales.summary(conn, access.event, params.bucket, ctx.settings.ticketing)
    response.headers.update(NO_STORE)
    return Sales.model_validate(body)


# --- orders -------------------------------------------------------------------------------------


@router.post(
    "/orders",
    status_code=201,
    response_model=Order,
    responses=problem_responses(
        {
            **_auth,
            403: "Email not verified",
            404: "No such event or tier",
            409: "Sold out, or not on sale",
            422: "Malformed body, or an Idempotency-Key sent before with another body",
            503: "The places are busy (Retry-After), or the payment provider did not answer",
        }
    ),
    summary="Order tickets: hold the places and start the payment",
)
async def create_order(
    request: Request,
    body: OrderIn,
    subject: VerifiedSubjectDep,
    ctx: TicketingDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY)] = None,
) -> Order:
    """Holds the places for ``TicketingSettings.hold_minutes`` and answers the PaymentIntent's client
    secret (``payment.client_secret``) for Stripe Elements or a mobile SDK; a free order is paid at
    once and carries its tickets. The same ``Idempotency-Key`` with the same body answers the same
    order; with another body, a 422."""
    items = [service.LineItem(i.tier_id, i.quantity) for i in body.items]
    async with open_unit_of_work(request) as work:  # transaction 1: the hold (committed without a flush)
        placed = await service.place_order(
            work.conn,
            account_id=subject.account_id,
            event_id=body.event_id,
            items=items,
            idempotency_key=idempotency_key,
            settings=ctx.settings.ticketing,
            clock=ctx.clock,
        )
    response.headers.update(NO_STORE)
    payments: PaymentsContext = request.app.state.payments
    async with open_unit_of_work(request) as work:
        await service.wait_durable(work.conn)  # the hold is on disk before anyone acts on it
        if not placed.needs_intent:
            return await _order(work.conn, placed.order, ctx)
        event = await repository.event_of(work.conn, body.event_id)
        assert event is not None
        amount = placed.order["amount"]
        fee, destination = await charge_terms(work.conn, event["organizer_id"], amount, payments.platform_fee(amount))
    intent = await payments.gateway.create_intent(  # no transaction, no lock; a failure is a 503 or a 502
        order_id=placed.order["id"],
        amount=amount,
        currency=placed.order["currency"].lower(),
        application_fee=fee,
        destination_account=destination,
        idempotency_key=f"order-{placed.order['id']}",
    )
    async with open_unit_of_work(request) as work:  # transaction 2: the intent
        order = await service.attach_intent(work.conn, placed.order["cell"], placed.order["id"], intent, fee, ctx.clock)
        return await _order(work.conn, order, ctx)


@router.get(
    "/orders/{order_id}",
    response_model=Order,
    responses=problem_responses({**_auth, 404: "No such order (or not yours)"}),
    summary="One of the caller's orders",
)
async def get_order(
    order_id: UUID, subject: SubjectDep, work: UnitOfWorkDep, ctx: TicketingDep, response: Response
) -> Order:
    """A hold that has ended is released on this read (the sweeper would release it too)."""
    order = await service.order_for(work.conn, order_id, subject.account_id, ctx.settings.ticketing, ctx.clock)
    response.headers.update(NO_STORE)
    return await _order(work.conn, order, ctx)


@router.post(
    "/orders/{order_id}/cancel",
    response_model=Order,
    responses=problem_responses({**_auth, 404: "No such order (or not yours)", 409: "Not awaiting payment"}),
    summary="Give up an unpaid order (its places are freed at once)",
)
async def cancel_order(
    order_id: UUID, subject: SubjectDep, work: UnitOfWorkDep, ctx: TicketingDep, response: Response
) -> Order:
    order = await service.cancel_order(work.conn, order_id, subject.account_id, ctx.settings.ticketing, ctx.clock)
    response.headers.update(NO_STORE)
    return await _order(work.conn, order, ctx)


async def _order(conn: Conn, order: dict[str, Any], ctx: TicketingContext) -> Order:
    items = await repository.items_of(conn, order["cell"], order["id"])
    tickets = await repository.tickets_of_order(conn, order["cell"], order["id"])
    open_payment = order["status"] == "awaiting_payment"
    return Order.model_validate(
        {
            **order,
            "items": [
                {"tier_id": i["tier_id"], "name": i["name"], "quantity": i["quantity"], "unit_price": i["unit_price"]}
                for i in items
            ],
            "payment": {
                "provider": order["payment_provider"],
                "client_secret": order["client_secret"] if open_payment else None,
            },
            "tickets": [
                {"id": t["id"], "code": ctx.signer.code(t["id"], t["event_id"])}
                for t in tickets
                if t["status"] == "valid"
            ],
        }
    )


# --- tickets and check-in -----------------------------------------------------------------------


@router.get(
    "/me/tickets",
    response_model=MyTicketPage,
    responses=problem_responses({**_auth, 400: "Bad cursor or limit"}),
    openapi_extra=openapi(PageParams),
    summary="The caller's valid tickets (paid and RSVP), newest first, with their QR codes",
)
async def my_tickets(
    request: Request, page: PageQuery, subject: SubjectDep, db: ReadConnDep, ctx: TicketingDep, response: Response
) -> MyTicketPage:
    paging = page_request("tickets", subject.account_id, page.limit, page.cursor, ctx.settings)
    rows = await repository.tickets_of_account(await db.get(), subject.account_id, paging.after, paging.limit + 1)
    body = paging.body(rows, "issued_at", "id")
    response.headers.update(NO_STORE)
    return MyTicketPage(items=[_my_ticket(row, ctx) for row in body["items"]], next_cursor=body["next_cursor"])


def _my_ticket(row: dict[str, Any], ctx: TicketingContext) -> MyTicket:
    code = ctx.signer.code(row["id"], row["event_id"])
    return MyTicket(
        id=row["id"],
        event_id=row["event_id"],
        event_title=row["title"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        timezone=row["timezone"],
        tier_name=row["tier_name"],
        order_id=row["order_id"],
        issued_at=row["issued_at"],
        code=code,
        qr_svg=qr_svg_data_uri(code),
        checked_in_at=row["checked_in_at"],
        door=row["door"],
    )


@router.get(
    "/events/{event_id}/checkin-list",
    response_model=CheckinList,
    responses=problem_responses({**_event, 400: "Bad cursor"}),
    openapi_extra=openapi(CheckinListParams),
    summary="The event's valid tickets, signed, for scanners that check tickets offline (checkers)",
)
async def checkin_list(
    event_id: UUID,
    params: ListQuery,
    subject: VerifiedSubjectDep,
    db: ReadConnDep,
    ctx: TicketingDep,
    response: Response,
) -> CheckinList:
    conn = await db.get()
    access = await event_access(conn, subject, event_id, Role.CHECKER)
    document = await checkins.signed_list(conn, access.event, params.limit, params.cursor, ctx)
    response.headers.update(NO_STORE)
    return CheckinList.model_validate(document)


@router.post(
    "/checkins",
    status_code=201,
    response_model=Checkin,
    responses=problem_responses(
        {
            **_auth,
            403: "Not a checker of the ticket's organizer",
            404: "No such ticket (or not yours to check)",
            409: "Already used (the answer says when and at which door), cancelled, or for another event",
            422: "Malformed body, a code whose signature does not check, or a scan time out of range",
        }
    ),
    summary="Admit a ticket at a door (checkers); a ticket is admitted once",
)
async def check_in(body: CheckinIn, subject: VerifiedSubjectDep, work: UnitOfWorkDep, ctx: TicketingDep) -> Checkin:
    row = await checkins.admit(work.conn, subject, body.code, body.door, body.event_id, ctx, scanned_at=body.scanned_at)
    return Checkin.model_validate(row)
