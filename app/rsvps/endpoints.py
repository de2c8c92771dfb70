"""RSVPs over HTTP: ``PUT|DELETE /api/v1/events/{id}/rsvp`` and the organizer's attendee list.

HTTP only: bodies and parameters are validated here, the service applies the rules. The unit of
work publishes what the service returned (a ``WaitlistPromoted`` and its queued mail) after commit.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.accounts.auth import SubjectDep, VerifiedSubjectDep
from app.db import Conn, open_unit_of_work
from app.errors import problem_responses
from app.kit.query_params import openapi, query_model
from app.kit.read_connection import ReadConnDep
from app.organizers.auth import Role
from app.profiles.paging import PageRequest, page_request
from app.rsvps import repository, service
from app.rsvps.schemas import Attendee, AttendeePage, AttendeeParams, Rsvp, RsvpIn
from app.ticketing import repository as places
from app.ticketing.auth import event_access
from app.ticketing.context import TicketingContext, TicketingDep
from app.ticketing.errors import EventNotFound
from app.ticketing.service import places_left as places_left_of
from app.ticketing.service import wait_durable

router = APIRouter(prefix="/api/v1/events", tags=["rsvps"])
NO_STORE = {"Cache-Control": "no-store"}
AttendeeQuery = Annotated[AttendeeParams, Depends(query_model(AttendeeParams))]
# The CSV export carries at most this many attendees (far beyond a free event's capacity).
MAX_EXPORT = 50_000

_answers = problem_responses(
    {
        401: "Not signed in, or the session has ended",
        403: "Email not verified",
        404: "No such published event",
        409: "The event sells tickets, or is over",
        422: "Malformed or unknown field",
        503: "Too many answers at once for this event (Retry-After)",
    }
)
_members = problem_responses(
    {
        400: "Bad cursor or limit",
        401: "Not signed in",
        403: "Not a member of the event's organizer",
        404: "No such event (or not yours)",
        422: "Malformed or unknown parameter",
    }
)


@router.get(
    "/{event_id}/rsvp",
    response_model=Rsvp,
    responses=problem_responses({401: "Not signed in", 404: "No such published event", 422: "Malformed id"}),
    summary="The caller's answer to an event, its waitlist position and the places left",
)
async def get_rsvp(event_id: UUID, subject: SubjectDep, db: ReadConnDep, response: Response) -> Rsvp:
    """``status`` is null when the person has not answered (or withdrew)."""
    conn = await db.get()
    event = await places.event_of(conn, event_id)
    if event is None or event["status"] != "published":
        raise EventNotFound(f"event {event_id} not found")
    row = await repository.rsvp_of(conn, event["cell"], event_id, subject.account_id)
    position = None
    if row is not None and row["status"] == "waitlisted" and row["waitlist_seq"] is not None:
        position = await repository.waitlist_position(conn, event["cell"], event_id, row["waitlist_seq"])
    response.headers.update(NO_STORE)
    return Rsvp(
        status=None if row is None else row["status"],
        waitlist_position=position,
        places_left=await places_left_of(conn, event["cell"], event_id),
    )


@router.put(
    "/{event_id}/rsvp", response_model=Rsvp, responses=_answers, summary="Answer an event: going, interested, not going"
)
async def put_rsvp(
    request: Request, event_id: UUID, body: RsvpIn, subject: VerifiedSubjectDep, ctx: TicketingDep, response: Response
) -> Rsvp:
    """``going`` takes a place and issues a ticket, or (no place left) joins the waitlist: the answer
    is then ``waitlisted`` with the position. A going person who changes their answer frees the
    place for the first person waiting."""
    async with open_unit_of_work(request) as work:
        result = await service.answer(work.conn, subject.account_id, event_id, body.status, ctx.settings, ctx.clock)
    return await _answer(request, result, event_id, response)


@router.delete("/{event_id}/rsvp", response_model=Rsvp, responses=_answers, summary="Withdraw one's RSVP")
async def delete_rsvp(
    request: Request, event_id: UUID, subject: VerifiedSubjectDep, ctx: TicketingDep, response: Response
) -> Rsvp:
    async with open_unit_of_work(request) as work:
        result = await service.withdraw(work.conn, subject.account_id, event_id, ctx.settings, ctx.clock)
    return await _answer(request, result, event_id, response)


async def _answer(request: Request, result: service.RsvpResult, event_id: UUID, response: Response) -> Rsvp:
    """The answer, once the change is durable; its mails and promotions are announced after that."""
    async with open_unit_of_work(request) as work:
        await wait_durable(work.conn)
        for event in result.published:
            work.publish(event)
        found = await places.event_of(work.conn, event_id)
        assert found is not None
        places_left = await places_left_of(work.conn, found["cell"], event_id)
        position = result.waitlist_position
        if result.waitlist_seq is not None:
            position = await repository.waitlist_position(work.conn, found["cell"], event_id, result.waitlist_seq)
    response.headers.update(NO_STORE)
    return Rsvp(status=result.status, waitlist_position=position, places_left=places_left)


@router.get(
    "/{event_id}/attendees",
    response_model=AttendeePage,
    responses=_members,
    openapi_extra=openapi(AttendeeParams),
    summary="Everyone of the event (RSVPs and ticket holders), oldest first (members of its organizer); search",
)
async def attendees(
    event_id: UUID,
    params: AttendeeQuery,
    subject: VerifiedSubjectDep,
    db: ReadConnDep,
    ctx: TicketingDep,
    response: Response,
) -> AttendeePage:
    conn = await db.get()
    event = (await event_access(conn, subject, event_id, Role.CHECKER)).event
    paging = _paging(event_id, params, ctx)
    rows = await _rows(conn, event, params, paging.after, paging.limit + 1)
    body = paging.body(rows, "created_at", "entry_id")
    response.headers.update(NO_STORE)
    return AttendeePage(items=[_attendee(r) for r in body["items"]], next_cursor=body["next_cursor"])


@router.get(
    "/{event_id}/attendees.csv",
    responses={**_members, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}},
    openapi_extra=openapi(AttendeeParams),
    response_class=Response,
    summary="Everyone of the event (RSVPs and ticket holders) as CSV (members of its organizer)",
)
async def attendees_csv(
    event_id: UUID, params: AttendeeQuery, subject: VerifiedSubjectDep, db: ReadConnDep
) -> Response:
    conn = await db.get()
    event = (await event_access(conn, subject, event_id, Role.CHECKER)).event
    rows = await _rows(conn, event, params, None, MAX_EXPORT)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["account_id", "email", "display_name", "status", "answered_at", "tier", "tickets", "checked_in"])
    for row in rows:
        writer.writerow(
            [
                row["account_id"],
                _cell(row["email"]),
                _cell(row["display_name"] or ""),
                row["status"],
                row["created_at"].isoformat(),
                _cell(row["tier_name"] or ""),
                row["tickets"],
                row["checked_in"],
            ]
        )
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="attendees-{event_id}.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _cell(value: str) -> str:
    """A value a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def _paging(event_id: UUID, params: AttendeeParams, ctx: TicketingContext) -> PageRequest:
    return page_request(f"attendees:{params.status}:{params.q}", event_id, params.limit, params.cursor, ctx.settings)


async def _rows(
    conn: Conn, event: dict[str, Any], params: AttendeeParams, after: Any, limit: int
) -> list[dict[str, Any]]:
    return await repository.attendees(
        conn, event["cell"], event["id"], status=params.status, search=params.q, after=after, limit=limit
    )


def _attendee(row: dict[str, Any]) -> Attendee:
    return Attendee(
        account_id=row["account_id"],
        email=row["email"],
        display_name=row["display_name"],
        status=row["status"],
        answered_at=row["created_at"],
        tier_name=row["tier_name"],
        tickets=row["tickets"],
        checked_in=row["checked_in"],
    )
