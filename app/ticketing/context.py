"""What ticketing and RSVPs need besides the connection: settings, the ticket signer and the clock.

``app.state.ticketing`` holds it, made in the lifespan; endpoints reach it through ``TicketingDep``.
Tests pin ``clock`` (these domains read the time no other way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from app.kit.clock import Clock, utc_now
from app.ticketing.signing import TicketSigner
from config.settings import Settings


@dataclass
class TicketingContext:
    settings: Settings
    signer: TicketSigner
    clock: Clock = field(default=utc_now)

    @classmethod
    def build(cls, settings: Settings) -> TicketingContext:
        return cls(settings=settings, signer=TicketSigner.from_settings(settings))


def get_ticketing(request: Request) -> TicketingContext:
    context: TicketingContext = request.app.state.ticketing
    return context


TicketingDep = Annotated[TicketingContext, Depends(get_ticketing)]
