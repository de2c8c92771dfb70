"""HTTP of sharing: event pages, calendar feeds (iCalendar), the sitemap and robots.txt.

Pages and sitemaps are HTML/XML for browsers and crawlers (not in the OpenAPI document); the feeds
live under ``/api/v1``. Every answer carries an ETag (and the feeds Last-Modified) and answers 304
to a client that holds it. Bounded: a feed holds at most ``MAX_FEED_EVENTS`` events.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.auth import SubjectDep
from app.accounts.context import AccountsDep
from app.db import UnitOfWorkDep
from app.event_images.urls import image_urls
from app.events.criteria import list_criteria
from app.events.discovery import find_events
from app.events.discovery_schemas import ListParams
from app.events.paging import decode_cursor, first_page
from app.kit.cursor import CursorSigner
from app.kit.etag import cacheable_response
from app.kit.public_url import public_base_url
from app.kit.query_params import openapi, query_model
from app.kit.read_connection import ReadConnDep
from app.sharing import repository, service, sitemap
from app.sharing.calendar import FeedInfo, calendar_bytes, series_calendar_bytes
from app.sharing.errors import FeedNotFound
from app.sharing.page import render_page
from app.sharing.schemas import FeedTokenOut
from app.sharing.slugs import slugify
from config.settings import Settings

ICS = "text/calendar; charset=utf-8"
PAGE_CACHE = "public, max-age=300"
FEED_CACHE = "public, max-age=300"
PRIVATE_FEED_CACHE = "private, max-age=300"
SITEMAP_CACHE = "public, max-age=3600"
_EVENT_REF = re.compile(r"^(?P<id>[0-9a-fA-F-]{36})(?:-(?P<slug>[a-z0-9-]{0,80}))?$")

pages_router = APIRouter(include_in_schema=False)
router = APIRouter(prefix="/api/v1", tags=["calendars"])

_ics: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {}}, "description": "An iCalendar (RFC 5545) document"}
}
_missing: dict[int | str, dict[str, Any]] = {404: {"description": "No such public event, organizer or feed"}}


def _clock_now(accounts: AccountsDep) -> datetime:
    return accounts.clock()


NowDep = Annotated[datetime, Depends(_clock_now)]


@pages_router.get("/e/{ref}")
async def event_page(request: Request, ref: str, db: ReadConnDep) -> Response:
    """The event's page; a wrong or missing slug redirects (301) to the canonical address."""
    match = _EVENT_REF.match(ref)
    event_id = _uuid(match.group("id")) if match else None
    row = None if event_id is None else await repository.shared_event(await db.get(), event_id)
    if row is None:
        return HTMLResponse(_NOT_FOUND_PAGE, status_code=404, headers={"Cache-Control": "public, max-age=60"})
    base = public_base_url(request)
    slug = slugify(row["title"])
    canonical = f"{base}/e/{row['id']}-{slug}"
    if match is None or match.group("slug") != slug or match.group("id") != str(row["id"]):
        return RedirectResponse(canonical, status_code=301, headers={"Cache-Control": PAGE_CACHE})
    image = _image_url(base, row)
    has_point = row["lat"] is not None and row["lon"] is not None
    map_url = f"{base}/#15/{row['lat']:.5f}/{row['lon']:.5f}" if has_point else f"{base}/"
    body = render_page(row, canonical, image, map_url).encode()
    return _cacheable(request, body, "text/html; charset=utf-8", PAGE_CACHE, None)


@router.get(
    "/events/{event_id}.ics",
    responses={**_ics, **_missing},
    response_class=Response,
    summary="One event as an iCalendar file",
)
async def event_calendar(request: Request, event_id: UUID, db: ReadConnDep, now: NowDep) -> Response:
    row = await repository.shared_event(await db.get(), event_id)
    if row is None:
        raise FeedNotFound(f"event {event_id} does not exist or is not public")
    return _feed(request, [row], row["title"], now, FEED_CACHE)


@router.get(
    "/series/{series_id}.ics",
    responses={**_ics, **_missing},
    response_class=Response,
    summary="A recurring event as one iCalendar entry (RRULE, EXDATE, overrides by RECURRENCE-ID)",
    description=(
        "`/events/{id}.ics` of an occurrence is that occurrence alone (its own UID); this is the whole "
        "series: the rule and its exclusions, and each occurrence changed on its own (moved, elsewhere, "
        "renamed, cancelled) as a VEVENT with its RECURRENCE-ID. The series id is an occurrence's `series_id`."
    ),
)
async def series_calendar(request: Request, series_id: UUID, db: ReadConnDep, now: NowDep) -> Response:
    conn = await db.get()
    series = await repository.shared_series(conn, series_id)
    if series is None:
        raise FeedNotFound(f"series {series_id} does not exist or is not public")
    overrides = await repository.series_overrides(conn, series_id, service.MAX_FEED_EVENTS)
    stamp = max([series["rows_updated_at"] or series["updated_at"], series["updated_at"]])
    feed = FeedInfo(name=f"{series['title']} · Happenings", base_url=public_base_url(request), generated_at=stamp)
    return _cacheable(request, series_calendar_bytes(series, overrides, feed), ICS, FEED_CACHE, stamp)


@router.get(
    "/organizers/{organizer_id}/calendar.ics",
    responses={**_ics, **_missing},
    response_class=Response,
    summary="An organizer's public events as a calendar feed",
)
async def organizer_calendar(request: Request, organizer_id: UUID, db: ReadConnDep, now: NowDep) -> Response:
    name, rows = await service.organizer_feed_rows(await db.get(), organizer_id, now)
    return _feed(request, rows, f"{name} · Happenings", now, FEED_CACHE)


SearchQuery = Annotated[ListParams, Depends(query_model(ListParams))]


@router.get(
    "/calendars/search.ics",
    responses={
        **_ics,
        400: {"description": "Parameters that do not go together, or a foreign cursor (problem+json naming it)"},
        422: {"description": "Malformed area or filter (problem+json naming it)"},
    },
    response_class=Response,
    summary="The events of a search (area and filters) as a calendar feed",
    description=(
        "The same area, filters and paging as `GET /api/v1/events`: one page (`limit`, at most 500; "
        "`cursor` from the list's `next_cursor` for a later page)."
    ),
    openapi_extra=openapi(ListParams),
)
async def search_calendar(request: Request, params: SearchQuery, db: ReadConnDep, now: NowDep) -> Response:
    settings: Settings = request.app.state.settings
    criteria = list_criteria(params, settings.discovery)
    limit = min(params.limit or settings.discovery.default_limit, service.MAX_SEARCH_EVENTS)
    signer = CursorSigner(settings.discovery.cursor_secret)
    position = decode_cursor(signer, criteria, params.cursor, now) if params.cursor else first_page(now)
    page = await find_events(db, criteria, position, limit, signer, geojson=False)
    rows = await repository.shared_events_by_id(await db.get(), service.ids_of_items(page.items))
    return _feed(request, rows, "Search · Happenings", now, FEED_CACHE)


@router.get(
    "/calendars/me.ics",
    responses={**_ics, **_missing},
    response_class=Response,
    summary="The person's saved events as a private calendar feed (behind a secret token)",
)
async def personal_calendar(
    request: Request,
    db: ReadConnDep,
    now: NowDep,
    token: Annotated[str, Query(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")],
) -> Response:
    rows = await service.personal_feed_rows(await db.get(), token, now)
    return _feed(request, rows, "My events · Happenings", now, PRIVATE_FEED_CACHE)


@router.post(
    "/me/calendar-token",
    response_model=FeedTokenOut,
    status_code=201,
    responses={401: {"description": "Not signed in"}},
    summary="Make (or replace) the secret address of the person's calendar feed",
)
async def rotate_calendar_token(request: Request, subject: SubjectDep, work: UnitOfWorkDep, now: NowDep) -> Any:
    feed = await service.rotate_feed_token(work.conn, subject.account_id, now)
    url = f"{public_base_url(request)}/api/v1/calendars/me.ics?token={feed.token}"
    webcal = "webcal://" + url.split("://", 1)[1]
    return FeedTokenOut(token=feed.token, url=url, webcal_url=webcal, created_at=feed.created_at)


@pages_router.get("/sitemap.xml")
async def sitemap_index(request: Request, db: ReadConnDep) -> Response:
    bits = sitemap.bits_for(await repository.estimated_event_count(await db.get()))
    body = sitemap.index_document(public_base_url(request), bits)
    return _cacheable(request, body, "application/xml", SITEMAP_CACHE, None)


@pages_router.get("/sitemaps/events-{bits}-{index}.xml")
async def sitemap_file(
    request: Request, db: ReadConnDep, now: NowDep, bits: Annotated[int, Path(ge=0)], index: Annotated[int, Path(ge=0)]
) -> Response:
    try:
        low, high = sitemap.id_range(bits, index)
    except ValueError:
        return Response(status_code=404)
    rows = await repository.sitemap_chunk(await db.get(), low, high, now, sitemap.MAX_PER_FILE)
    body = sitemap.urls_document(public_base_url(request), rows)
    return _cacheable(request, body, "application/xml", SITEMAP_CACHE, None)


@pages_router.get("/robots.txt")
async def robots(request: Request) -> Response:
    body = sitemap.robots_document(public_base_url(request))
    return _cacheable(request, body, "text/plain; charset=utf-8", SITEMAP_CACHE, None)


def _feed(request: Request, rows: list[dict[str, Any]], name: str, now: datetime, cache: str) -> Response:
    """The calendar of ``rows``; Last-Modified is the newest change among them."""
    # DTSTAMP is the newest change, not the clock: the same events give the same bytes (and ETag).
    stamp = max((row["updated_at"] for row in rows), default=now)
    body = calendar_bytes(rows, FeedInfo(name=name, base_url=public_base_url(request), generated_at=stamp))
    return _cacheable(request, body, ICS, cache, stamp)


def _cacheable(request: Request, body: bytes, media_type: str, cache: str, modified: datetime | None) -> Response:
    return cacheable_response(
        body,
        media_type=media_type,
        if_none_match=request.headers.get("if-none-match"),
        cache_control=cache,
        last_modified=modified,
        if_modified_since=request.headers.get("if-modified-since"),
    )


def _image_url(base: str, row: Mapping[str, Any]) -> str | None:
    """The 960-pixel rendition: large enough for link previews (OpenGraph asks for 600+ wide)."""
    urls = image_urls(row.get("image_key"))
    return None if urls is None else f"{base}{urls['960']}"


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


_NOT_FOUND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Event not found · Happenings</title><meta name="robots" content="noindex"></head>
<body><main><h1>Event not found</h1><p>It may have been removed, or the link is incomplete.</p>
<p><a href="/">Explore events on the map</a></p></main></body></html>
"""
