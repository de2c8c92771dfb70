"""After-commit tile invalidation for endpoints that write events.

A write endpoint collects the ``EventChange`` of each service call; once the request's
transaction has committed, the tiles showing the old and new places are dropped::

    @router.patch("/events/{event_id}")
    async def update(event_id: UUID, patch: EventUpdate, tiles: TileInvalidationsDep, conn: ConnDep) -> ...:
        row, change = await service.update_event(conn, event_id, patch)
        tiles.add(change)

Declare ``TileInvalidationsDep`` *before* ``ConnDep``: dependencies are closed in reverse
order, so it closes after ``ConnDep`` has committed, and before the response is sent (the
client that wrote reads its own write on the map). When the endpoint or the commit fails,
nothing is invalidated: nothing changed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from app.events.changes import EventChange


class TileInvalidations:
    """The changes a request made, published to the tile cache after its transaction commits."""

    def __init__(self) -> None:
        self.changes: list[EventChange] = []

    def add(self, change: EventChange) -> None:
        self.changes.append(change)


async def tile_invalidations(request: Request) -> AsyncIterator[TileInvalidations]:
    pending = TileInvalidations()
    yield pending  # an exception here (endpoint or commit failed) skips the rest
    for change in pending.changes:
        await request.app.state.tiles.event_changed(change)


TileInvalidationsDep = Annotated[TileInvalidations, Depends(tile_invalidations, scope="function")]
