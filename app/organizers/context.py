"""What the organizers services need besides the connection: settings, abuse limits and the clock.

``app.state.organizers`` holds it, made in the lifespan; endpoints reach it through
``OrganizersDep``. Tests pin ``clock`` (this domain reads the time no other way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from app.kit.clock import Clock, utc_now
from app.kit.ratelimit import Limit, RateLimiter
from config.settings import MailSettings, OrganizerSettings, Settings


@dataclass(frozen=True, slots=True)
class InvitationLimits:
    invite_organizer: Limit
    invite_email: Limit


@dataclass
class OrganizersContext:
    settings: OrganizerSettings
    mail_settings: MailSettings
    limiter: RateLimiter
    limits: InvitationLimits
    clock: Clock = field(default=utc_now)

    @classmethod
    def build(cls, settings: Settings, redis: Redis) -> OrganizersContext:
        own = settings.organizers
        return cls(
            settings=own,
            mail_settings=settings.mail,
            limiter=RateLimiter(redis, settings.redis.key_prefix),
            limits=InvitationLimits(
                Limit.parse("invite-org", own.invitation_organizer_limit),
                Limit.parse("invite-email", own.invitation_email_limit),
            ),
        )


def get_organizers(request: Request) -> OrganizersContext:
    context: OrganizersContext = request.app.state.organizers
    return context


OrganizersDep = Annotated[OrganizersContext, Depends(get_organizers)]
