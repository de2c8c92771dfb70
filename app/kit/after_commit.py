"""Domain events published after the request's transaction commits, and dropped when it rolls back.

A write collects what it did (an ``EventChange`` today; RSVPs, orders and notices next) on the
request's ``UnitOfWork`` (``app.db``). Once the transaction has committed, every listener registered
for that event's type is called, in registration order: the tile cache drops the tiles that showed
the change, and later the live map and geofenced push react to it. A rollback drops the events
unheard, because nothing changed.

Listeners run before the response leaves (the client that wrote reads its own write), and a
listener that fails is logged and does not fail the request: the write has committed and must be
reported as done. Work that must not be lost when the process dies belongs in a job written in the
same transaction, not here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

log = logging.getLogger("happenings.after_commit")

E = TypeVar("E")
Listener = Callable[[Any], Awaitable[None]]


class AfterCommit:
    """The listeners of each domain event type; one per application, made in its lifespan."""

    def __init__(self) -> None:
        self._listeners: dict[type, list[Listener]] = {}

    def listen(self, event_type: type[E], listener: Callable[[E], Awaitable[None]]) -> None:
        """Call ``listener`` with every committed event of exactly ``event_type``."""
        self._listeners.setdefault(event_type, []).append(listener)

    async def dispatch(self, events: Iterable[object]) -> None:
        """Hand each committed event to its listeners; a failing listener is logged, never raised."""
        for event in events:
            for listener in self._listeners.get(type(event), ()):
                try:
                    await listener(event)
                except Exception:
                    log.exception("after-commit listener failed", extra={"event": type(event).__name__})
