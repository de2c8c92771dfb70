"""Public discovery API: ``/api/v1/events`` (area), ``/events/nearby``, ``/events/{id}``.

HTTP only: the query string is validated (pydantic, then ``criteria``, then the cursor)
before a connection is taken from the pool; the service finds the rows; this module wraps
the bytes as JSON or GeoJSON and answers conditional requests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.accounts.auth import OptionalSubjectDep
from app.errors import InvalidParameter, problem_responses
from app.events import discovery
from app.events.criteria import Criteria, list_criteria, nearby_criteria
from app.events.discovery_schemas import AREA_RULES, EventDetail, EventPage, ListParams, NearbyParams, PageParams
from app.events.paging import Position, decode_cursor, first_page
from app.kit.cursor import CursorSigner
from app.kit.etag import cacheable_response
from app.kit.query_params import openapi, query_model
from app.kit.read_connection import ReadConnDep
from config.settings import DiscoverySettings

JSON = "application/json"
GEOJSON = "application/geo+json"
LIST_CACHE_CONTROL = "public, max-age=30"
DETAIL_CACHE_CONTROL = "public, max-age=30"
PERSONAL_CACHE_CONTROL = "private, no-store"

router = APIRouter(prefix="/api/v1/events", tags=["events"])

ListQuery = Annotated[ListParams, Depends(query_model(ListParams))]
NearbyQuery = Annotated[NearbyParams, Depends(query_model(NearbyParams))]

_problems = problem_responses(
    {
        400: "A parameter breaks a rule that spans parameters, or the cursor is not for this query (names it)",
        422: "A parameter is malformed, out of range or unknown (names it)",
    }
)
_list_responses: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {GEOJSON: {"schema": {"type": "object", "description": "RFC 7946 FeatureCollection"}}},
        # An OpenAPI link: where a listed event's id leads (clients and schemathesis' stateful runs follow it).
        "links": {
            "GetEvent": {
                "operationId": "get_event",
                "parameters": {"event_id": "$response.body#/items/0/id"},
                "description": "The first listed event in full (as JSON; in GeoJSON the id is under properties).",
            }
        },
    },
    304: {"description": "Not modified (If-None-Match)"},
    **_problems,
}


@router.get(
    "",
    response_model=EventPage,
    responses=_list_responses,
    summary="Events in an area",
    description=f"Events in a bbox or a circle, filtered and sorted; keyset-paged with `cursor`. {AREA_RULES}",
    openapi_extra=openapi(ListParams),
)
async def list_events(request: Request, params: ListQuery, db: ReadConnDep) -> Response:
    """Events in a bbox or a circle, filtered and sorted; keyset-paged with ``cursor``."""
    settings = _settings(request)
    criteria = list_criteria(params, settings)
    return await _page(request, criteria, params, settings, db)


@router.get(
    "/nearby",
    response_model=EventPage,
    responses=_list_responses,
    summary="Events nearest first",
    openapi_extra=openapi(NearbyParams),
)
async def nearby_events(request: Request, params: NearbyQuery, db: ReadConnDep) -> Response:
    """Events within ``radius_m`` of (``lat``, ``lon``), nearest first, each with ``distance_m``."""
    settings = _settings(request)
    criteria = nearby_criteria(params, settings)
    return await _page(request, criteria, params, settings, db)


@router.get(
    "/{event_id}",
    response_model=EventDetail,
    responses={
        304: {"description": "Not modified"},
        **problem_responses(
            {
                401: "An Authorization header that is malformed or no longer valid (none is needed)",
                404: "Unknown or not public",
                422: "Not an event id",
            }
        ),
    },
    summary="One event",
    operation_id="get_event",
)
async def get_event(request: Request, event_id: UUID, db: ReadConnDep, reader: OptionalSubjectDep) -> Response:
    """An event shown approximately comes with its exact point and venue only to those who may see them
    (its organizer's members; later, people with a ticket or an RSVP), in an answer no cache shares."""
    body, personal = await discovery.get_event(db, event_id, None if reader is None else reader.account_id)
    if reader is not None:  # a signal for recommendations, written later in a batch: never on this path
        recommendations = request.app.state.recommendations
        recommendations.views.note(reader.account_id, event_id, recommendations.clock())
    return cacheable_response(
        body,
        media_type=JSON,
        if_none_match=request.headers.get("if-none-match"),
        cache_control=PERSONAL_CACHE_CONTROL if personal else DETAIL_CACHE_CONTROL,
    )


async def _page(
    request: Request, criteria: Criteria, params: PageParams, settings: DiscoverySettings, db: ReadConnDep
) -> Response:
    limit = _limit(params.limit, settings)
    signer = _signer(settings.cursor_secret)
    now = datetime.now(UTC)
    position: Position = decode_cursor(signer, criteria, params.cursor, now) if params.cursor else first_page(now)
    geojson = wants_geojson(request.headers.get("accept"))
    page = await discovery.find_events(db, criteria, position, limit, signer, geojson=geojson)
    items = ",".join(page.items).encode()
    cursor = orjson.dumps(page.next_cursor)
    if geojson:
        body = b'{"type":"FeatureCollection","features":[' + items + b'],"next_cursor":' + cursor + b"}"
    else:
        body = b'{"items":[' + items + b'],"next_cursor":' + cursor + b"}"
    return cacheable_response(
        body,
        media_type=GEOJSON if geojson else JSON,
        if_none_match=request.headers.get("if-none-match"),
        cache_control=LIST_CACHE_CONTROL,
        vary="Accept",
    )


def wants_geojson(accept: str | None) -> bool:
    """True when the client prefers ``application/geo+json`` (by q-value) over plain JSON."""
    if not accept or "geo+json" not in accept:
        return False
    quality = {GEOJSON: -1.0, JSON: -1.0}
    for media_range in accept.split(","):
        media, *options = (part.strip() for part in media_range.split(";"))
        if media.lower() in quality:
            q = next((opt[2:] for opt in options if opt.lower().startswith("q=")), "1")
            try:
                quality[media.lower()] = float(q)
            except ValueError:
                continue
    return quality[GEOJSON] > 0 and quality[GEOJSON] >= quality[JSON]


def _limit(limit: int | None, settings: DiscoverySettings) -> int:
    if limit is None:
        return settings.default_limit
    if not 1 <= limit <= settings.max_limit:
        raise InvalidParameter(f"limit must be between 1 and {settings.max_limit}", param="limit")
    return limit


def _settings(request: Request) -> DiscoverySettings:
    settings: DiscoverySettings = request.app.state.settings.discovery
    return settings


@lru_cache(maxsize=4)
def _signer(secret: str) -> CursorSigner:
    return CursorSigner(secret)
