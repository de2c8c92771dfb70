"""The venues and geocoding API under ``/api/v1``: HTTP only.

Who may call what is declared by dependencies (``app.organizers.auth``, ``app.venues.auth``); bodies
and query strings are validated with unknown fields refused; the service applies the rules.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.accounts.auth import VerifiedSubjectDep
from app.db import UnitOfWorkDep
from app.errors import InvalidParameter, problem_responses
from app.events.schemas import Point
from app.kit.cursor import CursorSigner, InvalidCursor
from app.kit.query_params import openapi, query_model
from app.kit.ratelimit import ip_subject
from app.kit.read_connection import ReadConnDep
from app.organizers.auth import MemberReadAccess, Role, authorize
from app.venues import repository, service
from app.venues.auth import EditableVenue, ReadableVenue
from app.venues.context import VenuesDep
from app.venues.schemas import (
    GeocodeParams,
    Place,
    Places,
    ReverseParams,
    Venue,
    VenueCreate,
    VenuePage,
    VenuePageParams,
    VenuePatch,
)
from geo.geocoding import FoundPlace

router = APIRouter(prefix="/api/v1", tags=["venues"])
geocode_router = APIRouter(prefix="/api/v1/geocode", tags=["geocoding"])

PageQuery = Annotated[VenuePageParams, Depends(query_model(VenuePageParams))]
GeocodeQuery = Annotated[GeocodeParams, Depends(query_model(GeocodeParams))]
ReverseQuery = Annotated[ReverseParams, Depends(query_model(ReverseParams))]
NO_STORE = {"Cache-Control": "no-store"}

_signed_in = problem_responses({
    401: "Not signed in (WWW-Authenticate: Bearer)",
    403: "Email not verified, or a role too low for this",
    422: "Invalid parameter or body, unknown fields included (naming it)",
})
_scoped = {**_signed_in, **problem_responses({
    400: "Malformed query string or cursor (a parameter given twice, not UTF-8, a cursor made for another list)",
    404: "No such venue or organizer, or not one you belong to",
})}
_same_venue = problem_responses({
    409: "A venue of this organizer with the same name stands within 50 m: the body's `existing` "
    "(`id`, `name`, `distance_m`) names it, to offer instead of a duplicate",
    503: "Another write holds the organizer's venues (Retry-After)",
})
_geocoded = problem_responses({
    400: "Malformed query string (a parameter given twice, or not UTF-8)",
    429: "Too many lookups from this client (Retry-After)",
    503: "The geocoding provider did not answer (Retry-After)",
})


@router.post(
    "/venues", status_code=201, response_model=Venue, summary="Create a venue (by pin and/or address)",
    responses={**_scoped, **_same_venue, **problem_responses({
        422: "Invalid body, or an address that could not be placed (address-not-found)",
        503: "Another write holds the organizer's venues, or the geocoder did not answer (Retry-After)",
    })},
)  # fmt: skip
async def create_venue(
    body: VenueCreate, subject: VerifiedSubjectDep, work: UnitOfWorkDep, ctx: VenuesDep, response: Response
) -> dict[str, Any]:
    """Editors and owners of ``organizer_id`` create venues. Without ``location`` the ``address`` is
    geocoded (its best answer); without ``timezone`` the zone comes from the point. The same name
    (ignoring case, spacing, punctuation and accents) within 50 m of another of the organizer's
    venues is that venue: 409 names it, and nothing is written."""
    await authorize(work.conn, subject, body.organizer_id, Role.EDITOR)
    written = await service.create_venue(work.conn, body, subject, ctx.geocoder, ctx.settings, ctx.clock())
    response.headers.update(NO_STORE)
    response.headers["Location"] = f"/api/v1/venues/{written.venue['id']}"
    return service.venue_answer(written.venue)


@router.get("/venues/{venue_id}", response_model=Venue, responses=_scoped, summary="One venue")
async def get_venue(venue: ReadableVenue, response: Response) -> dict[str, Any]:
    """Any member of the venue's organizer reads it."""
    response.headers.update(NO_STORE)
    return service.venue_answer(venue.venue)


@router.patch(
    "/venues/{venue_id}", response_model=Venue, responses={**_scoped, **_same_venue},
    summary="Edit a venue (a new location moves its events)",
)
async def patch_venue(
    body: VenuePatch, venue: EditableVenue, subject: VerifiedSubjectDep, work: UnitOfWorkDep, ctx: VenuesDep,
    response: Response,
) -> dict[str, Any]:
    """Fields left out stay as they are. A rename shows on its events at once; a new ``location``
    moves the events standing at the venue's point with it (``moved_events`` counts them), and
    takes the new point's time zone unless ``timezone`` is given."""
    written = await service.update_venue(work.conn, venue.venue, body, subject, ctx.settings, ctx.clock())
    for change in written.changes:
        work.publish(change)
    response.headers.update(NO_STORE)
    return service.venue_answer(written.venue)


@router.get(
    "/organizers/{organizer_id}/venues", response_model=VenuePage, responses=_scoped,
    summary="The organizer's venues, by name", openapi_extra=openapi(VenuePageParams),
)
async def list_venues(
    access: MemberReadAccess, page: PageQuery, db: ReadConnDep, ctx: VenuesDep, request: Request, response: Response
) -> dict[str, Any]:
    """Any member reads the list, in name order, ``limit`` at a time (pass ``next_cursor`` on)."""
    limit = page.limit or ctx.settings.default_page_size
    if limit > ctx.settings.max_page_size:
        raise InvalidParameter(f"limit must be between 1 and {ctx.settings.max_page_size}", param="limit")
    signer = CursorSigner(request.app.state.settings.discovery.cursor_secret)
    scope = b"venues:" + access.organizer_id.bytes
    after = _position(signer, page.cursor, scope)
    rows = await repository.organizer_venues(await db.get(), access.organizer_id, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = signer.encode([rows[-1]["name"], str(rows[-1]["id"])], scope) if more else None
    response.headers.update(NO_STORE)
    return {"items": [service.venue_answer(row) for row in rows], "next_cursor": cursor}


def _position(signer: CursorSigner, cursor: str | None, scope: bytes) -> tuple[str, UUID] | None:
    if cursor is None:
        return None
    try:
        name, venue_id = signer.decode(cursor, scope)
        return str(name), UUID(str(venue_id))
    except (InvalidCursor, ValueError, TypeError) as exc:
        raise InvalidParameter(str(exc) or "the cursor is malformed", param="cursor") from exc


# ------------------------------------------------------------------------------------------ geocoding


async def _limited(request: Request, ctx: VenuesDep) -> None:
    """One lookup counted against the client address's limit (429 over it)."""
    await ctx.limiter.hit((ctx.geocode_limit, ip_subject(request.client.host if request.client else None)))


@geocode_router.get(
    "", response_model=Places, responses={**_geocoded, **problem_responses({422: "Invalid or unknown parameter"})},
    summary="Places matching an address or a name", openapi_extra=openapi(GeocodeParams),
    dependencies=[Depends(_limited)],
)
async def geocode(params: GeocodeQuery, ctx: VenuesDep) -> dict[str, Any]:
    """Best first. Offline (no provider configured) the answers are towns, most populous first."""
    limit = min(params.limit or ctx.geocoding.max_results, ctx.geocoding.max_results)
    found = await ctx.geocoder.forward(params.q, limit)
    return {"provider": ctx.geocoder.name, "items": [_place(p) for p in found[:limit]]}


@geocode_router.get(
    "/reverse", response_model=Places,
    responses={**_geocoded, **problem_responses({422: "Invalid or unknown parameter"})},
    summary="The place at a point", openapi_extra=openapi(ReverseParams), dependencies=[Depends(_limited)],
)
async def reverse_geocode(params: ReverseQuery, ctx: VenuesDep) -> dict[str, Any]:
    """At most one place: the address at the point, or offline the nearest town (none far out at sea)."""
    found = await ctx.geocoder.reverse(params.lat, params.lon)
    return {"provider": ctx.geocoder.name, "items": [_place(p) for p in found[:1]]}


def _place(found: FoundPlace) -> Place:
    return Place(
        label=found.label, name=found.name, location=Point(lat=found.lat, lon=found.lon),
        country_code=found.country_code, timezone=found.timezone, population=found.population,
    )
