"""``GET /api/v1/me/recommendations`` (for you), ``GET /api/v1/recommendations`` (popular near here,
anyone), ``GET /api/v1/events/{event_id}/similar``, and ``POST /api/v1/events/{event_id}/shares``
(the share button's signal). HTTP only; the rules are in ``service``.

Personal answers are never cached (``no-store``); the anonymous list is the same for everyone at a
place and may be kept briefly.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from starlette.responses import Response as Empty

from app.accounts.auth import SubjectDep
from app.db import UnitOfWorkDep
from app.errors import problem_responses
from app.kit.query_params import openapi, query_model
from app.kit.read_connection import ReadConnDep
from app.recommendations import service
from app.recommendations.context import RecommendationsDep
from app.recommendations.schemas import (
    ForYouParams,
    NearParams,
    RecommendationPage,
    SimilarEvents,
    SimilarParams,
)

router = APIRouter(tags=["recommendations"])
ForYouQuery = Annotated[ForYouParams, Depends(query_model(ForYouParams))]
NearQuery = Annotated[NearParams, Depends(query_model(NearParams))]
SimilarQuery = Annotated[SimilarParams, Depends(query_model(SimilarParams))]
_personal: dict[int | str, dict[str, Any]] = problem_responses(
    {400: "Bad cursor, or no place given and no home saved", 401: "Not signed in", 422: "Bad parameter"}
)


@router.get(
    "/api/v1/me/recommendations",
    response_model=RecommendationPage,
    responses=_personal,
    summary="For you: upcoming events ranked for the signed-in person, with reasons",
    openapi_extra=openapi(ForYouParams),
)
async def for_you(
    subject: SubjectDep, params: ForYouQuery, db: ReadConnDep, context: RecommendationsDep, response: Response
) -> RecommendationPage:
    page = await service.recommend(
        await db.get(), context.models.current, context.signer, context.settings,
        account_id=subject.account_id, lat=params.lat, lon=params.lon, limit=params.limit,
        cursor=params.cursor, now=context.clock(),
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return page


@router.get(
    "/api/v1/recommendations",
    response_model=RecommendationPage,
    responses=problem_responses({400: "Bad cursor", 422: "Bad parameter"}),
    summary="Popular near here now: the same ranking for someone not signed in",
    openapi_extra=openapi(NearParams),
)
async def popular_near(
    params: NearQuery, db: ReadConnDep, context: RecommendationsDep, response: Response
) -> RecommendationPage:
    page = await service.recommend(
        await db.get(), context.models.current, context.signer, context.settings,
        account_id=None, lat=params.lat, lon=params.lon, limit=params.limit, cursor=params.cursor,
        now=context.clock(),
    )  # fmt: skip
    response.headers["Cache-Control"] = "public, max-age=60"
    return page


@router.get(
    "/api/v1/events/{event_id}/similar",
    response_model=SimilarEvents,
    responses=problem_responses(
        {400: "A parameter given twice", 404: "Unknown or not public", 422: "Not an event id, or a bad parameter"}
    ),
    summary="Similar events near this one, and what people who went to it also went to",
    openapi_extra=openapi(SimilarParams),
)
async def similar(
    event_id: UUID, params: SimilarQuery, db: ReadConnDep, context: RecommendationsDep, response: Response
) -> SimilarEvents:
    found = await service.similar(
        await db.get(), context.models.current, context.settings, event_id, params.limit, context.clock()
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    return found


@router.post(
    "/api/v1/events/{event_id}/shares",
    status_code=204,
    response_class=Empty,
    responses=problem_responses(
        {401: "Not signed in", 404: "Unknown or not public", 422: "Not an event id", 429: "Too many shares"}
    ),
    summary="Record that the signed-in person shared an event (a signal for their recommendations)",
)
async def record_share(
    event_id: UUID, subject: SubjectDep, work: UnitOfWorkDep, context: RecommendationsDep
) -> Empty:
    """Sent by the share button once the link was shared or copied. Signed-in people only: a signal
    teaches the recommender about a person; an anonymous share would teach it nothing. Rate-limited per
    person (``RecommendationSettings.share_limit``)."""
    await context.limiter.hit((context.share_limit, str(subject.account_id)))
    await service.share(work.conn, subject.account_id, event_id, context.clock())
    return Empty(status_code=204)
