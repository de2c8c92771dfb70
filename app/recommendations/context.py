"""What the recommendation routes need: settings, the model holder, the view recorder, the share
limit, the clock.

``app.state.recommendations`` holds it, made in the lifespan. Tests pin ``clock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from app.db import Conn
from app.kit.clock import Clock, utc_now
from app.kit.cursor import CursorSigner
from app.kit.ratelimit import Limit, RateLimiter
from app.recommendations.ranking import prior_model
from app.recommendations.signals import ViewRecorder
from app.recommendations.store import ModelHolder
from config.settings import RecommendationSettings, Settings


@dataclass
class RecommendationsContext:
    settings: RecommendationSettings
    models: ModelHolder
    views: ViewRecorder
    signer: CursorSigner
    limiter: RateLimiter
    share_limit: Limit
    clock: Clock = field(default=utc_now)

    @classmethod
    def build(cls, settings: Settings, pool: AsyncConnectionPool[Conn], redis: Redis) -> RecommendationsContext:
        own = settings.recommendations
        return cls(
            settings=own,
            models=ModelHolder(pool, own.model_poll_s, prior_model()),
            views=ViewRecorder(pool, own.views_flush_s),
            # The discovery secret signs these cursors too; the scope keeps them apart.
            signer=CursorSigner(settings.discovery.cursor_secret),
            limiter=RateLimiter(redis, settings.redis.key_prefix),
            share_limit=Limit.parse("share", own.share_limit),
        )

    def start(self) -> None:
        self.models.start()
        self.views.start()

    async def aclose(self) -> None:
        await self.views.aclose()
        await self.models.aclose()


def get_recommendations(request: Request) -> RecommendationsContext:
    context: RecommendationsContext = request.app.state.recommendations
    return context


RecommendationsDep = Annotated[RecommendationsContext, Depends(get_recommendations)]
