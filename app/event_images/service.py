"""The rules of event images: files first, then the event's ``image_key`` through the events write service.

Files are content-addressed (``events/<digest>/<width>.webp``) and written before the row: a
rolled-back write leaves unreferenced files, never a row pointing at nothing. Replaced or removed
images' files stay (another event, e.g. a duplicate, may show the same picture); the change is
logged and published like every event write (aspect ``details``).
"""

from __future__ import annotations

from typing import Any

from app.db import Conn
from app.event_images.pipeline import MEDIA_TYPE, CleanImage
from app.event_images.urls import EXTENSION
from app.events import service as events_service
from app.events.changes import EventChange
from app.events.schemas import EventUpdate
from app.kit.media import BlobStore

FOLDER = "events"


def image_key(digest: str) -> str:
    return f"{FOLDER}/{digest}"


async def set_image(
    conn: Conn, blobs: BlobStore, event_id: Any, image: CleanImage
) -> tuple[dict[str, Any], EventChange]:
    for width, data in image.variants.items():
        await blobs.put(data, MEDIA_TYPE, FOLDER, image.digest, f"{width}.{EXTENSION}")
    return await events_service.update_event(conn, event_id, EventUpdate(image_key=image_key(image.digest)))


async def remove_image(conn: Conn, event: dict[str, Any]) -> EventChange | None:
    """Clear the event's image (nothing is written when it has none)."""
    if event["image_key"] is None:
        return None
    _, change = await events_service.update_event(conn, event["id"], EventUpdate(image_key=None))
    return change
