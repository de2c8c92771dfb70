"""The signed-in person's profile: ``/api/v1/me`` (GET, PATCH), avatar, saved events, followed organizers.

HTTP only: bodies and parameters are validated here (unknown fields are a 422 and nothing is
written), the service applies the rules. Answers about a person are never cached (``no-store``);
avatar files are, for a year, because every upload gets a new URL.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from starlette.responses import Response

from app.accounts.auth import SubjectDep
from app.accounts.context import AccountsDep
from app.db import UnitOfWorkDep
from app.errors import NotFound
from app.kit.media import MediaDep
from app.kit.query_params import openapi, query_model
from app.kit.read_connection import ReadConnDep
from app.profiles import service
from app.profiles.avatars import MEDIA_TYPE, clean_avatar
from app.profiles.errors import ContentTooLarge, UnsupportedMediaType
from app.profiles.paging import page_request
from app.profiles.schemas import FollowedOrganizerPage, Me, PageParams, ProfilePatch, SavedEventPage
from config.settings import MediaSettings, Settings

NO_STORE = {"Cache-Control": "no-store"}
# Images decoded at once per process: uploads queue here instead of taking every core.
IMAGE_CONCURRENCY = 2

router = APIRouter(prefix="/api/v1/me", tags=["profile"])
media_router = APIRouter(tags=["media"])

_BINARY = {"schema": {"type": "string", "format": "binary"}}
PageQuery = Annotated[PageParams, Depends(query_model(PageParams))]
_auth: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the session has ended"},
    422: {"description": "Malformed or unknown field (problem+json naming it)"},
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("", response_model=Me, responses=_auth, summary="The signed-in person's account and profile")
async def get_me(subject: SubjectDep, db: ReadConnDep, response: Response) -> Me:
    response.headers.update(NO_STORE)
    return await service.read_me(await db.get(), subject.account_id)


@router.patch(
    "",
    response_model=Me,
    responses={**_auth, 400: {"description": "Unknown category or radius too large"}},
    summary="Change profile fields",
)
async def patch_me(
    request: Request,
    patch: ProfilePatch,
    subject: SubjectDep,
    work: UnitOfWorkDep,
    accounts: AccountsDep,
    response: Response,
) -> Me:
    """Fields left out stay as they are; ``null`` clears one. A home is stored only with
    ``consent: true``, by default coarsened to an H3 cell (``precision: "area"``); ``home: null``
    withdraws the consent and forgets the place and the radius."""
    settings = _settings(request).profiles
    await service.update_profile(work.conn, subject.account_id, patch, settings, accounts.clock())
    response.headers.update(NO_STORE)
    return await service.read_me(work.conn, subject.account_id)


async def uploaded_avatar(request: Request) -> bytes:
    """The request body, read up to the size limit, checked and cleaned into the stored picture."""
    settings: MediaSettings = _settings(request).media
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (content_type.startswith("image/") or content_type == "application/octet-stream"):
        raise UnsupportedMediaType("send the image itself as the body (a JPEG, PNG or WebP)", param="avatar")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.avatar_max_bytes:
        raise ContentTooLarge(f"an avatar is at most {settings.avatar_max_bytes} bytes", param="avatar")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > settings.avatar_max_bytes:
            raise ContentTooLarge(f"an avatar is at most {settings.avatar_max_bytes} bytes", param="avatar")
    clean = partial(
        clean_avatar, bytes(body), size_px=settings.avatar_size_px, max_pixels=settings.avatar_max_pixels
    )
    return await anyio.to_thread.run_sync(clean, limiter=_image_limiter(request))


def _image_limiter(request: Request) -> anyio.CapacityLimiter:
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "image_limiter", None)
    if limiter is None:  # made on first use: a limiter belongs to the running event loop
        limiter = request.app.state.image_limiter = anyio.CapacityLimiter(IMAGE_CONCURRENCY)
    return limiter


@router.put(
    "/avatar",
    response_model=Me,
    responses={
        **_auth,
        413: {"description": "Larger than the size limit"},
        415: {"description": "Not a JPEG, PNG or WebP image (judged by its bytes)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {kind: _BINARY for kind in ("image/jpeg", "image/png", "image/webp")},
        }
    },
    summary="Upload an avatar (the image as the body)",
)
async def put_avatar(
    subject: SubjectDep,
    # Declared before the unit of work: the upload is read and cleaned before a connection is taken.
    image: Annotated[bytes, Depends(uploaded_avatar)],
    work: UnitOfWorkDep,
    media: MediaDep,
    response: Response,
) -> Me:
    """Cropped to a square, scaled down and re-encoded as WebP without any metadata (EXIF, GPS, XMP)."""
    replaced = await service.set_avatar(work.conn, media, subject.account_id, image)
    if replaced is not None:
        work.publish(replaced)
    response.headers.update(NO_STORE)
    return await service.read_me(work.conn, subject.account_id)


@router.delete("/avatar", status_code=204, responses=_auth, summary="Remove the avatar")
async def delete_avatar(subject: SubjectDep, work: UnitOfWorkDep) -> Response:
    replaced = await service.remove_avatar(work.conn, subject.account_id)
    if replaced is not None:
        work.publish(replaced)
    return Response(status_code=204)


# ---------------------------------------------------------------- saved events


@router.get(
    "/saved-events",
    response_model=SavedEventPage,
    responses=_auth,
    summary="Saved events, most recently saved first",
    openapi_extra=openapi(PageParams),
)
async def list_saved_events(
    request: Request, subject: SubjectDep, params: PageQuery, db: ReadConnDep, response: Response
) -> SavedEventPage:
    page = page_request("saved-events", subject.account_id, params.limit, params.cursor, _settings(request))
    rows = await service.saved_events(await db.get(), subject.account_id, page.after, page.limit + 1)
    response.headers.update(NO_STORE)
    return SavedEventPage.model_validate(page.body(rows, "saved_at", "event_id"))


@router.put(
    "/saved-events/{event_id}",
    status_code=204,
    responses={**_auth, 404: {"description": "No such public event"}, 409: {"description": "Limit reached"}},
    summary="Save an event",
)
async def save_event(
    request: Request, event_id: UUID, subject: SubjectDep, work: UnitOfWorkDep, accounts: AccountsDep
) -> Response:
    await service.save_event(work.conn, subject.account_id, event_id, _settings(request).profiles, accounts.clock())
    return Response(status_code=204)


@router.delete("/saved-events/{event_id}", status_code=204, responses=_auth, summary="Forget a saved event")
async def unsave_event(event_id: UUID, subject: SubjectDep, work: UnitOfWorkDep) -> Response:
    await service.unsave_event(work.conn, subject.account_id, event_id)
    return Response(status_code=204)


# ---------------------------------------------------------------- followed organizers


@router.get(
    "/following",
    response_model=FollowedOrganizerPage,
    responses=_auth,
    summary="Followed organizers, most recent first",
    openapi_extra=openapi(PageParams),
)
async def list_following(
    request: Request, subject: SubjectDep, params: PageQuery, db: ReadConnDep, response: Response
) -> FollowedOrganizerPage:
    page = page_request("following", subject.account_id, params.limit, params.cursor, _settings(request))
    rows = await service.followed_organizers(await db.get(), subject.account_id, page.after, page.limit + 1)
    response.headers.update(NO_STORE)
    return FollowedOrganizerPage.model_validate(page.body(rows, "followed_at", "organizer_id"))


@router.put(
    "/following/{organizer_id}",
    status_code=204,
    responses={**_auth, 404: {"description": "No such organizer"}, 409: {"description": "Limit reached"}},
    summary="Follow an organizer",
)
async def follow(
    request: Request, organizer_id: UUID, subject: SubjectDep, work: UnitOfWorkDep, accounts: AccountsDep
) -> Response:
    await service.follow_organizer(
        work.conn, subject.account_id, organizer_id, _settings(request).profiles, accounts.clock()
    )
    return Response(status_code=204)


@router.delete("/following/{organizer_id}", status_code=204, responses=_auth, summary="Stop following")
async def unfollow(organizer_id: UUID, subject: SubjectDep, work: UnitOfWorkDep) -> Response:
    await service.unfollow_organizer(work.conn, subject.account_id, organizer_id)
    return Response(status_code=204)


# ---------------------------------------------------------------- avatar files


@media_router.get(
    "/media/avatars/{media_token}/{name}",
    response_class=FileResponse,
    responses={404: {"description": "No such file (or it was replaced or erased)"}},
    summary="An avatar image",
)
async def avatar_file(request: Request, media_token: str, name: str, media: MediaDep) -> FileResponse:
    try:
        path = media.path(service.AVATARS, media_token, name)
    except ValueError as exc:
        raise NotFound("no such avatar") from exc
    if not name.endswith(".webp") or not await anyio.Path(path).is_file():
        raise NotFound("no such avatar")
    max_age = _settings(request).media.cache_max_age_s
    headers = {"Cache-Control": f"public, max-age={max_age}, immutable"}  # nosniff: app.kit.http_policy
    return FileResponse(path, media_type=MEDIA_TYPE, headers=headers)
