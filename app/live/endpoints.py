"""``GET /api/v1/live?bbox=``: changes of events in a view, as Server-Sent Events.

Each message is ``event: change`` with an ``id:`` (resume with ``Last-Event-ID``) and JSON data:
``{event_id, kind: created|moved|rescheduled|cancelled|removed|sold_out|available|few_left|capacity|updated,
aspects, before, after}`` (``sold_out``: the last place went; ``available``: a place came free at a sold-out
event; ``few_left``: few places are left)
(``before``/``after`` are ``{lat, lon}`` or null). A comment line every ``live_heartbeat_s`` keeps
proxies from closing an idle stream. The view is at most ``live_max_cells`` partition cells wide; open
streams per process are bounded (then 503 with Retry-After).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import StreamingResponse

from app.errors import InvalidParameter, ServiceUnavailable
from app.live.hub import LiveHub, LiveMessage, TooManyStreams
from geo.bbox import BBOX_PATTERN, BBox, InvalidBBox
from geo.cells import cells_covering_bbox

router = APIRouter(prefix="/api/v1", tags=["live"])

_STREAM = {
    "description": "A stream of Server-Sent Events",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


@router.get(
    "/live",
    response_class=StreamingResponse,
    responses={
        200: _STREAM,
        400: {"description": "Malformed bbox, or a view too wide (zoom in)"},
        503: {"description": "Too many open streams on this server (Retry-After)"},
    },
    summary="Stream changes of events in a view (Server-Sent Events)",
)
async def live(
    request: Request,
    bbox: Annotated[str, Query(max_length=200, pattern=BBOX_PATTERN, description="west,south,east,north")],
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    try:
        box = BBox.parse(bbox)
    except InvalidBBox as exc:
        raise InvalidParameter(str(exc), param="bbox") from None
    settings = request.app.state.settings.notifications
    cells = cells_covering_bbox(box)
    if cells is None or len(cells) > settings.live_max_cells:
        raise InvalidParameter("the view is too wide for live updates: zoom in", param="bbox")
    hub: LiveHub = request.app.state.live_hub
    try:
        subscriber = await hub.open(cells)
    except TooManyStreams:
        raise ServiceUnavailable("too many live streams on this server", headers={"Retry-After": "5"}) from None
    history = await request.app.state.live_publisher.history(cells, last_event_id) if last_event_id else []
    heartbeat = settings.live_heartbeat_s

    async def stream() -> AsyncIterator[bytes]:
        seen: set[str] = set()
        try:
            yield b"retry: 3000\n\n"
            for message in history:
                seen.add(message.id)
                if message.inside(box):
                    yield message.sse()
            while True:
                try:
                    item: LiveMessage | None = await asyncio.wait_for(subscriber.queue.get(), timeout=heartbeat)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": ping\n\n"
                    continue
                if item is None:  # fell behind: the client reconnects and resumes from the history
                    return
                if item.id in seen:
                    continue
                seen.add(item.id)
                if len(seen) > 4096:
                    seen.clear()
                if item.inside(box):
                    yield item.sse()
        finally:
            await hub.close(subscriber)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
