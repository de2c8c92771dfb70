"""Settings, one small class per concern, read from the environment (prefix ``HAPPENINGS_``).

``DATABASE_URL`` and ``REDIS_URL`` are also accepted without the prefix because every
platform (Heroku, Render, docker-compose) hands them over under those names.
Nothing here is read at import time: ``Settings()`` is built by whoever starts the app.
"""

from __future__ import annotations

import json
import os
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "HAPPENINGS_"


class DatabaseSettings(BaseModel):
    url: str = "postgresql://postgres@127.0.0.1:5432/happenings"
    pool_min: int = Field(2, ge=1)
    pool_max: int = Field(10, ge=1)
    # Every statement a request runs is cut off after this: no request can run away.
    statement_timeout_ms: int = Field(5000, ge=100)
    # A lost database is a fast 503 (app.kit.database_breaker): the longest wait for a pooled connection,
    # for a new connection to open (libpq's minimum is 2 s), and the 503's Retry-After.
    acquire_timeout_s: float = Field(2.0, gt=0)
    connect_timeout_s: int = Field(2, ge=2)
    retry_after_s: int = Field(2, ge=1)
    # `python -m app distribute`: shards of each table distributed by cell on a Citus cluster. Plan
    # 64 to 128 for production (room to move shards to new workers, hot cells isolated apart); a test
    # cluster on one machine uses a few.
    shard_count: int = Field(64, ge=1, le=1024)

    @field_validator("url")
    @classmethod
    def _plain_libpq_url(cls, value: str) -> str:
        # Accept SQLAlchemy-style URLs too; psycopg wants the libpq form.
        return value.replace("postgresql+psycopg://", "postgresql://", 1)

    @property
    def sqlalchemy_url(self) -> str:
        return self.url.replace("postgresql://", "postgresql+psycopg://", 1)


class RedisSettings(BaseModel):
    url: str = "redis://127.0.0.1:6379/0"
    # Every key this service writes starts with this, so tests and tenants can share a server.
    key_prefix: str = "hp:"
    socket_timeout_s: float = Field(0.5, gt=0)


class DiscoverySettings(BaseModel):
    default_limit: int = Field(50, ge=1)
    # At most the API contract's bounds (app.events.discovery_schemas: 500 items, 200 km).
    max_limit: int = Field(500, ge=1, le=500)
    # A bbox bigger than this is refused: the client should zoom in or use the tiles.
    max_bbox_area_deg2: float = Field(400.0, gt=0)
    # ... and so is a long thin one (little area, but a partition cover as long as the box).
    max_bbox_width_deg: float = Field(90.0, gt=0, le=360)
    max_bbox_height_deg: float = Field(45.0, gt=0, le=180)
    max_radius_m: float = Field(200_000.0, gt=0, le=200_000)
    cursor_secret: str = "dev-cursor-secret-change-me"


class TileSettings(BaseModel):
    max_zoom: int = Field(22, ge=0, le=22)
    cluster_below_zoom: int = Field(12, ge=0, le=22)
    max_features: int = Field(10_000, ge=1)
    cache_ttl_s: int = Field(3600, ge=1)
    browser_max_age_s: int = Field(60, ge=0)
    # tile_rollup's horizon (tiles.rollup): how far ahead of the clock, and how often it is checked.
    rollup_lead_s: int = Field(1800, ge=60)
    rollup_check_s: float = Field(60.0, gt=0)
    # Connections for the wide cluster tiles (z0-z5, and up to z8 where a rollup serves them), beside the
    # database pool's size for every other tile (tiles.service.TilePools).
    wide_pool_max: int = Field(4, ge=1)


class BasemapSettings(BaseModel):
    # A Protomaps .pmtiles extract, or a folder of them (one per region): the map then draws
    # streets, parks and water from it (app.web.streets). Unset: the offline Natural Earth map.
    pmtiles_path: str | None = None


class AuthSettings(BaseModel):
    """Sign-in: the access token's signing key and lifetimes, password hashing, cookies, abuse limits."""

    # The Ed25519 private key (PEM) that signs access tokens, or a file holding it. Outside development
    # and test one of them is required, and a key file named ``dev-*`` (what ``make run`` makes) is refused.
    # Without either (development and test only) each process makes a key of its own at start-up.
    jwt_private_key: SecretStr | None = None
    jwt_private_key_file: str | None = None
    # Public keys (PEM) still accepted while a retired signing key's tokens expire.
    jwt_previous_public_keys: list[str] = []
    issuer: str = "happenings"
    audience: str = "happenings-api"
    access_ttl_s: int = Field(900, ge=30, le=3600)
    refresh_ttl_s: int = Field(30 * 86400, ge=300)
    # A session ends this long after sign-in however often it is refreshed.
    session_max_s: int = Field(180 * 86400, ge=300)
    verify_token_ttl_s: int = Field(48 * 3600, ge=60)
    reset_token_ttl_s: int = Field(3600, ge=60)
    # argon2id; the default is OWASP's m=19 MiB, t=2, p=1 (measured in bench/accounts.py). Cheaper only in tests.
    argon2_time_cost: int = Field(2, ge=1)
    argon2_memory_kib: int = Field(19456, ge=8)
    argon2_parallelism: int = Field(1, ge=1)
    # Hashes running at once per process (each in a worker thread): a storm of sign-ins queues here and
    # leaves the other cores to the event loop.
    hash_concurrency: int = Field(1, ge=1)
    min_password_length: int = Field(10, ge=8)
    # zxcvbn's score (0-4) a new password must reach.
    min_password_score: int = Field(3, ge=0, le=4)
    # Web sign-in: the refresh cookie is Secure. Pages of ``http.cors_origins`` may use it besides the
    # service's own.
    cookie_secure: bool = True
    # Abuse limits, "count/seconds", per IP (``ip``) and per email address (``account``).
    login_ip_limit: str = "30/300"
    login_account_limit: str = "10/900"
    register_ip_limit: str = "10/3600"
    register_account_limit: str = "5/3600"
    reset_ip_limit: str = "10/3600"
    reset_account_limit: str = "3/3600"
    token_ip_limit: str = "30/900"

    @field_validator(
        "login_ip_limit", "login_account_limit", "register_ip_limit", "register_account_limit",
        "reset_ip_limit", "reset_account_limit", "token_ip_limit",
    )  # fmt: skip
    @classmethod
    def _limit(cls, value: str) -> str:
        count, _, seconds = value.partition("/")
        if not (count.isdigit() and seconds.isdigit() and int(count) > 0 and int(seconds) > 0):
            raise ValueError("a limit is COUNT/SECONDS, e.g. 10/900")
        return value


class MailSettings(BaseModel):
    # smtp://user:pass@host:port (STARTTLS when offered), smtps:// (TLS from the start). Unset: mail
    # stays in the outbox table (and, in development, is listed at /api/v1/dev/outbox).
    smtp_url: SecretStr | None = None
    sender: str = "Happenings <no-reply@happenings.localhost>"
    # Where the links in mails point (the front end's address).
    public_url: str = "http://127.0.0.1:8000"
    drain_every_s: float = Field(30.0, gt=0)
    smtp_timeout_s: float = Field(10.0, gt=0)


class OrganizerSettings(BaseModel):
    """Organizer teams: invitations and the lock taken to change a team."""

    invitation_ttl_s: int = Field(7 * 86400, ge=300)
    max_open_invitations: int = Field(100, ge=1)
    # Organizers one account may own at once (a cap against abuse).
    max_owned_organizers: int = Field(20, ge=1)
    # Invitation mails, "count/seconds", per organizer and per invited address.
    invitation_organizer_limit: str = "50/3600"
    invitation_email_limit: str = "5/3600"
    # How long a team change waits for the team's rows before answering 503 (Retry-After).
    lock_timeout_ms: int = Field(2000, ge=10)

    @field_validator("invitation_organizer_limit", "invitation_email_limit")
    @classmethod
    def _limit(cls, value: str) -> str:
        return AuthSettings._limit(value)


class MediaSettings(BaseModel):
    # Uploaded files (avatars) live under this directory; it is created on first write.
    root: str = ".data/media"
    avatar_max_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    # A decoded image larger than this is refused before its pixels are read (decompression bombs).
    avatar_max_pixels: int = Field(40_000_000, ge=1)
    avatar_size_px: int = Field(512, ge=32, le=2048)
    # Avatar URLs change with every upload, so browsers and CDNs may keep a file for a year.
    cache_max_age_s: int = Field(31_536_000, ge=0)


class EventImageSettings(BaseModel):
    """Event image uploads (``app.event_images``); the widths kept are fixed in ``app.event_images.urls``."""

    max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    # A decoded image larger than this is refused before its pixels are read (decompression bombs).
    max_pixels: int = Field(50_000_000, ge=1)


class StorageSettings(BaseModel):
    """Where uploaded files live: the local media root (``MediaSettings.root``) or an S3-compatible bucket."""

    backend: Literal["local", "s3"] = "local"
    bucket: str | None = None
    # An S3-compatible endpoint (MinIO, Ceph, R2...); None: AWS itself.
    endpoint_url: str | None = None
    region: str = "us-east-1"
    # Credentials come from the environment (or boto3's own chain when left unset).
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    # Keys are written under this prefix in the bucket.
    key_prefix: str = Field("", pattern=r"^([A-Za-z0-9_-]+/)*$")


class SeriesSettings(BaseModel):
    """Recurring events (app.series): how far ahead occurrences exist, and the bounds of a rule."""

    # Occurrences exist as event rows this far ahead of the clock; the worker extends it every ``extend_every_s``.
    horizon_days: int = Field(365, ge=7, le=3660)
    # A rule giving more starts than this (in all when bounded, within the horizon when not) is refused.
    max_occurrences: int = Field(730, ge=1, le=10_000)
    # Local dates a series may exclude (EXDATE).
    max_exdates: int = Field(500, ge=0, le=1000)
    extend_every_s: float = Field(3600.0, gt=0)
    # Series whose horizon one job run extends (each in its own transaction).
    extend_batch: int = Field(20, ge=1)
    # How long an edit of an occurrence waits for its series' row before answering 503 (Retry-After).
    lock_timeout_ms: int = Field(1000, ge=10)
    # ``GET /events/{id}/occurrences``: page sizes.
    default_page_size: int = Field(50, ge=1)
    max_page_size: int = Field(200, ge=1)


class ProfileSettings(BaseModel):
    # A coarsened home is stored as the H3 cell of this resolution (7: about 5 km2), never the point.
    home_cell_resolution: int = Field(7, ge=0, le=15)
    max_home_radius_m: int = Field(200_000, ge=1)
    max_saved_events: int = Field(1_000, ge=1)
    max_following: int = Field(1_000, ge=1)
    default_page_size: int = Field(50, ge=1)
    max_page_size: int = Field(200, ge=1)


class GeocodingSettings(BaseModel):
    """Forward and reverse geocoding (``app.venues.geocoding``), env ``HAPPENINGS_GEOCODING__*``.

    ``offline`` (the default) answers from GeoNames data shipped in a package: city-level only, and no
    network. The others call a server at ``base_url`` through geopy.
    """

    provider: Literal["offline", "nominatim", "photon", "pelias"] = "offline"
    # The provider's base URL, e.g. https://nominatim.openstreetmap.org or http://127.0.0.1:2322.
    base_url: str | None = None
    api_key: SecretStr | None = None
    # Nominatim's usage policy asks for an application name that identifies the caller.
    user_agent: str = Field("happenings-geocoder", min_length=1, max_length=200)
    timeout_s: float = Field(3.0, gt=0, le=30)
    max_results: int = Field(10, ge=1, le=50)
    # Lookups per client address, "count/seconds" (they cost the provider, not just us).
    client_limit: str = "60/60"

    @field_validator("client_limit")
    @classmethod
    def _limit(cls, value: str) -> str:
        return AuthSettings._limit(value)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return HttpSettings._base_url(value)

    def model_post_init(self, __context: object) -> None:
        if self.provider != "offline" and self.base_url is None:
            raise ValueError(f"HAPPENINGS_GEOCODING__BASE_URL is needed for the {self.provider} provider")


class VenueSettings(BaseModel):
    # Two venues of one organizer with the same (normalised) name this close are one venue.
    same_venue_within_m: float = Field(50.0, gt=0, le=1000)
    default_page_size: int = Field(50, ge=1)
    max_page_size: int = Field(200, ge=1)
    # Moving a venue moves its events in batches of this many (one id query per batch).
    move_batch_size: int = Field(200, ge=1, le=5000)
    # How long a create waits for the organizer's venue lock (two creates of the same venue) before a 503.
    lock_timeout_ms: int = Field(2000, ge=10)
class PaymentsSettings(BaseModel):
    """Payments through Stripe (``HAPPENINGS_PAYMENTS__*``). Keys and the webhook secret come from the
    environment only. No secret key: payments are off (``make run`` then starts localstripe and sets
    ``api_base`` and development keys). No webhook secret: the webhook endpoint answers 404."""

    secret_key: SecretStr | None = None
    publishable_key: str | None = None
    webhook_secret: SecretStr | None = None
    # Where the SDK sends its calls: unset is Stripe itself; localstripe's URL in development and tests.
    api_base: str | None = None
    # A webhook whose signed timestamp is older (or further ahead) than this is refused.
    webhook_tolerance_s: int = Field(300, ge=1, le=3600)
    # Every call to Stripe gives up after this; the SDK does not retry (our jobs do).
    request_timeout_s: float = Field(10.0, gt=0, le=80)
    # The platform's fee on each order (Connect application fee): a share of the amount plus a fixed part.
    platform_fee_percent: float = Field(0.0, ge=0, le=50)
    platform_fee_fixed: int = Field(0, ge=0)
    # Currencies orders may be priced in (ISO 4217, lower case) and the smallest amount Stripe charges.
    currencies: list[str] = ["eur", "usd", "gbp", "chf"]
    minimum_amount: int = Field(50, ge=1)
    # Attendees may ask for their refund until this long before the event starts (organizers may
    # set their own policy; this is the default); 0 means refunds are never self-served.
    refund_window_s: int = Field(48 * 3600, ge=0)
    # Orders still awaiting payment this long after creation are checked with Stripe by the
    # reconciliation job (a lost webhook); a batch of at most this many each run.
    reconcile_after_s: int = Field(120, ge=5)
    reconcile_batch: int = Field(100, ge=1, le=1000)
    # Connect onboarding: where Stripe sends the organizer back.
    connect_return_url: str | None = None
    connect_refresh_url: str | None = None

    @field_validator("currencies")
    @classmethod
    def _currencies(cls, value: list[str]) -> list[str]:
        lowered = [code.lower() for code in value]
        if not all(re.fullmatch(r"[a-z]{3}", code) for code in lowered):
            raise ValueError("currencies are three-letter ISO 4217 codes")
        return lowered

    @property
    def enabled(self) -> bool:
        return self.secret_key is not None and bool(self.secret_key.get_secret_value())

    @property
    def test_cards(self) -> bool:
        """Payments go to a stand-in for Stripe (localstripe, by ``api_base``) with a test key: it has
        no browser-side confirmation, so the buy page's test-card form pays through the server."""
        if not self.enabled or not self.api_base:
            return False
        assert self.secret_key is not None
        return not self.secret_key.get_secret_value().startswith(("sk_live_", "rk_live_"))


class RecommendationSettings(BaseModel):
    """For-you lists, similar events, the interaction log and model training."""

    # Candidates: upcoming public events within this distance of the point, starting within the horizon.
    candidate_radius_m: float = Field(25_000.0, gt=0, le=200_000)
    horizon_days: int = Field(60, ge=1, le=365)
    # Events read per covering cell and branch (popular, soonest, liked organizers/categories).
    candidates_per_branch: int = Field(120, ge=10, le=1000)
    default_limit: int = Field(10, ge=1)
    max_limit: int = Field(50, ge=1, le=100)
    # A person pages through at most this many recommendations (cursor paging stops there).
    max_results: int = Field(100, ge=10, le=500)
    # The person's latest signals read for their state.
    state_signals: int = Field(300, ge=10, le=5000)
    # The API checks for a newer trained model this often (loaded in a thread, swapped atomically).
    model_poll_s: float = Field(30.0, gt=0)
    # The worker trains this often, on the interactions of the last ``training_window_days``.
    train_every_s: int = Field(6 * 3600, ge=60)
    training_window_days: int = Field(365, ge=7)
    # Trained models kept in ``recommendation_models`` (older versions are deleted).
    keep_models: int = Field(3, ge=1)
    # Monthly partitions of ``interactions`` kept ahead of the clock, and months of history kept.
    partitions_ahead: int = Field(3, ge=1, le=24)
    retention_months: int = Field(24, ge=1)
    # Detail views are written in batches this often.
    views_flush_s: float = Field(2.0, gt=0)
    # Shares one person may record ("count/seconds"; beyond: 429 with Retry-After).
    share_limit: str = Field("60/3600", pattern=r"^[1-9][0-9]{0,5}/[1-9][0-9]{0,6}$")


class PrivacySettings(BaseModel):
    # Erasing an account without a password (social sign-in only) needs a sign-in at most this old.
    erase_fresh_sign_in_s: int = Field(600, ge=30)


class TicketingSettings(BaseModel):
    """RSVPs, holds and tickets."""

    # How long an order holds its places while the buyer pays.
    hold_minutes: int = Field(15, ge=1, le=24 * 60)
    # How long a hold or an RSVP waits for the capacity rows before answering 503 (Retry-After).
    lock_timeout_ms: int = Field(2000, ge=10)
    retry_after_s: int = Field(2, ge=1)
    # The sweeper frees lapsed holds this often, this many per transaction.
    sweep_every_s: float = Field(15.0, gt=0)
    sweep_batch: int = Field(200, ge=1)
    # Ed25519 key (PEM) that signs ticket QR codes (its public half goes to the scanners). Without one the
    # access-token key signs them (required outside development; payloads are domain-separated).
    signing_key: SecretStr | None = None
    signing_key_file: str | None = None
    max_tiers_per_event: int = Field(50, ge=1)
    # A capacity raise hands at most this many new places to the waitlist in its transaction (each is a
    # mail and a ticket written there); places beyond stay free for whoever answers next.
    max_promotions: int = Field(1000, ge=1)
    default_page_size: int = Field(50, ge=1)
    max_page_size: int = Field(500, ge=1)


GOOGLE_ISSUER = "https://accounts.google.com"


class OidcProviderSettings(BaseModel):
    """One OpenID Connect provider: its issuer (discovery at ``{issuer}/.well-known/openid-configuration``)
    and the client registered there, whose redirect URI is ``{public_url}/api/v1/auth/oidc/{name}/callback``."""

    model_config = ConfigDict(extra="forbid")

    # Optional for the provider named ``google`` only (Google's issuer is then used).
    issuer: str | None = None
    client_id: str = Field(min_length=1, max_length=512)
    client_secret: SecretStr
    scopes: list[str] = ["openid", "email", "profile"]
    # The name on the sign-in button.
    display_name: str | None = Field(None, max_length=60)
    token_endpoint_auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        local = value.startswith(("http://127.0.0.1", "http://localhost"))
        if not (value.startswith("https://") or local) or "?" in value or "#" in value:
            raise ValueError("an issuer is an https:// URL without query or fragment")
        return value.rstrip("/")

    @field_validator("scopes")
    @classmethod
    def _openid_scope(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise ValueError("the scopes must include openid")
        return value


class OidcSettings(BaseModel):
    """Social sign-in: the providers by name (``HAPPENINGS_OIDC__PROVIDERS__GOOGLE__CLIENT_ID`` ...).

    A provider not named here does not exist: its routes answer 404.
    """

    providers: dict[str, OidcProviderSettings] = {}
    # Where the provider sends the browser back (the service's public address); unset: ``mail.public_url``.
    public_url: str | None = None
    # How long a started sign-in may take before its state is forgotten.
    flow_ttl_s: int = Field(600, ge=60, le=3600)
    # Timeout of every call to a provider (discovery, keys, token, userinfo).
    http_timeout_s: float = Field(5.0, gt=0, le=60)
    # Discovery documents and key sets are kept this long; a token signed with an unknown key fetches
    # the key set again, at most once per ``jwks_min_refresh_s``.
    metadata_ttl_s: int = Field(3600, ge=60)
    jwks_min_refresh_s: int = Field(60, ge=1)
    # Allowed clock difference with a provider when checking an ID token's times.
    clock_skew_s: int = Field(60, ge=0, le=600)
    # Mobile apps: the redirect URIs (custom scheme or claimed https links) they may ask to be sent back to.
    app_redirect_uris: list[str] = []
    # Starts, and callbacks, per client address: "count/seconds" each.
    ip_limit: str = "30/300"

    @field_validator("providers")
    @classmethod
    def _named(cls, value: dict[str, OidcProviderSettings]) -> dict[str, OidcProviderSettings]:
        named = {}
        for name, provider in value.items():
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", name):
                raise ValueError(f"provider name {name!r}: lower-case letters, digits and '-' (at most 32)")
            if provider.issuer is None:
                if name != "google":
                    raise ValueError(f"provider {name!r} needs an issuer")
                provider = provider.model_copy(update={"issuer": GOOGLE_ISSUER})
            named[name] = provider
        return named

    @field_validator("ip_limit")
    @classmethod
    def _limit(cls, value: str) -> str:
        return AuthSettings._limit(value)


def _origin(value: str) -> str:
    """``scheme://host[:port]``, lower-case, as browsers send it in ``Origin``."""
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"} or parts.query:
        raise ValueError(f"{value!r} is not an origin (scheme://host[:port], no path)")
    if not parts.netloc.isascii():
        raise ValueError(f"{value!r}: write the host in its ASCII (punycode) form, as browsers send it")
    return f"{parts.scheme}://{parts.netloc}".lower()


# Read from the environment as comma-separated values (or a JSON array), not only as JSON.
CommaList = Annotated[list[str], NoDecode]


class ImportSettings(BaseModel):
    """Calendar imports (app.imports): fetching calendar URLs safely, job sizes, subscription refreshes."""

    # A fetched calendar (or an uploaded file) bigger than this is refused; the body is cut while streaming.
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    # A whole fetch (every redirect hop, the body) must end within this many seconds.
    fetch_timeout_s: float = Field(15.0, gt=0, le=120)
    max_redirects: int = Field(5, ge=0, le=20)
    # Hosts allowed to resolve to private, loopback or link-local addresses (a local calendar server in
    # tests or on an intranet). Empty by default: such addresses are refused at every hop (SSRF).
    allow_private_hosts: CommaList = []
    # Events one import reads at most (the rest are reported skipped).
    max_events: int = Field(5000, ge=1, le=100_000)
    # Items written per transaction (progress is written after each).
    batch_size: int = Field(50, ge=1, le=1000)
    # Subscribed calendars are fetched again this often (conditional requests: ETag/Last-Modified).
    refresh_every_s: float = Field(3600.0, gt=0)
    # The worker looks for queued imports and due subscriptions this often.
    poll_every_s: float = Field(2.0, gt=0)
    # Imports one worker run takes (each in its own transactions).
    job_batch: int = Field(5, ge=1)

    @field_validator("allow_private_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [p.strip().lower() for p in value.split(",") if p.strip()]
        return value


class HttpSettings(BaseModel):
    """The HTTP surface: the public address, trusted proxies, CORS, request limits, the metrics token."""

    # The absolute URL this service is reached at (scheme, host, optional path prefix). TileJSON and the
    # styles build their URLs from it, never from the request's Host. Required outside development.
    public_base_url: str | None = None
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's forwarded_allow_ips).
    forwarded_allow_ips: CommaList = []
    # Origins (scheme://host[:port]) whose pages may call the credentialed routes (accounts, organizer and
    # attendee writes) and use the web session cookie. None by default.
    cors_origins: CommaList = []
    # Origins the map may fetch from besides this one (an external basemap's tiles, sprites, glyphs): CSP.
    csp_connect_origins: CommaList = []
    # A request with more header fields, or a bigger head (request line and fields), is refused with 431.
    max_header_count: int = Field(100, ge=10, le=10_000)
    max_header_bytes: int = Field(32_768, ge=4_096, le=1_048_576)
    # A client has this long to send a request's head (slow-header attacks); then 408 and the connection closes.
    header_timeout_s: float = Field(10.0, gt=0, le=300)
    # When set, /metrics answers only to ``Authorization: Bearer <token>``; outside development, unset, it is off.
    metrics_token: SecretStr | None = Field(None, min_length=16)

    @field_validator("forwarded_allow_ips", "cors_origins", "csp_connect_origins", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
        return value

    @field_validator("cors_origins", "csp_connect_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [_origin(origin) for origin in value]

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"{value!r} is not an absolute http(s) URL without query or fragment")
        return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


class NotificationSettings(BaseModel):
    """Push (FCM, Web Push), geofences, notices and the live map (``HAPPENINGS_NOTIFICATIONS__...``)."""

    # A Firebase service-account JSON file. Unset: no FCM; in development pushes land in the outbox.
    fcm_credentials_file: str | None = None
    # The FCM v1 API's base URL (an egress proxy, or a local peer in tests); the SDK appends
    # /v1/projects/{project}/messages:send. The OAuth token comes from the service account's token_uri.
    fcm_base_url: str = "https://fcm.googleapis.com"
    # VAPID keys for Web Push: the private key as base64url DER (or a file path), the public key as
    # base64url of the uncompressed point (what browsers take as applicationServerKey).
    vapid_private_key: SecretStr | None = None
    vapid_public_key: str | None = None
    vapid_subject: str = "mailto:no-reply@happenings.localhost"
    # Push endpoints must resolve to public addresses; hosts named here are exempt (local test peers only).
    allowed_push_hosts: CommaList = []
    push_timeout_s: float = Field(5.0, gt=0, le=60)
    # Quiet hours (the person's local time) when they have not chosen their own and their time zone is known
    # (notification settings or profile): notices wait till the end. Unknown zone: no default quiet hours.
    quiet_start: str = "22:00"
    quiet_end: str = "07:00"
    # Pushes per person and local day; beyond it notices stay in the in-app inbox only.
    daily_cap: int = Field(20, ge=1, le=1000)
    max_devices: int = Field(20, ge=1)
    max_geofences: int = Field(20, ge=1, le=200)
    max_geofence_vertices: int = Field(200, ge=4, le=2000)
    max_geofence_radius_m: int = Field(50_000, ge=100)
    max_geofence_area_km2: float = Field(10_000.0, gt=0)
    # Delivery attempts before a notice is given up; the backoff doubles from retry_base_s.
    max_attempts: int = Field(8, ge=1)
    retry_base_s: float = Field(30.0, gt=0)
    # How often the worker looks for event changes to match and notices to deliver (a full batch runs
    # again at once).
    poll_every_s: float = Field(1.0, gt=0, le=60)
    # Changes drained and notices sent per job run.
    match_batch: int = Field(50, ge=1)
    deliver_batch: int = Field(100, ge=1)
    deliver_concurrency: int = Field(4, ge=1, le=64)
    # "Starting soon near you": how far ahead, and at most one location report per this many seconds.
    starting_soon_s: int = Field(3600, ge=60)
    location_every_s: int = Field(300, ge=1)
    # The live map: open streams per process, heartbeat, history kept per cell, widest view.
    live_max_connections: int = Field(2000, ge=1)
    live_heartbeat_s: float = Field(15.0, gt=0)
    live_history: int = Field(200, ge=1)
    live_max_cells: int = Field(64, ge=1)

    @field_validator("allowed_push_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: Any) -> Any:
        return HttpSettings._list(value)

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("a time of day is HH:MM")
        return value


class Settings(BaseSettings):
    """Everything the service needs to start, assembled from the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore", case_sensitive=False
    )

    environment: str = "development"
    log_level: str = "INFO"
    log_json: bool = True
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    discovery: DiscoverySettings = DiscoverySettings()
    tiles: TileSettings = TileSettings()
    basemap: BasemapSettings = BasemapSettings()
    auth: AuthSettings = AuthSettings()
    mail: MailSettings = MailSettings()
    organizers: OrganizerSettings = OrganizerSettings()
    media: MediaSettings = MediaSettings()
    storage: StorageSettings = StorageSettings()
    event_images: EventImageSettings = EventImageSettings()
    geocoding: GeocodingSettings = GeocodingSettings()
    venues: VenueSettings = VenueSettings()
    profiles: ProfileSettings = ProfileSettings()
    series: SeriesSettings = SeriesSettings()
    imports: ImportSettings = ImportSettings()
    privacy: PrivacySettings = PrivacySettings()
    payments: PaymentsSettings = PaymentsSettings()
    ticketing: TicketingSettings = TicketingSettings()
    recommendations: RecommendationSettings = RecommendationSettings()
    oidc: OidcSettings = OidcSettings()
    http: HttpSettings = HttpSettings()
    notifications: NotificationSettings = NotificationSettings()
    database_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL", "HAPPENINGS_DATABASE_URL"))
    redis_url: str | None = Field(None, validation_alias=AliasChoices("REDIS_URL", "HAPPENINGS_REDIS_URL"))
    frontend_dist: str = "frontend/dist"
    # After start-up, keep its objects out of later garbage collections (app.main); off in tests,
    # which make many apps in one process.
    freeze_gc_at_startup: bool = True
    basemap_style_url: str | None = None

    def model_post_init(self, __context: object) -> None:
        if self.database_url:
            url = DatabaseSettings._plain_libpq_url(self.database_url)
            self.database = self.database.model_copy(update={"url": url})
        if self.redis_url:
            self.redis = self.redis.model_copy(update={"url": self.redis_url})
        self._refuse_default_secrets()

    @property
    def is_development(self) -> bool:
        return self.environment in {"development", "test"}

    def _refuse_default_secrets(self) -> None:
        if self.is_development:
            return
        if self.discovery.cursor_secret.startswith("dev-"):
            raise ValueError(
                "HAPPENINGS_DISCOVERY__CURSOR_SECRET must be set outside development "
                "(the default is public)."
            )
        if self.auth.jwt_private_key is None and self.auth.jwt_private_key_file is None:
            raise ValueError(
                "HAPPENINGS_AUTH__JWT_PRIVATE_KEY (Ed25519 PEM) or HAPPENINGS_AUTH__JWT_PRIVATE_KEY_FILE "
                "must be set outside development."
            )
        key_file = self.auth.jwt_private_key_file
        if key_file is not None and os.path.basename(key_file).startswith("dev-"):
            raise ValueError(f"{key_file} is a development key (made by `make run`): set a real one here.")
        webhook_secret = self.payments.webhook_secret
        if webhook_secret is not None and webhook_secret.get_secret_value().startswith("whsec_dev_"):
            raise ValueError(
                "HAPPENINGS_PAYMENTS__WEBHOOK_SECRET is the development one (made by `make run`): set Stripe's."
            )
        if not self.auth.cookie_secure:
            raise ValueError("HAPPENINGS_AUTH__COOKIE_SECURE may be off only in development.")
        if not self.http.public_base_url:
            raise ValueError(
                "HAPPENINGS_HTTP__PUBLIC_BASE_URL must be set outside development "
                "(the absolute URL clients reach this service at; documents never trust the request's Host)."
            )
