"""Event images over HTTP: upload and remove (editors and owners), and the files, cached for ever.

The upload is ``multipart/form-data`` with one file field, ``image``. The body is read up to the
size limit (413 past it, before anything is parsed or decoded), parsed, and the picture is checked
and re-encoded in a worker thread (at most ``IMAGE_CONCURRENCY`` at once per process).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from app.db import UnitOfWorkDep
from app.errors import InvalidParameter, NotFound, problem_responses
from app.event_images import service
from app.event_images.errors import ImageTooLarge, NotAnImage
from app.event_images.pipeline import MEDIA_TYPE, CleanImage, clean_event_image
from app.event_images.schemas import EventImage
from app.event_images.urls import EXTENSION, image_urls
from app.events.auth import EditableEventDep
from app.kit.media import PART, BlobsDep
from config.settings import EventImageSettings

router = APIRouter(prefix="/api/v1/events", tags=["event images"])
media_router = APIRouter(tags=["media"])

IMAGE_CONCURRENCY = 2
# Room for the multipart framing (boundaries, part headers) around the file itself.
MULTIPART_OVERHEAD = 16 * 1024
NO_STORE = {"Cache-Control": "no-store"}

_editor = problem_responses({
    401: "Not signed in (WWW-Authenticate: Bearer)",
    403: "Email not verified, or a role too low (checkers do not edit events)",
    404: "No such event, or not one of your organizers' (the same answer)",
})


def _image_settings(request: Request) -> EventImageSettings:
    settings: EventImageSettings = request.app.state.settings.event_images
    return settings


async def uploaded_image(request: Request) -> CleanImage:
    """The ``image`` part of the multipart body, read up to the limit, checked and cleaned in a thread."""
    settings = _image_settings(request)
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        raise NotAnImage("send the image as multipart/form-data, in a file field named image", param="image")
    limit = settings.max_bytes + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ImageTooLarge(f"an event image is at most {settings.max_bytes} bytes", param="image")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ImageTooLarge(f"an event image is at most {settings.max_bytes} bytes", param="image")
    raw = await _image_part(request, bytes(body))
    if len(raw) > settings.max_bytes:
        raise ImageTooLarge(f"an event image is at most {settings.max_bytes} bytes", param="image")
    clean = partial(clean_event_image, raw, max_pixels=settings.max_pixels)
    return await anyio.to_thread.run_sync(clean, limiter=_limiter(request))


async def _image_part(request: Request, body: bytes) -> bytes:
    async def chunks() -> Any:
        yield body

    try:
        form = await MultiPartParser(request.headers, chunks(), max_files=1, max_fields=0).parse()
    except MultiPartException as exc:
        raise InvalidParameter(f"the multipart body could not be read: {exc.message}", param="image") from exc
    image = form.get("image")
    if not isinstance(image, UploadFile):
        raise InvalidParameter("the body has no file field named image", param="image")
    try:
        return await image.read()
    finally:
        await form.close()


def _limiter(request: Request) -> anyio.CapacityLimiter:
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "event_image_limiter", None)
    if limiter is None:  # made on first use: a limiter belongs to the running event loop
        limiter = request.app.state.event_image_limiter = anyio.CapacityLimiter(IMAGE_CONCURRENCY)
    return limiter


@router.post(
    "/{event_id}/image",
    response_model=EventImage,
    summary="Upload the event's image (multipart, field `image`)",
    responses={**_editor, **problem_responses({
        400: "Malformed multipart body, or no file field named image",
        413: "Larger than the size limit",
        415: "Not multipart, or not a JPEG, PNG or WebP image (judged by its bytes)",
        422: "Undecodable, or more pixels than the limit (a decompression bomb)",
    })},
    openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["image"], "additionalProperties": False,
        "properties": {"image": {"type": "string", "format": "binary"}},
    }}}}},
)  # fmt: skip
async def put_image(
    event: EditableEventDep,
    image: Annotated[CleanImage, Depends(uploaded_image)],
    work: UnitOfWorkDep,
    blobs: BlobsDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Orientation applied, all metadata (EXIF, GPS, XMP, ICC) dropped, one WebP per width. The answer
    names the image's key and the URL of each width."""
    row, change = await service.set_image(work.conn, blobs, event.id, image)
    work.publish(change)
    response.headers.update(NO_STORE)
    return {"image_key": row["image_key"], "width": image.width, "height": image.height,
            "urls": image_urls(row["image_key"])}  # fmt: skip


@router.delete("/{event_id}/image", status_code=204, responses=_editor, summary="Remove the event's image")
async def delete_image(event: EditableEventDep, work: UnitOfWorkDep) -> Response:
    change = await service.remove_image(work.conn, event.row)
    if change is not None:
        work.publish(change)
    return Response(status_code=204)


@media_router.get(
    "/media/events/{digest}/{name}",
    responses={**problem_responses({404: "No such image"}), 200: {"content": {MEDIA_TYPE: {}}}},
    response_class=Response,
    summary="An event image file",
)
async def image_file(request: Request, digest: str, name: str, blobs: BlobsDep) -> Response:
    """Content-addressed: the same URL always holds the same bytes, so it is cached for a year."""
    if not (PART.match(digest) and PART.match(name) and name.endswith(f".{EXTENSION}")):
        raise NotFound("no such image")
    data = await blobs.get(service.FOLDER, digest, name)
    if data is None:
        raise NotFound("no such image")
    max_age = request.app.state.settings.media.cache_max_age_s
    headers = {"Cache-Control": f"public, max-age={max_age}, immutable", "ETag": f'"{digest}-{name}"'}
    return Response(data, media_type=MEDIA_TYPE, headers=headers)
