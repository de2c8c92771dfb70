"""The application factory. Pools and clients are made in the lifespan, never at import."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from app.accounts.context import AccountsContext
from app.accounts.endpoints import dev_router as accounts_dev_router
from app.accounts.endpoints import router as auth_router
from app.accounts.oidc.context import OidcContext
from app.accounts.oidc.endpoints import router as oidc_router
from app.db import API_SESSION, make_pool
from app.errors import document_problems, install_error_handlers
from app.event_images.endpoints import media_router as event_media_router
from app.event_images.endpoints import router as event_images_router
from app.events.changes import EventChange
from app.events.endpoints import router as events_router
from app.events.publishing_endpoints import router as publishing_router
from app.health.endpoints import router as health_router
from app.imports.endpoints import router as imports_router
from app.kit.after_commit import AfterCommit
from app.kit.clock import utc_now
from app.kit.database_breaker import DatabaseBreaker, answer_database_errors
from app.kit.http_policy import HttpPolicy
from app.kit.logging import configure_logging
from app.kit.media import MediaStore, make_blobs
from app.kit.middleware import HttpMetrics, RequestContextMiddleware
from app.live.endpoints import router as live_router
from app.live.hub import LiveHub, LivePublisher
from app.migrations_state import expected_heads
from app.notifications.endpoints import public_router as push_router
from app.notifications.endpoints import router as notifications_router
from app.organizers.context import OrganizersContext
from app.organizers.endpoints import router as organizers_router
from app.payments.context import PaymentsContext
from app.payments.endpoints import router as payments_router
from app.privacy.endpoints import router as privacy_router
from app.privacy.holders import personal_data
from app.profiles.endpoints import media_router
from app.profiles.endpoints import router as profile_router
from app.profiles.service import AvatarReplaced, avatar_remover
from app.recommendations.context import RecommendationsContext
from app.recommendations.endpoints import router as recommendations_router
from app.redis import make_redis
from app.rsvps.endpoints import router as rsvps_router
from app.series.endpoints import router as series_router
from app.sharing.endpoints import pages_router as sharing_pages_router
from app.sharing.endpoints import router as calendars_router
from app.ticketing.context import TicketingContext
from app.ticketing.endpoints import router as ticketing_router
from app.venues.context import VenuesContext
from app.venues.endpoints import geocode_router
from app.venues.endpoints import router as venues_router
from app.web.endpoints import router as web_router
from app.web.streets import load_regions
from config.settings import Settings
from tiles.endpoints import TileRequests, document_tiles
from tiles.endpoints import router as tiles_router
from tiles.service import TileService


def freeze_startup_objects() -> None:
    """Keep what start-up allocated out of every later garbage collection (once per process).

    A full collection walks every object the collector tracks. After start-up that is ~130k of
    them (modules, FastAPI's routes, pydantic's models), all alive as long as the process, and a
    full collection takes tens of milliseconds: a stall of every request in flight. Frozen, they are never
    walked again, and a full collection only sees what requests allocated since. Garbage is
    collected first, so that none of it is frozen; only the first call in a process does anything
    (``Settings.freeze_gc_at_startup``: tests make many apps in one process and leave it off).
    """
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = make_pool(settings.database, session=API_SESSION)
        await pool.open(wait=False)
        breaker = DatabaseBreaker(settings.database)
        breaker.watch(pool)
        redis = make_redis(settings.redis)
        app.state.pool = pool
        app.state.database_breaker = breaker
        app.state.redis = redis
        app.state.tiles = await TileService.start(settings, redis, breaker)
        app.state.after_commit.listen(EventChange, app.state.tiles.event_changed)
        live = settings.notifications
        app.state.live_publisher = LivePublisher(redis, settings.redis.key_prefix, live.live_history)
        app.state.live_hub = LiveHub(redis, app.state.live_publisher, live.live_max_connections)
        app.state.after_commit.listen(EventChange, app.state.live_publisher.on_change)
        app.state.accounts = AccountsContext.build(settings, pool, redis, app.state.after_commit)
        app.state.accounts.start()
        app.state.organizers = OrganizersContext.build(settings, redis)
        app.state.venues = VenuesContext.build(settings, redis)
        app.state.ticketing = TicketingContext.build(settings)
        app.state.oidc = OidcContext.build(settings, redis, app.state.oidc_transport)
        app.state.payments = PaymentsContext.build(settings, pool, app.state.after_commit)
        app.state.personal_data = personal_data(
            app.state.accounts, app.state.organizers, app.state.oidc, redis, settings.redis.key_prefix, app.state.media
        )
        app.state.after_commit.listen(AvatarReplaced, avatar_remover(app.state.media))
        app.state.recommendations = RecommendationsContext.build(settings, pool, redis)
        app.state.recommendations.start()
        if settings.freeze_gc_at_startup:
            freeze_startup_objects()
        try:
            yield
        finally:
            await app.state.recommendations.aclose()
            await app.state.oidc.aclose()
            await app.state.payments.aclose()
            await app.state.accounts.aclose()
            await breaker.aclose()
            await app.state.tiles.aclose()
            await app.state.live_hub.aclose()
            await redis.aclose()
            await pool.close()

    app = FastAPI(
        title="Happenings",
        version="0.1.0",
        description="Map-first event discovery: viewport and nearby search, vector tiles, a MapLibre map.",
        lifespan=lifespan,
        # Our observability is Prometheus (/metrics) and JSON access logs (app.kit.middleware).
        # FastAPI's OpenTelemetry hooks would look for global providers on every request and find
        # none: a tenth of the CPU of a near-cache tile hit.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # /docs is served from a package (app.web.docs), not from a CDN; ReDoc is not served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.after_commit = AfterCommit()
    app.state.events_clock = utc_now  # the organizers' writes read the time here (tests pin it)
    app.state.expected_heads = expected_heads()
    app.state.metrics_registry = CollectorRegistry()
    app.state.streets = load_regions(settings.basemap.pmtiles_path)  # checked now: a bad file stops start-up
    app.state.media = MediaStore(settings.media.root)
    app.state.blobs = make_blobs(settings.storage, app.state.media)  # event images: local or a bucket
    # Social sign-in's HTTP transport: None is real HTTP; tests put an in-process provider here.
    app.state.oidc_transport = None
    app.add_middleware(TileRequests)  # inside the request context: ids, logs and metrics apply
    app.add_middleware(HttpPolicy, settings=settings)  # limits, HEAD, Allow, CORS, security headers
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(app.state.metrics_registry))
    install_error_handlers(app)
    answer_database_errors(app)
    app.include_router(health_router)
    app.include_router(publishing_router)  # before the public /events/{event_id}: POST /events etc.
    app.include_router(series_router)  # GET /events/{event_id}/occurrences
    app.include_router(calendars_router)  # calendar feeds; before events: /events/{id}.ics is not an id
    app.include_router(events_router)
    app.include_router(tiles_router)
    app.include_router(auth_router)
    app.include_router(oidc_router)
    app.include_router(profile_router)  # GET|PATCH /me and the person's lists
    app.include_router(privacy_router)  # GET /me/export, DELETE /me
    app.include_router(media_router)
    app.include_router(event_images_router)  # POST|DELETE /events/{id}/image
    app.include_router(event_media_router)  # GET /media/events/...
    app.include_router(organizers_router)
    app.include_router(venues_router)  # /venues, /organizers/{id}/venues
    app.include_router(geocode_router)  # /geocode, /geocode/reverse
    app.include_router(imports_router)  # /organizers/{id}/imports, /imports/{id}
    app.include_router(sharing_pages_router)  # /e/{id}-{slug}, /sitemap.xml, /robots.txt
    app.include_router(notifications_router)  # /me/devices, /me/geofences, /me/notification-settings, /me/inbox
    app.include_router(push_router)
    app.include_router(live_router)  # GET /live (Server-Sent Events)
    app.include_router(ticketing_router)  # tiers, orders, my tickets, check-in
    app.include_router(rsvps_router)
    app.include_router(payments_router)
    app.include_router(recommendations_router)  # for you, popular near here, similar events
    if settings.environment == "development":
        app.include_router(accounts_dev_router)  # the outbox, readable by anyone: never elsewhere
    app.include_router(web_router)  # last: serves /, /assets/*, /basemap/*
    document_tiles(app)
    document_problems(app)
    return app
