"""Organizers write events: ``/api/v1/events`` (create, edit, publish, unpublish, cancel, delete) and
the organizer's own lists (``/api/v1/organizers/{id}/events``, ``/api/v1/organizers/{id}/audit``).

HTTP only: the body is validated (pydantic, extra fields refused), the permission dependency loads
the event the caller may edit (``app.events.auth``: 404 for another organizer's event), the service
applies the rules (``app.events.service``) and the ``EventChange`` is published on the unit of
work. The unit of work commits and runs the after-commit listeners (the tile caches of the old
and new place) *before* the response leaves: the writer's next read shows the write.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.accounts.auth import VerifiedSubjectDep
from app.audit import service as audit
from app.db import UnitOfWork, UnitOfWorkDep
from app.errors import InvalidParameter, problem_responses
from app.events import service
from app.events.auth import EditableEventDep
from app.events.changes import EventChange
from app.events.local_time import to_local
from app.events.publishing_schemas import (
    AuditList,
    AuditParams,
    EventDraft,
    EventEdit,
    EventList,
    EventOut,
    OrganizerEventsParams,
)
from app.kit.clock import Clock
from app.kit.query_params import openapi, query_model
from app.kit.read_connection import ReadConnDep
from app.organizers.auth import MemberReadAccess, authorize
from app.organizers.roles import Role
from app.rsvps import service as waitlists
from app.series import organizing
from app.series.errors import InvalidRecurrence
from app.series.schemas import SERIES_TRANSITIONS, ScopeParams
from config.settings import SeriesSettings

router = APIRouter(prefix="/api/v1", tags=["publishing"])
# Paths name the event as ``{event_id:uuid}``: only a UUID matches, so ``PATCH /events/nearby`` is a
# 405 for the public ``/events/nearby`` route rather than a write on an event called "nearby".

EventsQuery = Annotated[OrganizerEventsParams, Depends(query_model(OrganizerEventsParams))]
AuditQuery = Annotated[AuditParams, Depends(query_model(AuditParams))]
ScopeQuery = Annotated[ScopeParams, Depends(query_model(ScopeParams))]


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.events_clock
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]

_WRITE = {
    400: "A rule across fields is broken (a price on a free event...), naming the field",
    401: "Not signed in (WWW-Authenticate: Bearer)",
    403: "Email not verified, or a role below editor",
    404: "No such event or venue, or one of an organizer you do not edit (the same answer)",
    422: "Invalid body (unknown fields too), unknown time zone, a local time in a DST gap",
}
_write = problem_responses(_WRITE)
_transition = problem_responses({**_WRITE, 409: "The event's status does not allow this (names the ones that do)"})
# PATCH and DELETE share their path with the public GET /events/{id}: a path that is not an event id
# matches only that route, so the answer is 405 with ``Allow: GET`` (see the note on ``router``).
_NOT_AN_ID = {405: "The path names no event id (Allow lists the methods the path has)"}
_edit = problem_responses({**_WRITE, **_NOT_AN_ID})
_delete = problem_responses({**_WRITE, 409: "The event is not a draft: cancel it instead", **_NOT_AN_ID})
_read = problem_responses(
    {
        401: _WRITE[401],
        403: "Email not verified",
        404: "No such organizer, or not one you belong to (the same answer)",
        422: "Invalid parameter (unknown ones too), or a cursor not from this list",
    }
)


@router.post("/events", status_code=201, response_model=EventOut, responses=_write, summary="Create a draft event")
async def create_event(
    request: Request, body: EventDraft, subject: VerifiedSubjectDep, work: UnitOfWorkDep, clock: ClockDep
) -> dict[str, Any]:
    """A new draft of one of the caller's organizers (editor or owner), from local times in its zone.

    With a ``recurrence``, a draft series: every occurrence up to the horizon is an event (the
    first is answered); an unbounded rule is capped at the horizon, a longer or malformed one is 422.
    """
    await authorize(work.conn, subject, body.organizer_id, Role.EDITOR)
    if body.recurrence is not None:
        row, changes = await organizing.create_series(
            work.conn, subject.account_id, body, settings=_series_settings(request), now=clock()
        )
        _publish(work, changes)
        return event_out(row)
    row, change = await service.draft_event(work.conn, subject.account_id, body, clock())
    work.publish(change)
    return event_out(row)


@router.patch("/events/{event_id:uuid}", response_model=EventOut, responses=_edit, summary="Edit an event",
              openapi_extra=openapi(ScopeParams))  # fmt: skip
async def edit_event(
    request: Request, body: EventEdit, event: EditableEventDep, work: UnitOfWorkDep, clock: ClockDep, params: ScopeQuery
) -> dict[str, Any]:
    """Change details, local times, zone, venue or point; time, place and status changes bump ``sequence``.

    On an occurrence of a series, ``scope`` says which: ``occurrence`` (default), ``following``
    (splits the series) or ``series`` (every occurrence from now on). A raised capacity hands its new
    places to the people on the waitlist first, in the same transaction.
    """
    if event.row["series_id"] is not None:
        row, changes = await organizing.edit(
            work.conn, event.access.account_id, event.row, body, params.scope,
            settings=_series_settings(request), now=clock(),
        )  # fmt: skip
        _publish(work, changes)
        _publish(work, await waitlists.fill_new_places(work.conn, changes, request.app.state.settings, clock))
        return event_out(row)
    _one_off(params, body.recurrence is not None)
    row, change = await service.edit_event(work.conn, event.access.account_id, event.row, body, clock())
    work.publish(change)
    _publish(work, await waitlists.fill_new_places(work.conn, [change], request.app.state.settings, clock))
    return event_out(row)


def _transition_endpoint(transition: service.Transition) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def endpoint(
        request: Request, event: EditableEventDep, work: UnitOfWorkDep, clock: ClockDep, params: ScopeQuery
    ) -> dict[str, Any]:
        if event.row["series_id"] is not None:
            row, changes = await organizing.transition(
                work.conn, event.access.account_id, event.row, transition, params.scope,
                settings=_series_settings(request), now=clock(),
            )  # fmt: skip
            _publish(work, changes)
            return event_out(row)
        _one_off(params, False)
        row, change = await service.change_status(work.conn, event.access.account_id, event.row, transition, clock())
        work.publish(change)
        return event_out(row)

    endpoint.__name__ = f"{transition}_event"
    return endpoint


for _name, _summary, _doc in (
    ("publish", "Publish an event", "Draft or cancelled → published (needs a verified email); on the map at once."),
    ("unpublish", "Unpublish an event", "Published → draft: off the map and out of every list."),
    ("cancel", "Cancel an event", "Published → cancelled: stays listed and on the map, marked cancelled."),
):
    router.add_api_route(
        f"/events/{{event_id:uuid}}/{_name}", _transition_endpoint(_name), methods=["POST"],  # type: ignore[arg-type]
        response_model=EventOut, responses=_transition, summary=_summary, description=_doc + SERIES_TRANSITIONS,
        openapi_extra=openapi(ScopeParams),
    )  # fmt: skip


@router.delete("/events/{event_id:uuid}", status_code=204, responses=_delete, summary="Delete a draft")
async def delete_event(request: Request, event: EditableEventDep, work: UnitOfWorkDep, clock: ClockDep) -> Response:
    """Only a draft may be deleted (409 otherwise: cancel a published event instead).

    An occurrence of a draft series is removed from it (its start joins the series' exdates).
    """
    if event.row["series_id"] is not None:
        changes = await organizing.remove(
            work.conn, event.access.account_id, event.row, settings=_series_settings(request), now=clock()
        )
        _publish(work, changes)
        return Response(status_code=204)
    change: EventChange = await service.delete_draft(work.conn, event.access.account_id, event.row, clock())
    work.publish(change)
    return Response(status_code=204)


def _series_settings(request: Request) -> SeriesSettings:
    settings: SeriesSettings = request.app.state.settings.series
    return settings


def _publish(work: UnitOfWork, events: Sequence[object]) -> None:
    for event in events:
        work.publish(event)


def _one_off(params: ScopeParams, recurrence: bool) -> None:
    """A one-off event takes no ``scope`` and gets no ``recurrence`` (a series is created as one)."""
    if params.scope is not None:
        raise InvalidParameter("scope applies to occurrences of a series only", param="scope")
    if recurrence:
        raise InvalidRecurrence("a one-off event cannot become recurring: create a series", param="recurrence")


@router.get("/organizers/{organizer_id}/events", response_model=EventList, responses=_read,
            summary="An organizer's events (drafts too)", openapi_extra=openapi(OrganizerEventsParams))  # fmt: skip
async def organizer_events(access: MemberReadAccess, params: EventsQuery, db: ReadConnDep) -> dict[str, Any]:
    """Every event of the organizer for its members (any role), by start; exact points."""
    rows, next_cursor = await service.organizer_events(
        await db.get(), access.organizer_id, params.status, params.cursor, params.limit
    )
    return {"items": [event_out(row) for row in rows], "next_cursor": next_cursor}


@router.get("/organizers/{organizer_id}/audit", response_model=AuditList, responses=_read,
            summary="An organizer's audit log", openapi_extra=openapi(AuditParams))  # fmt: skip
async def organizer_audit(access: MemberReadAccess, params: AuditQuery, db: ReadConnDep) -> dict[str, Any]:
    """Who changed what and when, with the object before and after; newest first, for every member."""
    return await audit.page(await db.get(), access.organizer_id, params.cursor, params.entity_id, params.limit)


def event_out(row: dict[str, Any]) -> dict[str, Any]:
    """The row as its organizer's members read it (``EventOut``): the exact point, local times too."""
    return {
        **{name: row[name] for name in EventOut.model_fields if name in row},
        "lat": row["exact_lat"],
        "lon": row["exact_lon"],
        "local_starts_at": to_local(row["starts_at"], row["timezone"]),
        "local_ends_at": to_local(row["ends_at"], row["timezone"]),
    }
