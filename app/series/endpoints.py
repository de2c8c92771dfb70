"""``GET /api/v1/events/{event_id}/occurrences``: the occurrences of the event's series, paged.

HTTP only. Anyone reads the public occurrences (published or cancelled) of a public occurrence's
series; members of the organizer (and admins) read drafts too. A draft or unknown event, or one
that is no occurrence of a series, answers 404 alike.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from app.accounts.auth import OptionalSubjectDep
from app.errors import problem_responses
from app.kit.query_params import openapi, query_model
from app.kit.read_connection import ReadConnDep
from app.series import reading
from app.series.schemas import OccurrencePage, OccurrenceParams
from config.settings import SeriesSettings

router = APIRouter(prefix="/api/v1/events", tags=["events"])

OccurrenceQuery = Annotated[OccurrenceParams, Depends(query_model(OccurrenceParams))]


@router.get(
    "/{event_id}/occurrences",
    response_model=OccurrencePage,
    responses=problem_responses(
        {
            400: "A parameter given twice or not UTF-8, or a cursor this list did not give (names it)",
            401: "An Authorization header that is not a valid bearer token (none is needed)",
            404: "Unknown, not public, or not an occurrence of a series (the same answer)",
            422: "Not an event id, or an invalid parameter (unknown ones too)",
        }
    ),
    summary="The occurrences of an event's series",
    openapi_extra=openapi(OccurrenceParams),
)
async def list_occurrences(
    request: Request, event_id: UUID, params: OccurrenceQuery, subject: OptionalSubjectDep, db: ReadConnDep
) -> dict[str, Any]:
    """Every occurrence of the series this event belongs to, by recurrence id (the rule's start)."""
    settings: SeriesSettings = request.app.state.settings.series
    limit = min(params.limit, settings.max_page_size)
    return await reading.occurrence_page(await db.get(), event_id, subject, params.cursor, limit)
