"""What the venue and geocoding endpoints need besides a connection: settings, the geocoder, limits, clock.

``app.state.venues`` holds it, made in the lifespan; endpoints reach it through ``VenuesDep``.
Tests pin ``clock`` or swap ``geocoder`` for one pointed at a local server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from app.kit.clock import Clock, utc_now
from app.kit.ratelimit import Limit, RateLimiter
from app.venues.geocoding import Geocoder, make_geocoder
from config.settings import GeocodingSettings, Settings, VenueSettings


@dataclass
class VenuesContext:
    settings: VenueSettings
    geocoding: GeocodingSettings
    geocoder: Geocoder
    limiter: RateLimiter
    geocode_limit: Limit
    clock: Clock = field(default=utc_now)

    @classmethod
    def build(cls, settings: Settings, redis: Redis) -> VenuesContext:
        return cls(
            settings=settings.venues,
            geocoding=settings.geocoding,
            geocoder=make_geocoder(settings.geocoding),
            limiter=RateLimiter(redis, settings.redis.key_prefix),
            geocode_limit=Limit.parse("geocode", settings.geocoding.client_limit),
        )


def get_venues(request: Request) -> VenuesContext:
    context: VenuesContext = request.app.state.venues
    return context


VenuesDep = Annotated[VenuesContext, Depends(get_venues)]
